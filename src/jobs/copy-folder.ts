/**
 * Copies one source folder to its target folder in bounded pages, exactly once:
 *
 *   intent (write-ahead) -> APPEND -> commit page (ledger + checkpoint, fenced by the lease)
 *
 * After a crash anywhere in that sequence, the next run looks in the target window
 * (UIDs from the last committed target UIDNEXT on) for identical copies before
 * appending again, so nothing is lost and nothing is doubled (ARCHITECTURE.md,
 * "Identity, checkpoints and exactly-once effects").
 */
import type { FlagPolicy, FolderStatus, SourceConnector, TargetConnector } from '../connectors/types.js';
import type { FolderCheckpoint, FolderResult, FolderState, QuarantineRecord } from '../state/index.js';
import { appendMessages } from './append-messages.js';
import { copyMarker, newTally, openWindow, type CopyCommonInput, type CopyWindow, type Tally } from './copy-common.js';
import { crashPoint } from './crash-points.js';
import { folderUnchanged } from './folder-unchanged.js';
import { InterruptedError } from './interrupted-error.js';
import { noteReleased } from './memory-pressure.js';
import { chunk } from './pages.js';
import { readAhead, sourceBatches, type SourceBatch } from './source-batches.js';

export interface CopyFolderInput extends CopyCommonInput {
  readonly source: SourceConnector;
  readonly state: FolderState;
  readonly sourcePath: string;
}

/** What the page in progress has done so far, committed when its last batch is stored. */
interface PageWork {
  copied: Array<readonly [number, number]>;
  quarantined: QuarantineRecord[];
  targetUidNext: number;
  uidUnknown: boolean;
}

export async function copyFolder(input: CopyFolderInput): Promise<FolderResult> {
  const { source, target, state, lease, sourcePath, targetPath, log } = input;
  const srcStatus = await source.status(sourcePath);
  const tgtStatus = await target.status(targetPath);
  const overview = await state.overview();
  let checkpoint = overview.checkpoint;
  const tally = newTally(0);
  if (folderUnchanged(overview, srcStatus, tgtStatus, targetPath)) return result(input, tally, []);

  if (checkpoint && !checkpointStillValid(checkpoint, srcStatus, tgtStatus, targetPath)) {
    log.warn({ old: checkpoint.uidValidity, now: srcStatus.uidValidity }, 'folder identity changed (UIDVALIDITY or target); re-matching by content');
    await state.reset(lease);
    checkpoint = null;
  }
  const intents = await state.intents();
  const quarantine = (await state.quarantine()).filter((q) => q.uidValidity === srcStatus.uidValidity);

  const fromUid = checkpoint ? Math.min(checkpoint.targetUidNext, ...intents.map((i) => i.targetUidNextBefore)) : null;
  const markerOf = (uid: number) => copyMarker(state.pairId, state.fid, `${srcStatus.uidValidity}/${uid}`);
  const window = await openWindow(target, targetPath, fromUid, tgtStatus, () => new Set(intents.map((i) => markerOf(i.srcUid))));
  if (window.size > 0) log.info({ window: window.size }, 'checking target window for copies made before an interruption');
  const uids = [...quarantine.map((q) => q.srcUid), ...(await source.listUids(sourcePath, checkpoint?.lastUid ?? 0))];
  tally.selected = uids.length;
  await input.onProgress?.(0, uids.length);
  const policy = await target.flagPolicy(targetPath);

  let cursor: FolderCheckpoint = checkpoint ?? {
    sourcePath, targetPath, uidValidity: srcStatus.uidValidity, lastUid: 0, sourceUidNext: 0,
    targetUidValidity: tgtStatus.uidValidity, targetUidNext: window.size > 0 ? 1 : tgtStatus.uidNext,
  };
  const pages = chunk(uids, input.pageSize);
  const wasQuarantined = new Set(quarantine.map((q) => q.srcUid));
  let work: PageWork = newPageWork(cursor);
  let pagesDone = 0;
  let done = 0;

  const batches = readAhead(sourceBatches(source, sourcePath, pages, input.batchBytes, input.budget), (b) => b.release());
  for await (const batch of batches) {
    try {
      if (batch.firstOfPage && input.signal.aborted) throw new InterruptedError();
      await storeBatch({ input, batch, policy, window, markerOf, cursor, tally, work });
    } finally {
      batch.release();
      noteReleased(batch.messages.reduce((sum, m) => sum + m.size, 0), Math.max(0, ...batch.messages.map((m) => m.size)));
    }
    if (!batch.lastOfPage) continue;

    pagesDone += 1;
    const isLast = pagesDone === pages.length;
    tally.vanished += batch.vanished;
    const targetUidNext = await knownTargetUidNext(target, targetPath, work);
    cursor = {
      ...cursor,
      lastUid: Math.max(cursor.lastUid, ...batch.page),
      // Only a complete folder may take the "nothing new" fast path on the next run.
      sourceUidNext: isLast ? srcStatus.uidNext : cursor.sourceUidNext,
      // Recorded for incremental flag sync (CONDSTORE, RFC 7162) by the mirror mode.
      ...(isLast && srcStatus.highestModseq !== undefined ? { highestModseq: srcStatus.highestModseq } : {}),
      // Once the folder is complete, every copy of ours in the window has been claimed.
      targetUidNext: isLast ? Math.max(targetUidNext, tgtStatus.uidNext) : targetUidNext,
    };
    const released = work.copied.map(([src]) => src).filter((uid) => wasQuarantined.has(uid));
    await state.commitPage(lease, { checkpoint: cursor, copied: work.copied, clearIntents: [...batch.page], quarantined: work.quarantined, released });
    crashPoint('after-commit');
    work = newPageWork(cursor);
    done += batch.page.length;
    await input.onProgress?.(done, uids.length);
  }
  if (pages.length === 0) {
    // Nothing new listed (e.g. only expunged UIDs): record the folder as complete.
    const complete = { ...cursor, sourceUidNext: srcStatus.uidNext, ...(srcStatus.highestModseq === undefined ? {} : { highestModseq: srcStatus.highestModseq }) };
    await state.commitPage(lease, { checkpoint: complete, copied: [], clearIntents: intents.map((i) => i.srcUid), quarantined: [], released: [] });
  }
  const stillQuarantined = (await state.quarantine()).filter((q) => q.uidValidity === srcStatus.uidValidity);
  return result(input, tally, stillQuarantined);
}

function checkpointStillValid(c: FolderCheckpoint, src: FolderStatus, tgt: FolderStatus, targetPath: string): boolean {
  return c.uidValidity === src.uidValidity && c.targetUidValidity === tgt.uidValidity && c.targetPath === targetPath;
}

function newPageWork(cursor: FolderCheckpoint): PageWork {
  return { copied: [], quarantined: [], targetUidNext: cursor.targetUidNext, uidUnknown: false };
}

/** The target's UIDNEXT after this page: from APPENDUID, or asked when the server did not say. */
async function knownTargetUidNext(target: TargetConnector, path: string, work: PageWork): Promise<number> {
  return work.uidUnknown ? Math.max(work.targetUidNext, (await target.status(path)).uidNext) : work.targetUidNext;
}

interface BatchInput {
  readonly input: CopyFolderInput;
  readonly batch: SourceBatch;
  readonly policy: FlagPolicy;
  readonly window: CopyWindow;
  readonly markerOf: (srcUid: number) => string;
  readonly cursor: FolderCheckpoint;
  readonly tally: Tally;
  readonly work: PageWork;
}

/** Claims copies already on the target, records intents for the rest, and appends them. */
async function storeBatch(b: BatchInput): Promise<void> {
  const { input, batch, tally, work } = b;
  const { target, state, lease, targetPath, log } = input;
  const claims = await b.window.claim(batch.messages, b.markerOf);
  for (const [srcUid, tgtUid] of claims) work.copied.push([srcUid, tgtUid]);
  tally.alreadyThere += claims.size;

  const toAppend = batch.messages.filter((m) => !claims.has(m.srcUid));
  if (toAppend.length === 0) return;
  await state.writeIntents(lease, toAppend.map((m) => ({ srcUid: m.srcUid, size: m.size, sha256: m.sha256, targetUidNextBefore: b.cursor.targetUidNext })));
  crashPoint('after-intents');
  const outcome = await appendMessages(target, targetPath, toAppend, b.policy, b.markerOf);
  for (const appended of outcome.appended) {
    crashPoint('after-append');
    work.copied.push([appended.srcUid, appended.uid ?? 0]);
    tally.copied += 1;
    tally.bytes += appended.size;
    if (appended.uid === undefined) work.uidUnknown = true;
    else work.targetUidNext = Math.max(work.targetUidNext, appended.uid + 1);
  }
  for (const refused of outcome.refused) {
    log.warn({ uid: refused.srcUid, size: refused.size, reason: refused.reason }, 'target refused message; quarantined');
    work.quarantined.push({ srcUid: refused.srcUid, uidValidity: b.cursor.uidValidity, size: refused.size, code: refused.code, reason: refused.reason });
  }
  tally.quarantined += outcome.refused.length;
}

function result(input: CopyFolderInput, tally: Tally, quarantine: readonly QuarantineRecord[]): FolderResult {
  return {
    sourcePath: input.sourcePath,
    targetPath: input.targetPath,
    outcome: 'done',
    ...tally,
    quarantine: quarantine.map((q) => ({ uid: q.srcUid, size: q.size, reason: q.reason })),
  };
}
