/** The folder job: hold the folder's lease and copy it with the engine, then, for a mirror or backup, follow flags and deletions. */
import type { Job } from 'bullmq';
import type { AnySource, ItemSyncSource } from '../../connectors/types.js';
import { DEFAULT_DELETE_CAP, DEFAULT_POP3_OPTIONS, type RunSpec } from '../../config/index.js';
import { FolderState, KeyedFolderState, MirrorState, type CopyState, type FolderResult, type RunRecord } from '../../state/index.js';
import { leaseBoth } from '../connections/lease-connectors.js';
import { mirrorFolder } from '../mirror/mirror-folder.js';
import { followItemDeletions } from '../mirror/mirror-items.js';
import type { FolderJobData } from '../queue/queue.js';
import { isFinalFailure, rethrowForQueue } from '../queue/retry-policy.js';
import { noteWaiting } from '../queue/run-waiting.js';
import { throttleOf } from '../telemetry.js';
import { currentRun, type WorkerContext } from '../worker-context.js';
import { copyFolder } from './copy-folder.js';
import type { CopyInput } from './copy-input.js';
import { ItemSyncCopySource } from './item-sync-copy-source.js';
import { MaildropCopySource } from './maildrop-copy-source.js';
import { UidCopySource } from './uid-copy-source.js';

export async function processFolder(ctx: WorkerContext, job: Job<FolderJobData>, token?: string): Promise<void> {
  const found = await currentRun(ctx, job.data.runId);
  if (!found) return;
  const { run, spec } = found;
  const { sourcePath, targetPath } = job.data;
  const log = ctx.log.child({ runId: run.runId, pair: run.pairName, folder: sourcePath });
  // The lease key is the folder's whatever kind its state is: taken before any connection slot.
  const uidState = new FolderState(ctx.redis, ctx.keys, run.pairId, sourcePath);
  const fid = uidState.fid;
  let lease;
  let connectors: Awaited<ReturnType<typeof leaseBoth>> | undefined;
  let healthy = false;
  let reported = 0;
  try {
    lease = await uidState.acquireLease();
    connectors = await leaseBoth(ctx.connections, spec);
    const source = connectors[0].connector;
    const target = connectors[1].connector;
    const state = copyStateOf(ctx, run, source, sourcePath);
    if (job.data.createTarget) await target.ensureFolder(targetPath);
    const input: CopyInput = {
      target, state, lease, targetPath, log, signal: ctx.signal, budget: ctx.budget,
      pageSize: spec.copy.pageSize,
      batchBytes: spec.copy.batchBytes,
      onProgress: async (done: number, total: number) => {
        // Progress is cumulative per folder job; the counter takes the step since the last page.
        if (done > reported) ctx.telemetry?.pageDone(done - reported, spec.source.kind);
        reported = Math.max(reported, done);
        await ctx.runs.setProgress(run.runId, fid, { sourcePath, done, total });
      },
    };
    const result = await copyOneFolder(ctx, run, spec, source, sourcePath, input);
    healthy = true;
    await ctx.runs.setFolderResult(run.runId, fid, result);
    ctx.telemetry?.folderDone(result, spec.source.kind);
    log.info({ copied: result.copied, alreadyThere: result.alreadyThere, quarantined: result.quarantine.length, flagsUpdated: result.flagsUpdated ?? 0 }, 'folder done');
  } catch (error) {
    if (isFinalFailure(error, job)) {
      log.error({ err: error }, 'folder failed');
      const failed = failedResult(sourcePath, targetPath, error);
      await ctx.runs.setFolderResult(run.runId, fid, failed);
      ctx.telemetry?.folderDone(failed, spec.source.kind);
    } else {
      const throttle = throttleOf(error);
      if (throttle !== undefined) ctx.telemetry?.throttled(throttle);
      log.warn({ err: error, attempt: job.attemptsMade + 1 }, 'folder interrupted; will resume');
      await noteWaiting(ctx.runs, run.runId, error);
    }
    // Awaited, not returned: a returned promise would reject while `finally` still runs, unhandled.
    await rethrowForQueue(error, job, token);
  } finally {
    // A connection that saw an error (or an interruption mid-command) is closed, not reused.
    // A POP3 session is a snapshot of the box at login and holds its lock: end it (QUIT
    // when nothing is marked for deletion) rather than keep it for a later job.
    const [source, target] = connectors ?? [];
    await Promise.allSettled([
      source?.release(healthy && source.connector.kind !== 'maildrop'), target?.release(healthy), lease?.release(),
    ]);
  }
}

/** The folder's copy state: a UID source keeps a ledger per UIDVALIDITY, the others one of string keys. */
function copyStateOf(ctx: WorkerContext, run: RunRecord, source: AnySource, sourcePath: string): CopyState {
  if (source.kind === 'uid') return new FolderState(ctx.redis, ctx.keys, run.pairId, sourcePath);
  return new KeyedFolderState(ctx.redis, ctx.keys, run.pairId, sourcePath, source.kind);
}

async function copyOneFolder(ctx: WorkerContext, run: RunRecord, spec: RunSpec, source: AnySource, sourcePath: string, input: CopyInput): Promise<FolderResult> {
  const limits = { pageSize: input.pageSize, batchBytes: input.batchBytes, budget: input.budget };
  if (source.kind === 'item-sync') {
    const result = await copyFolder(input, new ItemSyncCopySource(source, sourcePath, { ...limits, state: input.state, log: input.log }), sourcePath);
    return followItems(spec, source, sourcePath, input, result);
  }
  if (source.kind === 'maildrop') {
    const pop3 = spec.pop3 ?? DEFAULT_POP3_OPTIONS;
    return copyFolder(input, new MaildropCopySource(source, { ...limits, pop3, state: input.state, log: input.log }), sourcePath);
  }
  return copyAndMirror(ctx, run, spec, source, sourcePath, input);
}

/**
 * A mirror or backup of an item-sync source (Graph): the copy step brought changed items'
 * flags up to date (counted as the pass's flag updates); deletions follow from a listing.
 */
async function followItems(spec: RunSpec, source: ItemSyncSource, sourcePath: string, input: CopyInput, result: FolderResult): Promise<FolderResult> {
  const mode = spec.mode ?? 'migrate';
  const sourceMirror = source.features.mirror;
  const targetMirror = input.target.features.mirror;
  if (mode === 'migrate' || !sourceMirror || !targetMirror) return result;
  const deletions = await followItemDeletions({
    source: sourceMirror, target: targetMirror, state: input.state as KeyedFolderState, lease: input.lease,
    sourcePath, targetPath: input.targetPath,
    policy: mode === 'mirror'
      ? { mode, options: spec.mirror ?? { deleteCap: DEFAULT_DELETE_CAP, confirmDeletes: false } }
      : { mode, options: spec.backup ?? {} },
  });
  if (deletions.heldReason) input.log[mode === 'mirror' ? 'warn' : 'debug']({ held: deletions.deletionsHeld, reason: deletions.heldReason }, 'deletions held');
  const { flagsUpdated, ...rest } = result;
  return { ...rest, mirrored: { ...deletions, flagsUpdated: flagsUpdated ?? 0 } };
}

function failedResult(sourcePath: string, targetPath: string, error: unknown): FolderResult {
  return {
    sourcePath, targetPath, outcome: 'failed', error: (error as Error).message,
    selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0, quarantine: [],
  };
}

/**
 * A UID folder: copy new messages (a migration's re-run also brings earlier copies' flags
 * up to date), then, for a mirror or a backup whose connectors can, follow flag changes
 * and deletions of the messages copied before.
 */
async function copyAndMirror(
  ctx: WorkerContext, run: RunRecord, spec: RunSpec, source: Extract<AnySource, { kind: 'uid' }>, sourcePath: string, input: CopyInput,
): Promise<FolderResult> {
  const { target } = input;
  const mode = spec.mode ?? 'migrate';
  const follows = source.features.mirror !== undefined && target.features.mirror !== undefined;
  const previous = await input.state.cursor();
  const uid = new UidCopySource(source, sourcePath, { pageSize: input.pageSize, batchBytes: input.batchBytes, budget: input.budget, refreshFlags: mode === 'migrate' && follows });
  const result = await copyFolder(input, uid, sourcePath);
  const sourceMirror = source.features.mirror;
  const targetMirror = target.features.mirror;
  if (mode === 'migrate' || !sourceMirror || !targetMirror) return result;
  const before = uid.status;
  const focus = run.focus === undefined ? undefined : (JSON.parse(run.focus) as string[]);
  const mirrored = await mirrorFolder({
    source: sourceMirror, target: targetMirror, flagPolicy: () => target.flagPolicy(input.targetPath),
    folderState: input.state as FolderState,
    mirrorState: new MirrorState(ctx.redis, ctx.keys, run.pairId, sourcePath),
    lease: input.lease, sourcePath, targetPath: input.targetPath, before,
    copiedBefore: previous?.source.kind === 'uid' && previous.source.uidValidity === before.uidValidity ? previous.source.lastUid : 0,
    policy: mode === 'mirror'
      ? { mode, options: spec.mirror ?? { deleteCap: DEFAULT_DELETE_CAP, confirmDeletes: false } }
      : { mode, options: spec.backup ?? {} },
    fullCompare: focus === undefined || focus.includes(sourcePath),
    now: Date.now(),
  });
  // A mirror's held deletions wait for someone to confirm them; a backup's wait for their retention, by design.
  if (mirrored.heldReason) input.log[mode === 'mirror' ? 'warn' : 'debug']({ held: mirrored.deletionsHeld, reason: mirrored.heldReason }, 'deletions held');
  return { ...result, mirrored };
}

