/**
 * The target side of a copy whose source messages have string keys (POP3 UIDLs, EWS
 * ItemIds): claim copies already in the target window, write intents, APPEND, and
 * collect what the page commit records. Messages carry a run-local number as `srcUid`;
 * `keyOf` maps it to the durable key.
 */
import type { Logger } from 'pino';
import type { FlagPolicy, FolderStatus, TargetConnector } from '../connectors/types.js';
import type { KeyedCheckpoint, KeyedCopy, KeyedFolderState, KeyedQuarantine, Lease } from '../state/index.js';
import { appendMessages } from './append-messages.js';
import { copyMarker, openWindow, type CopyWindow, type Tally } from './copy-common.js';
import { crashPoint } from './crash-points.js';
import type { HashedMessage } from './source-batches.js';

/** What the page in progress has done so far, committed when its last batch is stored. */
export interface KeyedPageWork {
  readonly keys: string[];
  readonly copied: Array<readonly [string, KeyedCopy]>;
  readonly quarantined: KeyedQuarantine[];
  targetUidNext: number;
  uidUnknown: boolean;
}

export function newKeyedPageWork(cursor: KeyedCheckpoint): KeyedPageWork {
  return { keys: [], copied: [], quarantined: [], targetUidNext: cursor.targetUidNext, uidUnknown: false };
}

export interface KeyedStoreContext {
  readonly target: TargetConnector;
  readonly state: KeyedFolderState;
  readonly lease: Lease;
  readonly targetPath: string;
  readonly log: Logger;
  readonly window: CopyWindow;
  readonly policy: FlagPolicy;
  readonly tally: Tally;
}

/** Stores `messages` (flags and dates final) on the target, recording everything in `work`. */
export async function storeKeyed(
  ctx: KeyedStoreContext, messages: readonly HashedMessage[], keyOf: (srcUid: number) => string, cursor: KeyedCheckpoint, work: KeyedPageWork,
): Promise<void> {
  const { target, state, lease, targetPath, log, tally } = ctx;
  const dateOf = new Map(messages.map((m) => [m.srcUid, m.message.internalDate]));
  const copy = (srcUid: number, targetUid: number): readonly [string, KeyedCopy] => [keyOf(srcUid), { targetUid, date: dateOf.get(srcUid) as Date }];
  work.keys.push(...messages.map((m) => keyOf(m.srcUid)));

  const markerOf = (srcUid: number) => keyedMarker(state, keyOf(srcUid));
  const claims = await ctx.window.claim(messages, markerOf);
  for (const [srcUid, tgtUid] of claims) work.copied.push(copy(srcUid, tgtUid));
  tally.alreadyThere += claims.size;

  const toAppend = messages.filter((m) => !claims.has(m.srcUid));
  if (toAppend.length === 0) return;
  await state.writeIntents(lease, toAppend.map((m) => ({ key: keyOf(m.srcUid), size: m.size, sha256: m.sha256, targetUidNextBefore: cursor.targetUidNext })));
  crashPoint('after-intents');
  const outcome = await appendMessages(target, targetPath, toAppend, ctx.policy, markerOf);
  for (const appended of outcome.appended) {
    crashPoint('after-append');
    work.copied.push(copy(appended.srcUid, appended.uid ?? 0));
    tally.copied += 1;
    tally.bytes += appended.size;
    if (appended.uid === undefined) work.uidUnknown = true;
    else work.targetUidNext = Math.max(work.targetUidNext, appended.uid + 1);
  }
  for (const refused of outcome.refused) {
    log.warn({ key: keyOf(refused.srcUid), size: refused.size, reason: refused.reason }, 'target refused message; quarantined');
    work.quarantined.push({ key: keyOf(refused.srcUid), size: refused.size, code: refused.code, reason: refused.reason });
  }
  tally.quarantined += outcome.refused.length;
}

/** The marker a copy of the message with `key` carries on targets that keep one. */
export function keyedMarker(state: KeyedFolderState, key: string): string {
  return copyMarker(state.pairId, state.fid, key);
}

/** The target's UIDNEXT after a page: from APPENDUID, or asked when the server did not say. */
export async function pageTargetUidNext(target: TargetConnector, path: string, work: KeyedPageWork): Promise<number> {
  return work.uidUnknown ? Math.max(work.targetUidNext, (await target.status(path)).uidNext) : work.targetUidNext;
}

/** Where a keyed copy starts: the target folder, the checkpoint still valid for it, the recovery window. */
export interface KeyedStart {
  readonly targetStatus: FolderStatus;
  readonly checkpoint: KeyedCheckpoint | null;
  readonly window: CopyWindow;
}

/**
 * Reads the keyed folder's state against its target folder. A checkpoint made for
 * another target folder (another path, or one recreated: new UIDVALIDITY) no longer
 * says what is on the target: it is forgotten and everything is re-matched by content.
 */
export async function startKeyedCopy(
  target: TargetConnector, targetPath: string, state: KeyedFolderState, lease: Lease, log: Logger,
): Promise<KeyedStart> {
  const targetStatus = await target.status(targetPath);
  let checkpoint = await state.checkpoint();
  if (checkpoint && (checkpoint.targetPath !== targetPath || checkpoint.targetUidValidity !== targetStatus.uidValidity)) {
    log.warn({ was: checkpoint.targetPath, now: targetPath }, 'target folder changed (another path, or recreated); re-matching by content');
    await state.reset(lease);
    checkpoint = null;
  }
  const intents = await state.intents();
  const fromUid = checkpoint ? Math.min(checkpoint.targetUidNext, ...intents.map((i) => i.targetUidNextBefore)) : null;
  const window = await openWindow(target, targetPath, fromUid, targetStatus, () => new Set(intents.map((i) => keyedMarker(state, i.key))));
  if (window.size > 0) log.info({ window: window.size }, 'checking target window for copies made before an interruption');
  return { targetStatus, checkpoint, window };
}
