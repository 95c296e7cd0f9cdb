/** The folder job: hold the folder's lease and copy it page by page. */
import type { Job } from 'bullmq';
import { isItemSyncSource, isMaildropSource, isMirrorSource, isMirrorTarget, type SourceConnector, type TargetConnector } from '../connectors/types.js';
import { DEFAULT_DELETE_CAP, DEFAULT_POP3_OPTIONS, type RunSpec } from '../config/index.js';
import { FolderState, KeyedFolderState, MirrorState, type FolderResult, type Lease, type RunRecord } from '../state/index.js';
import { copyFolder, type CopyFolderInput } from './copy-folder.js';
import { copyMaildrop } from './copy-maildrop.js';
import { copySyncedFolder } from './copy-synced-folder.js';
import { leaseBoth } from './lease-connectors.js';
import { mirrorFolder } from './mirror-folder.js';
import type { FolderJobData } from './queue.js';
import { isFinalFailure, rethrowForQueue } from './retry-policy.js';
import { throttleOf } from './telemetry.js';
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
  let reported = 0;
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
      onProgress: async (done: number, total: number) => {
        // Progress is cumulative per folder job; the counter takes the step since the last page.
        if (done > reported) ctx.telemetry?.pageDone(done - reported, spec.source.kind);
        reported = Math.max(reported, done);
        await ctx.runs.setProgress(run.runId, state.fid, { sourcePath, done, total });
      },
    };
    const keyed = () => new KeyedFolderState(ctx.redis, ctx.keys, run.pairId, sourcePath);
    const result = isItemSyncSource(source)
      ? await copySyncedFolder({ ...common, source, state: keyed(), sourcePath })
      : isMaildropSource(source)
        ? await copyMaildrop({ ...common, source, state: keyed(), options: spec.pop3 ?? DEFAULT_POP3_OPTIONS })
        : await copyAndMirror(ctx, run, spec, { ...common, source, state, sourcePath });
    healthy = true;
    await ctx.runs.setFolderResult(run.runId, state.fid, result);
    ctx.telemetry?.folderDone(result, spec.source.kind);
    log.info({ copied: result.copied, alreadyThere: result.alreadyThere, quarantined: result.quarantine.length }, 'folder done');
  } catch (error) {
    if (isFinalFailure(error, job)) {
      log.error({ err: error }, 'folder failed');
      const failed = failedResult(sourcePath, targetPath, error);
      await ctx.runs.setFolderResult(run.runId, state.fid, failed);
      ctx.telemetry?.folderDone(failed, spec.source.kind);
    } else {
      const throttle = throttleOf(error);
      if (throttle !== undefined) ctx.telemetry?.throttled(throttle);
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

/**
 * A UID folder: copy new messages, then, for a mirror or a backup whose connectors can,
 * follow flag changes and deletions of the messages copied before.
 */
async function copyAndMirror(ctx: WorkerContext, run: RunRecord, spec: RunSpec, input: CopyFolderInput & { lease: Lease }): Promise<FolderResult> {
  const { source, target } = input;
  const mode = spec.mode ?? 'migrate';
  if (mode === 'migrate' || !isMirrorSource(source) || !isMirrorTarget(target)) return copyFolder(input);
  const before = await (source as SourceConnector).status(input.sourcePath);
  const previous = await input.state.checkpoint();
  const copiedBefore = previous?.uidValidity === before.uidValidity ? previous.lastUid : 0;
  const copied = await copyFolder(input);
  const focus = run.focus === undefined ? undefined : (JSON.parse(run.focus) as string[]);
  const mirrored = await mirrorFolder({
    source, target: target as TargetConnector & typeof target, folderState: input.state,
    mirrorState: new MirrorState(ctx.redis, ctx.keys, run.pairId, input.sourcePath),
    lease: input.lease, sourcePath: input.sourcePath, targetPath: input.targetPath, before, copiedBefore,
    policy: mode === 'mirror'
      ? { mode, options: spec.mirror ?? { deleteCap: DEFAULT_DELETE_CAP, confirmDeletes: false } }
      : { mode, options: spec.backup ?? {} },
    fullCompare: focus === undefined || focus.includes(input.sourcePath),
    now: Date.now(),
  });
  // A mirror's held deletions wait for someone to confirm them; a backup's wait for their retention, by design.
  if (mirrored.heldReason) input.log[mode === 'mirror' ? 'warn' : 'debug']({ held: mirrored.deletionsHeld, reason: mirrored.heldReason }, 'deletions held');
  return { ...copied, mirrored };
}
