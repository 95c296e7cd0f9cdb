/** Starts a run of a pair: records it (making it the pair's current run) and queues its plan job. */
import { Queue, type ConnectionOptions } from 'bullmq';
import { pairIdOf, type RunSpec } from '../../config/index.js';
import type { RunStore } from '../../state/index.js';
import { DEFAULT_JOB_OPTIONS, JOB_PLAN, jobIdOf, queueNameOf, type PlanJobData } from './queue.js';
import { newRunId } from './run-trigger.js';

export interface EnqueuedRun {
  readonly runId: string;
  readonly pairId: string;
}

/** @param queueName - the queue of its jobs; default: the pair's own (a one-liner's run). */
export async function enqueueRun(runs: RunStore, spec: RunSpec, connection: ConnectionOptions, prefix: string, queueName?: string): Promise<EnqueuedRun> {
  const pairId = pairIdOf(spec);
  const runId = newRunId();
  const name = queueName ?? queueNameOf(pairId);
  await runs.create({ runId, pairId, pairName: spec.pairName, state: 'running', startedAt: new Date().toISOString(), spec: JSON.stringify(spec), queue: name });
  const queue = new Queue(name, { connection, prefix });
  try {
    await queue.add(JOB_PLAN, { runId } satisfies PlanJobData, { ...DEFAULT_JOB_OPTIONS, jobId: jobIdOf(runId, 'plan') });
  } finally {
    await queue.close();
  }
  return { runId, pairId };
}
