/**
 * A folder of an item-keyed source (Exchange) for the copy engine, page by page of the
 * server's changes (SyncFolderItems): the cursor is the server's sync state, stored only
 * with its page, so a crash re-reads at most one page, whose items the ledger (or, between
 * APPEND and commit, the recovery window) already knows. A changed item that was copied
 * before gets its flags brought up to date instead. A sync state the server no longer
 * accepts restarts the enumeration: every item comes again, and the ledger skips those
 * already copied.
 */
import type { Logger } from 'pino';
import { isConnectorError } from '../../connectors/connector-error.js';
import type { ItemChanges, ItemSyncSource } from '../../connectors/types.js';
import type { CopyState, ItemSyncCursor, QuarantinedMessage, QuarantineEntry, SourceCursor } from '../../state/index.js';
import { fetchBatches, type BatchLimits } from './fetch-batches.js';
import type { CopySource, FlagChange, PageBatch, SelectionTally } from './page-batch.js';
import { sha256, type SourceMessage } from './source-message.js';

/** Most items one SyncFolderItems call may return (EWS allows 1..512). */
const MAX_SYNC_CHANGES = 512;

export interface ItemSyncCopyOptions extends BatchLimits {
  readonly pageSize: number;
  readonly state: CopyState;
  readonly log: Logger;
}

type ItemRef = ItemChanges['items'][number];

export class ItemSyncCopySource implements CopySource {
  constructor(private readonly source: ItemSyncSource, private readonly path: string, private readonly options: ItemSyncCopyOptions) {}

  async begin(): Promise<void> {}

  accepts(cursor: SourceCursor): boolean {
    return cursor.kind === 'item-sync';
  }

  initial(): ItemSyncCursor {
    return { kind: 'item-sync' };
  }

  markerKey(key: string): string {
    return key;
  }

  async *batches(from: SourceCursor, quarantined: readonly QuarantineEntry[], tally: SelectionTally): AsyncGenerator<PageBatch> {
    let cursor = from as ItemSyncCursor;
    // Quarantined items lie behind the sync state: they are retried by id, as a page of their own.
    if (quarantined.length > 0) yield* this.page(quarantined.map((q) => ({ id: q.key, size: q.size })), cursor, tally);
    let restarted = false;
    for (;;) {
      let changes: ItemChanges;
      try {
        changes = await this.source.syncItems(this.path, cursor.syncState ?? null, Math.min(MAX_SYNC_CHANGES, this.options.pageSize));
      } catch (error) {
        if (!isConnectorError(error) || error.code !== 'SYNC_STATE_INVALID' || restarted || cursor.syncState === undefined) throw error;
        this.options.log.warn('the server no longer accepts the stored sync state; enumerating the folder again (items already copied are skipped)');
        restarted = true;
        cursor = { kind: 'item-sync' };
        continue;
      }
      cursor = { kind: 'item-sync', syncState: changes.state };
      yield* this.page(changes.items, cursor, tally);
      if (!changes.more) return;
    }
  }

  completed(last: SourceCursor): SourceCursor {
    return last;
  }

  describeQuarantine(entries: readonly QuarantineEntry[]): QuarantinedMessage[] {
    return entries.map((q) => ({ uid: 0, itemId: q.key, size: q.size, reason: q.reason }));
  }

  /** The items not yet on the target, in byte-bounded batches; the flags of those that are. */
  private async *page(items: readonly ItemRef[], after: ItemSyncCursor, tally: SelectionTally): AsyncGenerator<PageBatch> {
    const known = await this.options.state.copies(after, items.map((item) => item.id));
    const todo = items.filter((item) => !known.has(item.id));
    tally.selected += todo.length;
    const flagChanges = await this.flagsOf(items.filter((item) => known.has(item.id)).map((item) => item.id));
    const common = { page: { keys: todo.map((item) => item.id), after }, ...(flagChanges.length > 0 ? { flagChanges, compareFlags: true } : {}) };
    if (todo.length === 0) {
      yield { ...common, firstOfPage: true, lastOfPage: true, messages: [], vanished: 0, release: () => undefined };
      return;
    }
    for await (const batch of fetchBatches(todo, this.options, (b) => this.fetch(b))) {
      const flags = batch.first ? common : { page: common.page };
      yield { ...flags, firstOfPage: batch.first, lastOfPage: batch.last, messages: batch.messages, vanished: batch.vanished, release: batch.release };
    }
  }

  private async fetch(batch: readonly ItemRef[]): Promise<SourceMessage[]> {
    const fetched = await this.source.fetchItems(this.path, batch.map((item) => item.id));
    return fetched.map((item) => ({ key: item.id, raw: item.raw, size: item.raw.length, sha256: sha256(item.raw), flags: item.flags, internalDate: item.internalDate }));
  }

  /** Changed items copied before: their flags now (SyncFolderItems does not say what changed, so they are compared with the copies). */
  private async flagsOf(ids: readonly string[]): Promise<FlagChange[]> {
    const itemFlags = this.source.features.itemFlags;
    if (ids.length === 0 || !itemFlags) return [];
    return (await itemFlags(this.path, ids)).map((item) => ({ key: item.id, flags: item.flags }));
  }
}
