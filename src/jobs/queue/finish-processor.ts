/** The finish job runs once every folder job has ended (done or failed) and closes the run. */
import type { Job } from 'bullmq';
import { SHORT_RUN_RETENTION_SECONDS } from '../../state/index.js';
import type { FinishJobData } from './queue.js';
import { currentRun, type WorkerContext } from '../worker-context.js';

export async function processFinish(ctx: WorkerContext, job: Job<FinishJobData>): Promise<void> {
  const found = await currentRun(ctx, job.data.runId);
  if (!found) return;
  const results = await ctx.runs.folderResults(found.run.runId);
  const failed = results.filter((r) => r.outcome === 'failed').length;
  // A folder job that failed before recording anything is failed too.
  const ignored = Object.keys(await job.getIgnoredChildrenFailures()).length;
  const state = failed > 0 || ignored > 0 ? 'failed' : 'completed';
  const retention = found.spec.mode === 'mirror' ? SHORT_RUN_RETENTION_SECONDS : undefined;
  await ctx.runs.finish(found.run.runId, state, state === 'failed' ? `${Math.max(failed, ignored)} folder(s) failed` : undefined, retention);
  // Frees the pair's run slot and starts the run asked for meanwhile (a no-op for a one-liner's run).
  await ctx.trigger.finished(found.run.pairId, found.run.runId);
}
