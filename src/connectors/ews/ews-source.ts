/**
 * An Exchange mailbox read over EWS as an item-sync source: folders from FindFolders,
 * pages of changes from SyncFolderItems (ids and sizes only), then MIME and state from
 * GetItem in batches, as Microsoft's synchronization guidance describes.
 *
 * Nothing here changes the mailbox: GetItem with MimeContent does not mark items read.
 */
import {
  ChangeType, FolderId, ItemFlagStatus, ItemId, ServiceResult, SyncFolderItemsScope, type EmailMessage, type GetItemResponse, type Item, type PropertySet,
} from 'ews-javascript-api';
import { messageDate } from '../../mapping/index.js';
import { ConnectorError } from '../connector-error.js';
import type { ItemChanges, ItemFlags, ItemFolderInfo, ItemMessage, ItemSyncFeatures, ItemSyncSource, ListFoldersOptions, Namespace } from '../types.js';
import { errorName, responseError } from './ews-errors.js';
import type { EwsAccountOptions } from './ews-options.js';
import { EwsSession } from './ews-session.js';
import { itemFolderInfo, PATH_DELIMITER } from '../exchange/folder-tree.js';
import { itemFlags, type ItemState } from '../exchange/item-flags.js';
import { fetchPropertySet, flagsPropertySet, LAST_VERB_EXECUTED, syncPropertySet } from './item-properties.js';
import { decodeMimeContent } from './mime-content.js';

/** SyncFolderItems returns 1..512 changes per call. */
export const MAX_SYNC_CHANGES = 512;
/** Ids per GetItem; the caller bounds a batch by bytes, this bounds one request's XML. */
const GET_ITEM_BATCH = 100;

export class EwsSource implements ItemSyncSource {
  readonly kind = 'item-sync' as const;
  readonly features: ItemSyncFeatures = { itemFlags: (path, ids) => this.itemFlags(path, ids) };
  private readonly session: EwsSession;

  constructor(account: EwsAccountOptions) {
    this.session = new EwsSession(account);
  }

  connect(): Promise<void> {
    return this.session.connect();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  /** One personal namespace, "/" between levels, no prefix (the paths of folder-tree.ts). */
  async namespace(): Promise<Namespace> {
    return { prefix: '', delimiter: PATH_DELIMITER };
  }

  /**
   * Every folder under msgfolderroot, mail or not: the caller reports the others as
   * skipped. A fresh listing each time (the cached one only resolves paths).
   */
  async listFolders(options?: ListFoldersOptions): Promise<ItemFolderInfo[]> {
    this.session.forgetFolders();
    const index = await this.session.folders();
    return index.entries.map((entry) => itemFolderInfo(entry, options?.withStatus === true));
  }

  /**
   * One page of SyncFolderItems. Create and Update (and ReadFlagChange, a change of the
   * read state) are items; an id appears once per page.
   * @param maxChanges - clamped to EWS's 1..512.
   */
  async syncItems(path: string, state: string | null, maxChanges: number): Promise<ItemChanges> {
    const folder = await this.resolve(path);
    const max = Math.min(MAX_SYNC_CHANGES, Math.max(1, Math.trunc(maxChanges) || 1));
    const syncState = state === '' ? null : state;
    const changes = await this.session.call(`sync items of "${path}"`, 'folder', (service) =>
      service.SyncFolderItems(new FolderId(folder.id), syncPropertySet(), null as unknown as ItemId[], max, SyncFolderItemsScope.NormalItems, syncState as string));
    const items: Array<{ id: string; size: number }> = [];
    const deleted: string[] = [];
    const seen = new Set<string>();
    for (const change of changes.GetEnumerator()) {
      const id = change.ItemId?.UniqueId ?? change.Item?.Id?.UniqueId;
      if (id === undefined || seen.has(id)) continue;
      seen.add(id);
      if (change.ChangeType === ChangeType.Delete) deleted.push(id);
      else items.push({ id, size: sizeOf(change.Item) });
    }
    if (typeof changes.SyncState !== 'string' || changes.SyncState === '') {
      throw new ConnectorError(`sync items of "${path}" on ${this.session.label}: the server sent no sync state`, { code: 'PROTOCOL', scope: 'folder', retry: 'now' });
    }
    return { items, deleted, state: changes.SyncState, more: changes.MoreChangesAvailable === true };
  }

  /**
   * GetItem in batches of 100 ids. An item deleted (ErrorItemNotFound) or moved to another
   * folder meanwhile is absent; any other refusal of one item throws a ConnectorError
   * with scope 'message' that names the item. `size` is the MIME's byte length (EWS's
   * Size is the MAPI size, which differs).
   */
  fetchItems(path: string, ids: readonly string[]): Promise<ItemMessage[]> {
    return this.getItems(path, ids, fetchPropertySet(), {
      batch: (n) => `fetch ${n} items from "${path}"`,
      item: (id) => `fetch item ${id} from "${path}" on ${this.session.label}`,
    }, (item, id, what) => {
      const raw = decodeMimeContent(safe(() => item.MimeContent?.Content));
      if (!raw) throw new ConnectorError(`${what}: the server sent no MIME content`, { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never' });
      const received = safe(() => item.DateTimeReceived?.TotalMilliSeconds);
      const internalDate = typeof received === 'number' && Number.isFinite(received) ? new Date(received) : messageDate(raw, 'received', new Date());
      return { id: item.Id?.UniqueId ?? id, raw, size: raw.length, flags: itemFlags(stateOf(item)), internalDate };
    });
  }

  /**
   * The flags of items without their MIME (GetItem of the state properties), for items
   * copied before that changed since; items gone or moved meanwhile are absent.
   */
  itemFlags(path: string, ids: readonly string[]): Promise<ItemFlags[]> {
    return this.getItems(path, ids, flagsPropertySet(), {
      batch: (n) => `read the flags of ${n} items in "${path}"`,
      item: (id) => `read the flags of item ${id} in "${path}" on ${this.session.label}`,
    }, (item, id) => ({ id: item.Id?.UniqueId ?? id, flags: itemFlags(stateOf(item)) }));
  }

  /**
   * GetItem of `ids` with `properties`, 100 per request; `read` turns each item of the
   * folder into a result. Items deleted or moved to another folder meanwhile are absent.
   */
  private async getItems<T>(
    path: string, ids: readonly string[], properties: PropertySet,
    what: { batch: (count: number) => string; item: (id: string) => string },
    read: (item: Item, id: string, what: string) => T,
  ): Promise<T[]> {
    if (ids.length === 0) return [];
    const folder = await this.resolve(path);
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += GET_ITEM_BATCH) {
      const batch = ids.slice(i, i + GET_ITEM_BATCH);
      const responses = await this.session.call(what.batch(batch.length), 'folder', (service) =>
        service.BindToItems(batch.map((id) => new ItemId(id)), properties));
      batch.forEach((id, n) => {
        const itemWhat = what.item(id);
        const item = this.folderItem(responses.Responses[n] as GetItemResponse | undefined, folder.id, itemWhat);
        if (item) out.push(read(item, id, itemWhat));
      });
    }
    return out;
  }

  /** The response's item, or undefined when it is gone or now in another folder; a refusal throws. */
  private folderItem(response: GetItemResponse | undefined, folderId: string, what: string): Item | undefined {
    if (!response) throw new ConnectorError(`${what}: no response for the item`, { code: 'PROTOCOL', scope: 'message', retry: 'now' });
    if (response.Result === ServiceResult.Error) {
      if (errorName(response.ErrorCode) === 'ErrorItemNotFound') return undefined;
      throw responseError(response, what);
    }
    const parent = safe(() => response.Item.ParentFolderId?.UniqueId);
    return parent !== undefined && parent !== folderId ? undefined : response.Item;
  }

  private async resolve(path: string) {
    return this.session.folder(path);
  }
}

function sizeOf(item: Item | null | undefined): number {
  const size = Number(item?.Size);
  return Number.isFinite(size) && size >= 0 ? size : 0;
}

/** The state of an item as itemFlags() needs it; properties the server did not send count as unset. */
function stateOf(item: Item): ItemState {
  const verb = { outValue: null as unknown };
  safe(() => item.ExtendedProperties.TryGetValue(LAST_VERB_EXECUTED, verb));
  const status = safe(() => item.Flag?.FlagStatus);
  const isRead = safe(() => (item as EmailMessage).IsRead);
  const isDraft = safe(() => item.IsDraft);
  const lastVerb = verb.outValue === null || verb.outValue === undefined ? Number.NaN : Number(verb.outValue);
  return {
    isRead: typeof isRead === 'boolean' ? isRead : undefined,
    flagStatus: status === ItemFlagStatus.Flagged ? 'Flagged' : status === ItemFlagStatus.Complete ? 'Complete' : status === ItemFlagStatus.NotFlagged ? 'NotFlagged' : undefined,
    lastVerb: Number.isFinite(lastVerb) ? lastVerb : undefined,
    categories: (safe(() => item.Categories?.GetEnumerator()) ?? []).filter((c): c is string => typeof c === 'string'),
    ...(typeof isDraft === 'boolean' ? { isDraft } : {}),
  };
}

/**
 * A property read that cannot throw: the library's getters throw for a property the
 * response did not carry on some item types (an appointment has no IsRead).
 */
function safe<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
