/**
 * Copies one folder of an item-keyed source (Exchange) exactly once, page by page of
 * SyncFolderItems changes:
 *
 *   changes since the sync state -> items not yet on the target -> intent -> APPEND
 *   -> commit page (ledger + the new sync state, fenced by the lease)
 *
 * The sync state is stored only with its page, so a crash re-reads at most one page,
 * whose items the ledger (or, between APPEND and commit, the target window) already
 * knows. A sync state the server no longer accepts restarts the enumeration from the
 * beginning: every item comes again, and the ledger skips those already copied.
 */
import { isConnectorError } from '../connectors/connector-error.js';
import type { ItemChanges, ItemSyncSource } from '../connectors/types.js';
import type { FolderResult, KeyedCheckpoint, KeyedFolderState, KeyedQuarantine } from '../state/index.js';
import { newTally, type CopyCommonInput, type Tally } from './copy-common.js';
import { crashPoint } from './crash-points.js';
import { InterruptedError } from './interrupted-error.js';
import { itemBatches, type ItemRef } from './item-batches.js';
import { newKeyedPageWork, pageTargetUidNext, startKeyedCopy, storeKeyed, type KeyedStoreContext } from './keyed-store.js';
import { noteReleased } from './memory-pressure.js';
import { readAhead } from './source-batches.js';

export interface CopySyncedFolderInput extends CopyCommonInput {
  readonly source: ItemSyncSource;
  readonly state: KeyedFolderState;
  readonly sourcePath: string;
}

/** Most items one SyncFolderItems call may return (EWS allows 1..512). */
const MAX_SYNC_CHANGES = 512;

export async function copySyncedFolder(input: CopySyncedFolderInput): Promise<FolderResult> {
  const { source, target, state, lease, sourcePath, targetPath, log } = input;
  const { targetStatus: tgtStatus, checkpoint, window } = await startKeyedCopy(target, targetPath, state, lease, log);

  const tally = newTally(0);
  const run: PageRun = {
    input, tally,
    store: { target, state, lease, targetPath, log, window, tally, policy: await target.flagPolicy(targetPath) },
    released: new Set((await state.quarantine()).map((q) => q.key)),
    serial: 0,
  };
  let cursor: KeyedCheckpoint = checkpoint ?? {
    targetPath, targetUidValidity: tgtStatus.uidValidity, targetUidNext: window.size > 0 ? 1 : tgtStatus.uidNext,
  };
  // Quarantined items lie behind the sync state: they are retried by id, as a page of their own.
  const quarantined = await state.quarantine();
  if (quarantined.length > 0) cursor = await copyPage(run, quarantined.map((q) => ({ id: q.key, size: q.size })), cursor, cursor.syncState);

  let restarted = false;
  for (;;) {
    if (input.signal.aborted) throw new InterruptedError();
    let page: ItemChanges;
    try {
      page = await source.syncItems(sourcePath, cursor.syncState ?? null, Math.min(MAX_SYNC_CHANGES, input.pageSize));
    } catch (error) {
      if (!isConnectorError(error) || error.code !== 'SYNC_STATE_INVALID' || restarted || cursor.syncState === undefined) throw error;
      log.warn('the server no longer accepts the stored sync state; enumerating the folder again (items already copied are skipped)');
      restarted = true;
      cursor = withoutSyncState(cursor);
      continue;
    }
    cursor = await copyPage(run, page.items, cursor, page.state);
    if (!page.more) break;
  }
  // Complete: every copy of ours in the window has been claimed; leftover intents have nothing more to tell.
  const complete = { ...cursor, targetUidNext: Math.max(cursor.targetUidNext, tgtStatus.uidNext) };
  await state.commitPage(lease, { checkpoint: complete, copied: [], clearIntents: (await state.intents()).map((i) => i.key), quarantined: [], released: [] });
  return result(input, tally, await state.quarantine());
}

/** Shared by every page of one folder run. */
interface PageRun {
  readonly input: CopySyncedFolderInput;
  readonly tally: Tally;
  readonly store: KeyedStoreContext;
  /** Keys in quarantine when the run began: copying one releases it. */
  readonly released: ReadonlySet<string>;
  /** Run-local numbers for the items (the shared target side works with numbers). */
  serial: number;
}

/** Copies the items of one page not yet on the target and commits them with `syncState`; returns the new cursor. */
async function copyPage(run: PageRun, items: ItemChanges['items'], cursor: KeyedCheckpoint, syncState: string | undefined): Promise<KeyedCheckpoint> {
  const { input, tally, store } = run;
  const known = await input.state.copies(items.map((item) => item.id));
  const todo: ItemRef[] = items.filter((item) => !known.has(item.id)).map((item) => ({ serial: (run.serial += 1), id: item.id, size: item.size }));
  tally.selected += todo.length;
  const idOf = new Map(todo.map((item) => [item.serial, item.id]));
  const work = newKeyedPageWork(cursor);
  const batches = readAhead(itemBatches(input.source, input.sourcePath, todo, input.batchBytes, input.budget), (b) => b.release());
  for await (const batch of batches) {
    try {
      tally.vanished += batch.vanished;
      await storeKeyed(store, batch.messages, (uid) => idOf.get(uid) as string, cursor, work);
    } finally {
      batch.release();
      noteReleased(batch.messages.reduce((sum, m) => sum + m.size, 0), Math.max(0, ...batch.messages.map((m) => m.size)));
    }
  }
  const next: KeyedCheckpoint = { ...cursor, targetUidNext: await pageTargetUidNext(store.target, store.targetPath, work), ...(syncState ? { syncState } : {}) };
  const released = work.copied.map(([key]) => key).filter((key) => run.released.has(key));
  await input.state.commitPage(input.lease, { checkpoint: next, copied: work.copied, clearIntents: work.keys, quarantined: work.quarantined, released });
  crashPoint('after-commit');
  await input.onProgress?.(tally.copied + tally.alreadyThere + tally.quarantined, tally.selected);
  return next;
}

function withoutSyncState(cursor: KeyedCheckpoint): KeyedCheckpoint {
  const { syncState: _dropped, ...rest } = cursor;
  return rest;
}

function result(input: CopySyncedFolderInput, tally: Tally, quarantine: readonly KeyedQuarantine[]): FolderResult {
  return {
    sourcePath: input.sourcePath,
    targetPath: input.targetPath,
    outcome: 'done',
    ...tally,
    quarantine: quarantine.map((q) => ({ uid: 0, itemId: q.key, size: q.size, reason: q.reason })),
  };
}
