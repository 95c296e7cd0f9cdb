/**
 * `mailferry daemon --config FILE`: serves every pair of the config until SIGTERM/SIGINT:
 * mirrors follow their source (watchers plus full passes), backups and scheduled
 * migrations run on their cron schedule, and queued runs (`mailferry enqueue`) are
 * worked. State lives in Redis, so a restarted daemon (or another one on the same Redis)
 * carries on where this one stopped.
 */
import { loadConfigFile } from '../../config/index.js';
import { SHARED_QUEUE } from '../../jobs/index.js';
import { checkReadable } from '../account-check.js';
import { startRunFeed } from '../run-feed.js';
import { servePairs } from '../serve-pairs.js';
import { isQuietRun } from '../summary.js';
import { httpOptionsOf, openConfigSession, type HttpOptions } from '../session.js';

export interface DaemonOptions extends HttpOptions {
  readonly config: string;
  readonly concurrency?: number;
  readonly watchersPerAccount: number;
  readonly redis?: string;
  readonly stateDir?: string;
}

export async function daemon(options: DaemonOptions): Promise<number> {
  const config = loadConfigFile(options.config);
  checkReadable([...config.pairs.values()]);
  const session = await openConfigSession(config, options, httpOptionsOf(options));
  try {
    const entries = [...config.pairs].map(([name, spec]) => ({ spec, service: config.services.get(name) ?? { watch: [] } }));
    const served = await servePairs(session, entries, {
      queue: SHARED_QUEUE, concurrency: options.concurrency ?? config.concurrency ?? 4, watchersPerAccount: options.watchersPerAccount,
    });
    const feed = startRunFeed(session, new Set(served.pairs.map((p) => p.pairId)), (outcome, line) => {
      session.log[isQuietRun(outcome) ? 'debug' : 'info']({ pair: outcome.run.pairName, runId: outcome.run.runId, state: outcome.run.state }, line);
    });
    session.log.info({ pairs: served.pairs.length, watched: served.watchers.watched.length }, 'daemon started');
    await new Promise<void>((resolve) => session.signal.addEventListener('abort', () => resolve(), { once: true }));
    feed.stop();
    await served.close();
    return session.interruptedWith() ?? 0;
  } finally {
    await session.close();
  }
}
