/** A schedule's tick: ask for a run of every folder of the pair (it waits if one is going). */
import type { Job } from 'bullmq';
import { ALL_FOLDERS } from './run-trigger.js';
import type { TickJobData } from './queue.js';
import type { WorkerContext } from '../worker-context.js';

export async function processTick(ctx: WorkerContext, job: Job<TickJobData>): Promise<void> {
  const runId = await ctx.trigger.request(job.data.pairId, ALL_FOLDERS);
  ctx.log.debug({ pairId: job.data.pairId, runId: runId ?? null }, runId ? 'scheduled run started' : 'scheduled run waits for the run in progress');
}
