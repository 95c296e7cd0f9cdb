/** The folder job: hold the folder's lease and copy it page by page. */
import type { Job } from 'bullmq';
import { DEFAULT_POP3_OPTIONS } from '../config/index.js';
import { isItemSyncSource } from '../connectors/types.js';
import { isMaildropSource } from '../connectors/types.js';
import { FolderState, KeyedFolderState, type FolderResult } from '../state/index.js';
import { copyFolder } from './copy-folder.js';
import { copyMaildrop } from './copy-maildrop.js';
import { copySyncedFolder } from './copy-synced-folder.js';
import { leaseBoth } from './lease-connectors.js';
import type { FolderJobData } from './queue.js';
import { isFinalFailure, rethrowForQueue } from './retry-policy.js';
import { currentRun, type WorkerContext } from './worker-context.js';

export async function processFolder(ctx: WorkerContext, job: Job<FolderJobData>, token?: string): Promise<void> {
  const found = await currentRun(ctx, job.data.runId);
  if (!found) return;
  const { run, spec } = found;
  const { sourcePath, targetPath } = job.data;
  const log = ctx.log.child({ runId: run.runId, pair: run.pairName, folder: sourcePath });
  const state = new FolderState(ctx.redis, ctx.keys, run.pairId, sourcePath);
  let lease;
  let connectors: Awaited<ReturnType<typeof leaseBoth>> | undefined;
  let healthy = false;
  try {
    lease = await state.acquireLease();
    connectors = await leaseBoth(ctx.connections, spec);
    const source = connectors[0].connector;
    const target = connectors[1].connector;
    if (job.data.createTarget) await target.ensureFolder(targetPath);
    const common = {
      target, lease, targetPath, log, signal: ctx.signal, budget: ctx.budget,
      pageSize: spec.copy.pageSize,
      batchBytes: spec.copy.batchBytes,
      onProgress: (done: number, total: number) => ctx.runs.setProgress(run.runId, state.fid, { sourcePath, done, total }),
    };
    const keyed = () => new KeyedFolderState(ctx.redis, ctx.keys, run.pairId, sourcePath);
    const result = isItemSyncSource(source)
      ? await copySyncedFolder({ ...common, source, state: keyed(), sourcePath })
      : isMaildropSource(source)
        ? await copyMaildrop({ ...common, source, state: keyed(), options: spec.pop3 ?? DEFAULT_POP3_OPTIONS })
        : await copyFolder({ ...common, source, state, sourcePath });
    healthy = true;
    await ctx.runs.setFolderResult(run.runId, state.fid, result);
    log.info({ copied: result.copied, alreadyThere: result.alreadyThere, quarantined: result.quarantine.length }, 'folder done');
  } catch (error) {
    if (isFinalFailure(error, job)) {
      log.error({ err: error }, 'folder failed');
      await ctx.runs.setFolderResult(run.runId, state.fid, failedResult(sourcePath, targetPath, error));
    } else {
      log.warn({ err: error, attempt: job.attemptsMade + 1 }, 'folder interrupted; will resume');
    }
    // Awaited, not returned: a returned promise would reject while `finally` still runs, unhandled.
    await rethrowForQueue(error, job, token);
  } finally {
    // A connection that saw an error (or an interruption mid-command) is closed, not reused.
    // A POP3 session is a snapshot of the box at login and holds its lock: end it (QUIT
    // when nothing is marked for deletion) rather than keep it for a later job.
    const [source, target] = connectors ?? [];
    await Promise.allSettled([
      source?.release(healthy && !isMaildropSource(source.connector)), target?.release(healthy), lease?.release(),
    ]);
  }
}

function failedResult(sourcePath: string, targetPath: string, error: unknown): FolderResult {
  return {
    sourcePath, targetPath, outcome: 'failed', error: (error as Error).message,
    selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0, quarantine: [],
  };
}
