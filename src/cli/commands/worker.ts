/**
 * `mailferry worker --config FILE`: work the shared queue of config pairs until
 * SIGTERM/SIGINT, for scale-out next to a `daemon`, `enqueue` or `migrate --config` on the
 * same Redis. Workers resolve secrets from their own environment; Redis holds none.
 */
import { loadConfigFile } from '../../config/index.js';
import { SHARED_QUEUE } from '../../jobs/index.js';
import { httpOptionsOf, openConfigSession, type HttpOptions } from '../session.js';

export interface WorkerCommandOptions extends HttpOptions {
  readonly config: string;
  readonly concurrency?: number;
  readonly redis?: string;
  readonly stateDir?: string;
}

export async function worker(options: WorkerCommandOptions): Promise<number> {
  const config = loadConfigFile(options.config);
  const session = await openConfigSession(config, options, httpOptionsOf(options));
  const workers = session.startWorkers([SHARED_QUEUE], options.concurrency ?? config.concurrency ?? 4);
  session.log.info({ pairs: config.pairs.size }, 'worker started; waiting for jobs');
  await new Promise<void>((resolve) => session.signal.addEventListener('abort', () => resolve(), { once: true }));
  await workers.close();
  await session.close();
  return session.interruptedWith() ?? 0;
}
