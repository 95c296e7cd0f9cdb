/**
 * One BullMQ job scheduler per pair: a cron pattern (backups, scheduled migrations) or,
 * for a mirror, a full pass every `pollSeconds`. The scheduler id is the pair's, so any
 * number of daemons upserting the same config keep one schedule, not one each; a tick
 * only asks for a run (RunTrigger), so a slow run is never overlapped by the next.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import type { RegisteredPair } from '../../state/index.js';
import { JOB_TICK, type TickJobData } from './queue.js';

const SCHEDULER_PREFIX = 'pair-';

export interface ScheduleSummary {
  readonly pairName: string;
  /** The pattern or interval, for the log. */
  readonly every: string;
  /** When the next tick is due (ms since the epoch), when BullMQ knows. */
  readonly next?: number;
}

/**
 * Makes the queue's schedulers exactly those of `pairs` (that run on this queue): adds
 * or updates each, removes the schedulers of pairs no longer configured.
 */
export async function applySchedules(queueName: string, pairs: readonly RegisteredPair[], bullmq: { connection: ConnectionOptions; prefix: string }): Promise<ScheduleSummary[]> {
  const queue = new Queue(queueName, { connection: bullmq.connection, prefix: bullmq.prefix });
  try {
    const wanted = new Map<string, RegisteredPair>();
    for (const pair of pairs) {
      if (pair.queue !== queueName) continue;
      if (pair.service.schedule === undefined && pair.service.pollSeconds === undefined) continue;
      wanted.set(`${SCHEDULER_PREFIX}${pair.pairId}`, pair);
    }
    for (const existing of await queue.getJobSchedulers(0, -1)) {
      const id = existing.key;
      if (id.startsWith(SCHEDULER_PREFIX) && !wanted.has(id)) await queue.removeJobScheduler(id);
    }
    const summaries: ScheduleSummary[] = [];
    for (const [id, pair] of wanted) {
      const { schedule, pollSeconds } = pair.service;
      const repeat = schedule !== undefined ? { pattern: schedule } : { every: (pollSeconds ?? 60) * 1000 };
      await queue.upsertJobScheduler(id, repeat, { name: JOB_TICK, data: { pairId: pair.pairId } satisfies TickJobData, opts: { removeOnComplete: 100, removeOnFail: 100 } });
      const json = (await queue.getJobSchedulers(0, -1)).find((s) => s.key === id);
      summaries.push({ pairName: pair.spec.pairName, every: schedule ?? `${pollSeconds} s`, ...(json?.next === undefined ? {} : { next: json.next }) });
    }
    return summaries;
  } finally {
    await queue.close();
  }
}
