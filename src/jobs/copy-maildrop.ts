/**
 * Copies a POP3 maildrop into one target folder, exactly once, in bounded pages:
 *
 *   listing (UIDL + LIST) -> keys not yet on the target -> intent -> APPEND -> commit page
 *
 * The checkpoint is the set of keys (UIDLs) already on the target. A crash between
 * APPEND and commit is healed as for IMAP: the target window (from the last committed
 * target UIDNEXT) is searched by size + SHA-256 before appending again. POP3 has no
 * flags or dates: the pair's options give them. Deletion from the server, if asked,
 * comes last (maildrop-deletion.ts).
 */
import type { Logger } from 'pino';
import type { Pop3Options } from '../config/index.js';
import type { MaildropSource } from '../connectors/types.js';
import { messageDate } from '../mapping/index.js';
import type { FolderResult, KeyedCheckpoint, KeyedFolderState, KeyedQuarantine } from '../state/index.js';
import { newTally, type CopyCommonInput, type Tally } from './copy-common.js';
import { crashPoint } from './crash-points.js';
import { InterruptedError } from './interrupted-error.js';
import { deleteConfirmed } from './maildrop-deletion.js';
import { newKeyedPageWork, pageTargetUidNext, startKeyedCopy, storeKeyed, type KeyedPageWork, type KeyedStoreContext } from './keyed-store.js';
import { ContentKeys, identifyMessages, type IdentifiedEntry } from './maildrop-keys.js';
import { noteReleased } from './memory-pressure.js';
import { chunk } from './pages.js';
import { readAhead, sourceBatches, type HashedMessage, type SourceBatch } from './source-batches.js';

/** The one folder a maildrop source lists. */
export const MAILDROP_FOLDER = 'INBOX';

export interface CopyMaildropInput extends CopyCommonInput {
  readonly source: MaildropSource;
  readonly state: KeyedFolderState;
  readonly options: Pop3Options;
  /** The clock, for the date fallback and `older-than` deletion. */
  readonly now?: () => Date;
}

/** Shared by every batch of one run. */
interface RunContext {
  readonly input: CopyMaildropInput;
  readonly store: KeyedStoreContext;
  readonly byNumber: ReadonlyMap<number, IdentifiedEntry>;
  readonly contentKeys: ContentKeys;
  readonly tally: Tally;
  readonly now: () => Date;
  /** Every key this run saw in the listing or computed (for the quarantine report). */
  readonly listedKeys: Set<string>;
}

export async function copyMaildrop(input: CopyMaildropInput): Promise<FolderResult> {
  const { source, target, state, lease, targetPath, log } = input;
  const now = input.now ?? (() => new Date());
  const identification = identifyMessages(await source.listMaildrop());
  warnAboutIdentity(log, identification.sharedUidl, identification.withoutUidl);
  const { targetStatus: tgtStatus, checkpoint, window } = await startKeyedCopy(target, targetPath, state, lease, log);

  const entries = identification.entries;
  const uidlKeys = entries.flatMap((e) => (e.identity.kind === 'uidl' ? [e.identity.key] : []));
  const known = await state.copies(uidlKeys);
  // Content-keyed messages are fetched every run: their key is known only from their bytes.
  const todo = entries.filter((e) => e.identity.kind === 'content' || !known.has(e.identity.key));
  const tally = newTally(todo.length);
  await input.onProgress?.(0, todo.length);

  const run: RunContext = {
    input, tally, now,
    store: { target, state, lease, targetPath, log, window, tally, policy: await target.flagPolicy(targetPath) },
    byNumber: new Map(entries.map((e) => [e.entry.number, e])),
    contentKeys: new ContentKeys(),
    listedKeys: new Set(uidlKeys),
  };
  const wasQuarantined = new Set((await state.quarantine()).map((q) => q.key));
  let cursor: KeyedCheckpoint = checkpoint ?? {
    targetPath, targetUidValidity: tgtStatus.uidValidity, targetUidNext: window.size > 0 ? 1 : tgtStatus.uidNext,
  };
  const pages = chunk(todo.map((e) => e.entry.number), input.pageSize);
  let work = newKeyedPageWork(cursor);
  let done = 0;

  const batches = readAhead(sourceBatches(source, MAILDROP_FOLDER, pages, input.batchBytes, input.budget), (b) => b.release());
  for await (const batch of batches) {
    try {
      if (batch.firstOfPage && input.signal.aborted) throw new InterruptedError();
      await storeBatch(run, batch, cursor, work);
    } finally {
      batch.release();
      noteReleased(batch.messages.reduce((sum, m) => sum + m.size, 0), Math.max(0, ...batch.messages.map((m) => m.size)));
    }
    if (!batch.lastOfPage) continue;

    tally.vanished += batch.vanished;
    cursor = { ...cursor, targetUidNext: await pageTargetUidNext(target, targetPath, work) };
    const released = work.copied.map(([key]) => key).filter((key) => wasQuarantined.has(key));
    await state.commitPage(lease, { checkpoint: cursor, copied: work.copied, clearIntents: work.keys, quarantined: work.quarantined, released });
    crashPoint('after-commit');
    work = newKeyedPageWork(cursor);
    done += batch.page.length;
    await input.onProgress?.(done, todo.length);
  }
  // Complete: every copy of ours in the window has been claimed, and intents left over
  // (for messages gone from the server meanwhile) have nothing more to tell.
  const complete = { ...cursor, targetUidNext: Math.max(cursor.targetUidNext, tgtStatus.uidNext) };
  const stale = (await state.intents()).map((i) => i.key);
  await state.commitPage(lease, { checkpoint: complete, copied: [], clearIntents: stale, quarantined: [], released: [] });

  // Stopping now leaves the box as it was; the next run deletes what this one copied.
  if (input.signal.aborted) throw new InterruptedError();
  const deleted = await deleteConfirmed({ source, state, entries, deletion: input.options.deletion, now: now(), log });
  const stillQuarantined = (await state.quarantine()).filter((q) => run.listedKeys.has(q.key));
  return result(input, tally, stillQuarantined, run.byNumber, deleted);
}

function warnAboutIdentity(log: Logger, sharedUidl: number, withoutUidl: number): void {
  if (withoutUidl > 0) {
    log.warn({ messages: withoutUidl }, 'the POP3 server gives no UIDL: messages are recognised by content, fetched in full on every run, and never deleted from the server');
  }
  if (sharedUidl > 0) {
    log.warn({ messages: sharedUidl }, 'the POP3 server gives the same UIDL to several messages: those are recognised by content, fetched in full on every run, and never deleted from the server');
  }
}

/** Keys each message and skips content-keyed ones already copied; the rest goes to the target. */
async function storeBatch(run: RunContext, batch: SourceBatch, cursor: KeyedCheckpoint, work: KeyedPageWork): Promise<void> {
  const { input, tally } = run;
  const keyOf = new Map<number, string>();
  const contentKeyed: string[] = [];
  for (const m of batch.messages) {
    const identity = run.byNumber.get(m.srcUid)?.identity;
    if (!identity) continue;
    const key = identity.kind === 'uidl' ? identity.key : run.contentKeys.keyOf(identity.scope, m.sha256);
    keyOf.set(m.srcUid, key);
    run.listedKeys.add(key);
    if (identity.kind === 'content') contentKeyed.push(key);
  }
  // UIDL-keyed messages were filtered before fetching; content-keyed ones only now.
  const known = await input.state.copies(contentKeyed);
  const fresh = batch.messages.filter((m) => keyOf.has(m.srcUid) && !known.has(keyOf.get(m.srcUid) as string));
  tally.selected -= batch.messages.length - fresh.length;
  const messages = fresh.map((m) => withPop3FlagsAndDate(m, input.options, run.now()));
  await storeKeyed(run.store, messages, (uid) => keyOf.get(uid) as string, cursor, work);
}

/** POP3 keeps neither: \Seen comes from the pair's option, INTERNALDATE from the headers. */
function withPop3FlagsAndDate(m: HashedMessage, options: Pop3Options, now: Date): HashedMessage {
  const flags = options.markSeen ? ['\\Seen'] : [];
  return { ...m, message: { ...m.message, flags, internalDate: messageDate(m.message.raw, options.dateFrom, now) } };
}

function result(input: CopyMaildropInput, tally: Tally, quarantine: readonly KeyedQuarantine[], byNumber: ReadonlyMap<number, IdentifiedEntry>, deleted: number): FolderResult {
  const numberOf = new Map([...byNumber.values()].flatMap((e) => (e.identity.kind === 'uidl' ? [[e.identity.key, e.entry.number] as const] : [])));
  return {
    sourcePath: MAILDROP_FOLDER,
    targetPath: input.targetPath,
    outcome: 'done',
    ...tally,
    quarantine: quarantine.map((q) => ({ uid: numberOf.get(q.key) ?? 0, uidl: q.key, size: q.size, reason: q.reason })),
    ...(input.options.deletion.mode === 'never' ? {} : { deletedFromSource: deleted }),
  };
}
