/** Starts a run of a pair: records it (making it the pair's current run) and queues its plan job. */
import { randomBytes } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import { pairIdOf, type RunSpec } from '../config/index.js';
import type { RunStore } from '../state/index.js';
import { DEFAULT_JOB_OPTIONS, JOB_PLAN, jobIdOf, queueNameOf, type PlanJobData } from './queue.js';

export interface EnqueuedRun {
  readonly runId: string;
  readonly pairId: string;
}

export async function enqueueRun(runs: RunStore, spec: RunSpec, connection: ConnectionOptions, prefix: string): Promise<EnqueuedRun> {
  const pairId = pairIdOf(spec);
  const startedAt = new Date();
  const runId = `r${startedAt.getTime().toString(36)}${randomBytes(3).toString('hex')}`;
  await runs.create({ runId, pairId, pairName: spec.pairName, state: 'running', startedAt: startedAt.toISOString(), spec: JSON.stringify(spec) });
  const queue = new Queue(queueNameOf(pairId), { connection, prefix });
  try {
    await queue.add(JOB_PLAN, { runId } satisfies PlanJobData, { ...DEFAULT_JOB_OPTIONS, jobId: jobIdOf(runId, 'plan') });
  } finally {
    await queue.close();
  }
  return { runId, pairId };
}
