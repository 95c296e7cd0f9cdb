/**
 * What `daemon` and `mirror` run until stopped: the pairs registered in Redis (so any
 * worker can start their runs), their schedules, queue workers, and watchers on mirrored
 * folders. A mirror asks for a full pass at start, to catch up with what changed while
 * nothing was running.
 */
import type { PairService, RunSpec } from '../config/index.js';
import { ALL_FOLDERS, applySchedules, claimFor, startWatchers, type RunningWatchers } from '../jobs/index.js';
import type { RegisteredPair } from '../state/index.js';
import type { Session } from './session.js';

export interface ServeOptions {
  readonly queue: string;
  readonly concurrency: number;
  /** Folders watched per source account at most (each holds a connection). */
  readonly watchersPerAccount: number;
}

export interface ServedPairs {
  readonly pairs: readonly RegisteredPair[];
  readonly watchers: RunningWatchers;
  close(): Promise<void>;
}

/** Watchers of servers without IDLE poll STATUS this often. */
const WATCH_POLL_SECONDS = 5;

export async function servePairs(session: Session, entries: ReadonlyArray<{ spec: RunSpec; service: PairService }>, options: ServeOptions): Promise<ServedPairs> {
  const pairs = await Promise.all(entries.map(({ spec, service }) => session.registry.register(spec, options.queue, service)));
  const schedules = await applySchedules(options.queue, pairs, { connection: session.connections.bullmq(), prefix: session.keys.prefix });
  for (const s of schedules) session.log.info({ pair: s.pairName, every: s.every, next: s.next ? new Date(s.next).toISOString() : null }, 'schedule set');
  const workers = session.startWorkers([options.queue], options.concurrency);
  const watchers = await startWatchers({
    pool: session.pool, trigger: session.trigger, log: session.log,
    createWatcher: (account) => session.factory.watcher(account),
    claim: (account) => claimFor(account, session.limits),
    governor: session.governor,
    maxPerAccount: options.watchersPerAccount, pollSeconds: WATCH_POLL_SECONDS,
  }, pairs, session.signal);
  for (const pair of pairs) {
    if (pair.spec.mode === 'mirror') await session.trigger.request(pair.pairId, ALL_FOLDERS);
  }
  return {
    pairs, watchers,
    async close() {
      await watchers.close();
      await workers.close();
    },
  };
}
