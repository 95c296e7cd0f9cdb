/**
 * A POP3 maildrop for the copy engine, copied into one target folder. There is no cursor:
 * the ledger of keys (UIDLs, or content keys where UIDLs cannot be trusted, see
 * maildrop-keys.ts) says what is on the target. A run lists the box, skips what the
 * ledger knows, and copies the rest with the flags and date the pair's options give
 * (POP3 keeps neither). Deletion from the server, if asked, comes last, after every
 * page is committed (maildrop-deletion.ts).
 */
import type { Logger } from 'pino';
import type { Pop3Options } from '../../config/index.js';
import type { MaildropSource, RawMessage } from '../../connectors/types.js';
import { messageDate } from '../../mapping/index.js';
import type { CopyState, QuarantinedMessage, QuarantineEntry, SourceCursor } from '../../state/index.js';
import { fetchBatches, LARGE_MESSAGE_BYTES, type BatchLimits } from './fetch-batches.js';
import { deleteConfirmed } from './maildrop-deletion.js';
import { ContentKeys, identifyMessages, type IdentifiedEntry } from './maildrop-keys.js';
import type { CopySource, PageBatch, SelectionTally } from './page-batch.js';
import { chunk } from './pages.js';
import { sha256, type SourceMessage } from './source-message.js';

/** The one folder a maildrop source lists. */
export const MAILDROP_FOLDER = 'INBOX';

export interface MaildropCopyOptions extends BatchLimits {
  readonly pageSize: number;
  readonly pop3: Pop3Options;
  readonly state: CopyState;
  readonly log: Logger;
  /** The clock, for the date fallback and `older-than` deletion. */
  readonly now?: () => Date;
}

const CURSOR: SourceCursor = { kind: 'maildrop' };

export class MaildropCopySource implements CopySource {
  private entries: readonly IdentifiedEntry[] = [];
  private readonly contentKeys = new ContentKeys();
  /** Every key this run saw in the listing or computed (for the quarantine report). */
  private readonly listedKeys = new Set<string>();
  private readonly now: () => Date;

  constructor(private readonly source: MaildropSource, private readonly options: MaildropCopyOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async begin(): Promise<void> {
    const identification = identifyMessages(await this.source.listMaildrop());
    warnAboutIdentity(this.options.log, identification.sharedUidl, identification.withoutUidl);
    this.entries = identification.entries;
    for (const e of this.entries) if (e.identity.kind === 'uidl') this.listedKeys.add(e.identity.key);
  }

  accepts(cursor: SourceCursor): boolean {
    return cursor.kind === 'maildrop';
  }

  initial(): SourceCursor {
    return CURSOR;
  }

  markerKey(key: string): string {
    return key;
  }

  async *batches(_from: SourceCursor, _quarantined: readonly QuarantineEntry[], tally: SelectionTally): AsyncGenerator<PageBatch> {
    const known = await this.options.state.copies(CURSOR, [...this.listedKeys]);
    // Content-keyed messages are fetched every run: their key is known only from their bytes.
    const todo = this.entries.filter((e) => e.identity.kind === 'content' || !known.has(e.identity.key));
    tally.selected += todo.length;
    const byNumber = new Map(todo.map((e) => [e.entry.number, e]));
    for (const page of chunk(todo, this.options.pageSize)) {
      // A content key is known only once its bytes are: the page's keys fill in as its batches are read.
      const keys: string[] = [];
      const refs = page.map((e) => ({ number: e.entry.number, size: e.entry.size }));
      for await (const batch of fetchBatches(refs, this.options, (b) => this.fetch(b, byNumber))) {
        keys.push(...batch.messages.map((m) => m.key));
        const fresh = await this.withoutKnownContent(batch.messages);
        tally.selected -= batch.messages.length - fresh.length;
        yield { page: { keys, after: CURSOR }, firstOfPage: batch.first, lastOfPage: batch.last, messages: fresh, vanished: batch.vanished, release: batch.release };
      }
    }
  }

  completed(): SourceCursor {
    return CURSOR;
  }

  describeQuarantine(entries: readonly QuarantineEntry[]): QuarantinedMessage[] {
    const numberOf = new Map(this.entries.flatMap((e) => (e.identity.kind === 'uidl' ? [[e.identity.key, e.entry.number] as const] : [])));
    return entries.filter((q) => this.listedKeys.has(q.key)).map((q) => ({ uid: numberOf.get(q.key) ?? 0, uidl: q.key, size: q.size, reason: q.reason }));
  }

  async finish(): Promise<{ deletedFromSource?: number }> {
    const { deletion } = this.options.pop3;
    const deleted = await deleteConfirmed({ source: this.source, state: this.options.state, entries: this.entries, deletion, now: this.now(), log: this.options.log });
    return deletion.mode === 'never' ? {} : { deletedFromSource: deleted };
  }

  /** RETR of a batch (one large message streamed into one buffer); each message keyed, flagged and dated as the pair says. */
  private async fetch(batch: ReadonlyArray<{ number: number; size: number }>, byNumber: ReadonlyMap<number, IdentifiedEntry>): Promise<SourceMessage[]> {
    const [only] = batch;
    const fetchLarge = this.source.features.fetchLarge;
    const raws: RawMessage[] = batch.length === 1 && only && only.size >= LARGE_MESSAGE_BYTES && fetchLarge
      ? [await fetchLarge(only.number, only.size)].filter((m): m is RawMessage => m !== undefined)
      : await this.source.retrieve(batch.map((r) => r.number));
    const flags = this.options.pop3.markSeen ? ['\\Seen'] : [];
    return raws.flatMap((m) => {
      const listed = byNumber.get(m.uid);
      if (!listed) return [];
      const { identity } = listed;
      const hash = sha256(m.raw);
      const key = identity.kind === 'uidl' ? identity.key : this.contentKeys.keyOf(identity.scope, hash);
      this.listedKeys.add(key);
      const inexact = notTheListedMessage(m, listed.entry.size) ?? m.inexact;
      // POP3 keeps neither: \Seen comes from the pair's option, INTERNALDATE from the headers.
      return [{
        key, raw: m.raw, size: m.raw.length, sha256: hash, flags, internalDate: messageDate(m.raw, this.options.pop3.dateFrom, this.now()),
        ...(inexact === undefined ? {} : { inexact }),
      }];
    });
  }

  /** Content-keyed messages already copied (known only now that their key is). */
  private async withoutKnownContent(messages: readonly SourceMessage[]): Promise<SourceMessage[]> {
    const contentKeyed = messages.filter((m) => !this.isUidlKey(m.key)).map((m) => m.key);
    if (contentKeyed.length === 0) return [...messages];
    const known = await this.options.state.copies(CURSOR, contentKeyed);
    return messages.filter((m) => !known.has(m.key));
  }

  private isUidlKey(key: string): boolean {
    // UIDLs are printable ASCII without spaces; content keys contain spaces (maildrop-keys.ts).
    return !key.includes(' ');
  }
}

/**
 * Why RETR's bytes are not the message LIST described, if they are not: LIST gives each
 * message's exact size (RFC 1939 5), so other bytes are something else in its place, such
 * as the notice Courier sends for a message with 8-bit headers to a client that did not
 * enable UTF8. Such a message is quarantined, not stored, and so never deleted.
 */
function notTheListedMessage(message: RawMessage, listedSize: number): string | undefined {
  if (message.raw.length === listedSize) return undefined;
  return `the server sent ${message.raw.length} bytes for message ${message.uid}, which it lists as ${listedSize} bytes: ` +
    'not the message itself (e.g. a notice in its place); it is kept on the server';
}

function warnAboutIdentity(log: Logger, sharedUidl: number, withoutUidl: number): void {
  if (withoutUidl > 0) {
    log.warn({ messages: withoutUidl }, 'the POP3 server gives no UIDL: messages are recognised by content, fetched in full on every run, and never deleted from the server');
  }
  if (sharedUidl > 0) {
    log.warn({ messages: sharedUidl }, 'the POP3 server gives the same UIDL to several messages: those are recognised by content, fetched in full on every run, and never deleted from the server');
  }
}
