/**
 * `mailferry worker --config FILE [--pair NAME]`: consume the queued jobs of the config's
 * pairs until SIGTERM/SIGINT, for scale-out next to a `migrate` on the same Redis.
 * Workers resolve secrets from their own environment; Redis holds none.
 */
import { ConfigError, loadConfigFile, pairIdOf } from '../../config/index.js';
import { openSession } from '../session.js';

export interface WorkerCommandOptions {
  readonly config: string;
  readonly pair?: string;
  readonly concurrency?: number;
  readonly redis?: string;
  readonly stateDir?: string;
}

export async function worker(options: WorkerCommandOptions): Promise<number> {
  const config = loadConfigFile(options.config);
  const names = options.pair ? [options.pair] : [...config.pairs.keys()];
  const pairIds = names.map((name) => {
    const spec = config.pairs.get(name);
    if (!spec) throw new ConfigError(`--pair ${name}: no such pair in ${options.config}`);
    return pairIdOf(spec);
  });
  const redis = options.redis ?? config.redis;
  const stateDir = options.stateDir ?? config.stateDir;
  const session = await openSession({
    interactive: false,
    ...(redis === undefined ? {} : { redis }),
    ...(stateDir === undefined ? {} : { stateDir }),
  });
  const workers = session.startWorkers(pairIds, options.concurrency ?? config.concurrency ?? 4);
  session.log.info({ pairs: names }, 'worker started; waiting for jobs');
  await new Promise<void>((resolve) => session.signal.addEventListener('abort', () => resolve(), { once: true }));
  await workers.close();
  await session.close();
  return session.interruptedWith() ?? 0;
}
