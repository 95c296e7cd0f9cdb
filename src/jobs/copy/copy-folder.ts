/**
 * The copy engine: one folder, exactly once, in bounded pages, for every kind of source
 * (UID, maildrop, item-sync; see CopySource):
 *
 *   cursor -> pages of batches -> claim / intent (write-ahead) / append -> commit page
 *   (ledger + cursor, fenced by the lease)
 *
 * After a crash anywhere in that sequence, the next run looks in the recovery window the
 * target declares for copies made before appending again, so nothing is lost and nothing
 * is doubled (ARCHITECTURE.md, "Identity, checkpoints and exactly-once effects").
 */
import type { CopyCursor, FolderResult } from '../../state/index.js';
import { InterruptedError } from '../queue/interrupted-error.js';
import { startCopy } from '../recovery/copy-start.js';
import { newTally, type CopyInput, type Tally } from './copy-input.js';
import { crashPoint } from './crash-points.js';
import { readAhead } from './fetch-batches.js';
import { applyFlagChanges } from './flag-refresh.js';
import { noteReleased } from './memory-pressure.js';
import type { CopySource, PageBatch } from './page-batch.js';
import { copyMarker } from './source-message.js';
import { newPageWork, storeBatch, type PageWork, type StoreContext } from './store-batch.js';
import { checkStoredCopies } from './target-changes.js';

export async function copyFolder(input: CopyInput, source: CopySource, sourcePath: string): Promise<FolderResult> {
  const { target, state, lease, targetPath } = input;
  await source.begin();
  const markerOf = (key: string) => copyMarker(state.pairId, state.fid, source.markerKey(key));
  const start = await startCopy(input, (c) => source.accepts(c), markerOf);
  let cursor: CopyCursor = start.cursor ?? {
    source: source.initial(),
    // Without a cursor the window is the whole folder, until the folder is complete.
    target: { path: targetPath, uidValidity: start.targetStatus.uidValidity, uidNext: start.window.size > 0 ? 1 : start.targetStatus.uidNext },
  };
  const quarantinedBefore = await state.quarantine();
  const wasQuarantined = new Set(quarantinedBefore.map((q) => q.key));
  const tally = newTally();
  const store: Omit<StoreContext, 'committedTargetUidNext'> = { input, window: start.window, policy: await target.flagPolicy(targetPath), markerOf, tally };
  let work = newPageWork(cursor.target.uidNext);
  // Appends are checked against what the target stored, UID-less ones from its UIDNEXT now on (target-changes.ts).
  const changeCheck = { target, path: targetPath, changes: tally.targetChanges, log: input.log, checkAll: true };
  let uncheckedFrom = start.targetStatus.uidNext;
  let done = 0;

  const batches = readAhead(source.batches(cursor.source, quarantinedBefore, tally), (b) => b.release());
  for await (const batch of batches) {
    try {
      if (batch.firstOfPage && input.signal.aborted) throw new InterruptedError();
      tally.vanished += batch.vanished;
      if (batch.flagChanges) tally.flagsUpdated += await refreshFlags(input, store, cursor, batch);
      await storeBatch({ ...store, committedTargetUidNext: cursor.target.uidNext }, batch.messages, work);
    } finally {
      batch.release();
      noteReleased(batch.messages.reduce((sum, m) => sum + m.size, 0), Math.max(0, ...batch.messages.map((m) => m.size)));
    }
    if (!batch.lastOfPage) continue;

    uncheckedFrom = await checkStoredCopies(changeCheck, work.toCheck, uncheckedFrom);
    cursor = { source: batch.page.after, target: { ...cursor.target, uidNext: await knownTargetUidNext(input, work) } };
    const released = work.copied.map(([key]) => key).filter((key) => wasQuarantined.has(key));
    await state.commitPage(lease, { cursor, copied: work.copied, clearIntents: batch.page.keys, quarantined: work.quarantined, released });
    crashPoint('after-commit');
    work = newPageWork(cursor.target.uidNext);
    done += batch.page.keys.length;
    await input.onProgress?.(Math.min(done, tally.selected), tally.selected);
  }

  // Complete: every copy of ours in the window has been claimed, and intents left over
  // (for messages gone from the source meanwhile) have nothing more to tell.
  cursor = { source: source.completed(cursor.source), target: { ...cursor.target, uidNext: Math.max(cursor.target.uidNext, start.targetStatus.uidNext) } };
  const stale = (await state.intents()).map((i) => i.key);
  await state.commitPage(lease, { cursor, copied: [], clearIntents: stale, quarantined: [], released: [] });

  // Stopping now leaves the source as it was (a maildrop is emptied by the next run).
  if (input.signal.aborted) throw new InterruptedError();
  const extra = (await source.finish?.()) ?? {};
  const quarantine = source.describeQuarantine(await state.quarantine());
  return folderResult(sourcePath, targetPath, tally, quarantine, extra);
}

/** The target's UIDNEXT after a page: from APPENDUID, or asked when the server did not say. */
async function knownTargetUidNext(input: CopyInput, work: PageWork): Promise<number> {
  return work.uidUnknown ? Math.max(work.targetUidNext, (await input.target.status(input.targetPath)).uidNext) : work.targetUidNext;
}

/** A source's flag changes for copies made earlier; nothing when the target cannot change stored messages. */
async function refreshFlags(input: CopyInput, store: Pick<StoreContext, 'policy'>, cursor: CopyCursor, batch: PageBatch): Promise<number> {
  const mirror = input.target.features.mirror;
  if (!mirror || !batch.flagChanges) return 0;
  return applyFlagChanges({
    target: mirror, targetPath: input.targetPath, policy: store.policy,
    targetsOf: async (keys) => new Map([...(await input.state.copies(cursor.source, keys))].map(([key, copy]) => [key, copy.targetUid])),
  }, batch.flagChanges, batch.compareFlags === true);
}

function folderResult(
  sourcePath: string, targetPath: string, tally: Tally, quarantine: FolderResult['quarantine'], extra: { readonly deletedFromSource?: number },
): FolderResult {
  const { flagsUpdated, targetChanges, ...counts } = tally;
  const changedByTarget = [...targetChanges.values()].reduce((sum, n) => sum + n, 0);
  return {
    sourcePath, targetPath, outcome: 'done', ...counts, quarantine,
    ...(flagsUpdated > 0 ? { flagsUpdated } : {}),
    ...(changedByTarget > 0 ? { changedByTarget, targetChanges: [...targetChanges].map(([how, n]) => `${n} × ${how}`) } : {}),
    ...extra,
  };
}
