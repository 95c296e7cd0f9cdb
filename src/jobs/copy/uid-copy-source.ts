/**
 * A folder of a UID source (IMAP, a Maildir) for the copy engine. The cursor is the
 * highest UID copied under the folder's UIDVALIDITY; a run lists the UIDs above it (and
 * retries the quarantined ones first), reads their sizes page by page and their bytes in
 * byte-bounded batches. On a re-run it also brings the flags of messages copied earlier
 * up to date (the cut-over pass): only those changed since the last complete run with
 * CONDSTORE (RFC 7162 CHANGEDSINCE), else all of them, compared with their copies.
 */
import type { FolderStatus, MessageMeta, RawMessage, UidSource } from '../../connectors/types.js';
import type { QuarantinedMessage, QuarantineEntry, SourceCursor, UidCursor } from '../../state/index.js';
import { fetchBatches, LARGE_MESSAGE_BYTES, type BatchLimits } from './fetch-batches.js';
import type { CopySource, PageBatch, SelectionTally } from './page-batch.js';
import { chunk } from './pages.js';
import { sha256, type SourceMessage } from './source-message.js';

export interface UidCopyOptions extends BatchLimits {
  readonly pageSize: number;
  /** Bring the flags of earlier copies up to date (a migration's re-run; mirrors do it themselves). */
  readonly refreshFlags: boolean;
}

export class UidCopySource implements CopySource {
  private current: FolderStatus | undefined;

  constructor(private readonly source: UidSource, private readonly path: string, private readonly options: UidCopyOptions) {}

  /** The folder's status as this run read it (valid after begin()): a mirror pass starts from it. */
  get status(): FolderStatus {
    if (this.current === undefined) throw new Error('UidCopySource.status read before begin()');
    return this.current;
  }

  async begin(): Promise<void> {
    this.current = await this.source.status(this.path);
  }

  accepts(cursor: SourceCursor): boolean {
    return cursor.kind === 'uid' && cursor.uidValidity === this.status.uidValidity;
  }

  initial(): UidCursor {
    return { kind: 'uid', uidValidity: this.status.uidValidity, lastUid: 0, uidNext: 0 };
  }

  markerKey(key: string): string {
    return `${this.status.uidValidity}/${key}`;
  }

  async *batches(from: SourceCursor, quarantined: readonly QuarantineEntry[], tally: SelectionTally): AsyncGenerator<PageBatch> {
    const cursor = from as UidCursor;
    const flags = await this.flagChanges(cursor);
    if (flags) yield flags;
    const retry = this.ofThisFolder(quarantined).map((q) => Number(q.key));
    const uids = [...retry, ...(await this.source.listUids(this.path, cursor.lastUid))];
    tally.selected += uids.length;
    let after = cursor;
    for (const page of chunk(uids, this.options.pageSize)) {
      after = { ...after, lastUid: Math.max(after.lastUid, ...page) };
      yield* this.pageBatches(page, after);
    }
  }

  completed(last: SourceCursor): UidCursor {
    const { highestModseq: _old, ...cursor } = last as UidCursor;
    const modseq = this.status.highestModseq;
    // Only a complete folder may take the "nothing new" fast path on the next run.
    return { ...cursor, uidNext: this.status.uidNext, ...(modseq === undefined ? {} : { highestModseq: modseq }) };
  }

  describeQuarantine(entries: readonly QuarantineEntry[]): QuarantinedMessage[] {
    return this.ofThisFolder(entries).map((q) => ({ uid: Number(q.key), size: q.size, reason: q.reason }));
  }

  private ofThisFolder(entries: readonly QuarantineEntry[]): QuarantineEntry[] {
    return entries.filter((q) => q.uidValidity === undefined || q.uidValidity === this.status.uidValidity);
  }

  private async *pageBatches(page: readonly number[], after: UidCursor): AsyncGenerator<PageBatch> {
    const metas = await this.source.fetchMeta(this.path, page);
    const common = { page: { keys: page.map(String), after } };
    const gone = page.length - metas.length;
    if (metas.length === 0) yield { ...common, firstOfPage: true, lastOfPage: true, messages: [], vanished: gone, release: () => undefined };
    for await (const batch of fetchBatches(metas, this.options, (b) => this.fetch(b))) {
      const vanished = batch.vanished + (batch.last ? gone : 0);
      yield { ...common, firstOfPage: batch.first, lastOfPage: batch.last, messages: batch.messages, vanished, release: batch.release };
    }
  }

  private async fetch(batch: readonly MessageMeta[]): Promise<SourceMessage[]> {
    const [only] = batch;
    const fetchLarge = this.source.features.fetchLarge;
    const raws: RawMessage[] = batch.length === 1 && only && only.size >= LARGE_MESSAGE_BYTES && fetchLarge
      ? [await fetchLarge(this.path, only)].filter((m): m is RawMessage => m !== undefined)
      : await this.source.fetchRaw(this.path, batch.map((m) => m.uid));
    return raws.map((m) => ({
      key: String(m.uid), raw: m.raw, size: m.raw.length, sha256: sha256(m.raw), flags: m.flags, internalDate: m.internalDate,
      ...(m.inexact === undefined ? {} : { inexact: m.inexact }),
    }));
  }

  /**
   * The flags of the messages copied before, when they may have changed: a page of its
   * own, ahead of the new messages, that moves no cursor.
   */
  private async flagChanges(cursor: UidCursor): Promise<PageBatch | undefined> {
    const mirror = this.source.features.mirror;
    if (!this.options.refreshFlags || !mirror || cursor.lastUid < 1) return undefined;
    const now = this.status.highestModseq;
    const changedSince = now !== undefined ? cursor.highestModseq : undefined;
    if (changedSince !== undefined && changedSince === now) return undefined;
    const changed = await mirror.fetchFlags(this.path, cursor.lastUid, changedSince);
    if (changed.length === 0) return undefined;
    return {
      page: { keys: [], after: cursor }, firstOfPage: true, lastOfPage: true, messages: [], vanished: 0, release: () => undefined,
      flagChanges: changed.map((m) => ({ key: String(m.uid), flags: m.flags })),
      compareFlags: changedSince === undefined,
    };
  }
}
