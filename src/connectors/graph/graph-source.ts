/**
 * An Exchange Online mailbox read through Microsoft Graph as an item-sync source:
 *
 * - folders from mailFolders/childFolders (graph-folders.ts);
 * - each folder's messages by delta query (concepts/delta-query-messages.md): the cursor
 *   is the link Graph gave, the nextLink within a round and the deltaLink at its end, so
 *   the engine stores it only with its page; a token Graph no longer accepts is
 *   SYNC_STATE_INVALID and the engine enumerates the folder again;
 * - the exact MIME from GET messages/{id}/$value, read into one buffer of its size;
 * - flags and INTERNALDATE from the properties the delta page carried (message-state.ts).
 *
 * Ids are asked for as immutable ids (Prefer: IdType="ImmutableId"), so a message keeps its
 * id when it moves between folders and the ledger's keys stay valid. Nothing here changes
 * the mailbox: reading $value does not mark a message read.
 */
import { ConnectorError } from '../connector-error.js';
import { itemFolderInfo, PATH_DELIMITER } from '../exchange/folder-tree.js';
import type { BearerTokenSource } from '../oauth/index.js';
import type { ItemChanges, ItemFlags, ItemFolderInfo, ItemMessage, ItemSyncFeatures, ItemSyncSource, ListFoldersOptions, Namespace } from '../types.js';
import { GraphFolders } from './graph-folders.js';
import { graphHttpFor } from './graph-account.js';
import type { GraphHttp } from './graph-http.js';
import { graphLabel, type GraphAccountOptions } from './graph-options.js';
import { MESSAGE_QUERY, messageState, type GraphMessage, type MessageState } from './message-state.js';
import { countOtherItems } from './other-items.js';

/** The most messages one delta page is asked for (Prefer: odata.maxpagesize); Graph may send fewer. */
const MAX_PAGE = 1000;
/** Message states kept between a delta page and the reads of its messages; far more than a page. */
const REMEMBERED_STATES = 20_000;
/** Ids per metadata batch ($batch holds at most 20 requests). */
const BATCH = 20;
const IMMUTABLE_IDS = { Prefer: 'IdType="ImmutableId"' };

interface DeltaPage {
  readonly value?: GraphMessage[];
  readonly '@odata.nextLink'?: string;
  readonly '@odata.deltaLink'?: string;
}

export class GraphSource implements ItemSyncSource {
  readonly kind = 'item-sync' as const;
  readonly features: ItemSyncFeatures = {
    itemFlags: (path, ids) => this.itemFlags(path, ids),
    mirror: { countItems: (path) => this.countItems(path), listAllIds: (path) => this.listAllIds(path) },
  };
  readonly label: string;
  private readonly http: GraphHttp;
  private readonly mailbox: string;
  private readonly folders: GraphFolders;
  /** State of the messages of recent delta pages, by id: what fetchItems and itemFlags need besides the MIME. */
  private readonly seen = new Map<string, MessageState>();

  constructor(options: GraphAccountOptions, tokens?: BearerTokenSource) {
    this.label = graphLabel(options);
    this.mailbox = `/users/${encodeURIComponent(options.mailbox)}`;
    this.http = graphHttpFor(options, tokens);
    this.folders = new GraphFolders(this.http, this.mailbox, this.label);
  }

  /** Checks that the mailbox can be read: a token, the permission, the mailbox itself. */
  async connect(): Promise<void> {
    await this.http.getJson(`${this.mailbox}/mailFolders/inbox?$select=id`, 'open the mailbox');
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Display names joined with "/", no prefix (exchange/folder-tree.ts). */
  async namespace(): Promise<Namespace> {
    return { prefix: '', delimiter: PATH_DELIMITER };
  }

  /** The mail folders, then calendar, contacts and tasks as folders of their kind (reported as skipped with their counts). */
  async listFolders(options?: ListFoldersOptions): Promise<ItemFolderInfo[]> {
    const entries = await this.folders.list();
    const mail = entries.map((entry) => itemFolderInfo(entry, options?.withStatus === true));
    const taken = new Set(mail.map((f) => f.path.toLowerCase()));
    const other = (await countOtherItems(this.http, this.mailbox)).map((items): ItemFolderInfo => {
      // A mail folder may have the same name: the skipped kind then says what it is.
      const path = taken.has(items.name.toLowerCase()) ? `${items.name} (${items.content})` : items.name;
      return { path, delimiter: PATH_DELIMITER, selectable: true, content: items.content, itemCount: items.count };
    });
    return [...mail, ...other];
  }

  /**
   * One delta page of the folder. `state` is a link Graph gave (nextLink or deltaLink);
   * null starts a new round. Changed messages come as items (the engine compares the
   * flags of those it copied before); deleted or moved-away ones as `deleted`.
   */
  async syncItems(path: string, state: string | null, maxChanges: number): Promise<ItemChanges> {
    const url = state === null || state === '' ? `${this.mailbox}/mailFolders/${(await this.folders.folder(path)).id}/messages/delta?${MESSAGE_QUERY}` : state;
    if (state && new URL(state).host !== new URL(this.http.endpoint).host) {
      throw new ConnectorError(`sync "${path}" of ${this.label}: the stored delta link points to another host`, { code: 'SYNC_STATE_INVALID', scope: 'folder', retry: 'now' });
    }
    const max = Math.min(MAX_PAGE, Math.max(1, Math.trunc(maxChanges) || 1));
    const page = await this.http.getJson<DeltaPage>(url, `sync "${path}"`, { Prefer: `${IMMUTABLE_IDS.Prefer}, odata.maxpagesize=${max}` });
    const items: Array<{ id: string; size: number }> = [];
    const deleted: string[] = [];
    const inPage = new Set<string>();
    for (const message of page.value ?? []) {
      if (typeof message.id !== 'string' || inPage.has(message.id)) continue;
      inPage.add(message.id);
      if (message['@removed'] !== undefined) {
        deleted.push(message.id);
        this.seen.delete(message.id);
        continue;
      }
      const known = messageState(message);
      this.remember(message.id, known);
      items.push({ id: message.id, size: known.size });
    }
    const next = page['@odata.nextLink'] ?? page['@odata.deltaLink'];
    if (typeof next !== 'string' || next === '') {
      throw new ConnectorError(`sync "${path}" of ${this.label}: Graph sent neither a nextLink nor a deltaLink`, { code: 'PROTOCOL', scope: 'folder', retry: 'now' });
    }
    return { items, deleted, state: next, more: page['@odata.nextLink'] !== undefined };
  }

  /**
   * The MIME of each message, exactly as $value sends it, with the state its delta page
   * carried (read by id for one not seen in this session). A message gone or moved to
   * another folder meanwhile is absent.
   */
  async fetchItems(path: string, ids: readonly string[]): Promise<ItemMessage[]> {
    const folder = await this.folders.folder(path);
    const states = await this.statesOf(ids, path);
    const out: ItemMessage[] = [];
    for (const id of ids) {
      const state = states.get(id);
      if (state === undefined || (state.parentFolderId !== undefined && state.parentFolderId !== folder.id)) continue;
      const raw = await this.http.getBytes(`${this.mailbox}/messages/${encodeURIComponent(id)}/$value`, `read message ${id} of "${path}"`);
      if (raw === undefined) continue;
      if (raw.length === 0) throw new ConnectorError(`read message ${id} of "${path}" on ${this.label}: Graph sent no MIME content`, { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never' });
      out.push({ id, raw, size: raw.length, flags: state.flags, internalDate: state.received ?? new Date() });
    }
    return out;
  }

  /** Current flags of messages copied before (from the delta page that reported them changed). */
  async itemFlags(path: string, ids: readonly string[]): Promise<ItemFlags[]> {
    const folder = await this.folders.folder(path);
    const states = await this.statesOf(ids, path);
    return ids.flatMap((id) => {
      const state = states.get(id);
      return state === undefined || (state.parentFolderId !== undefined && state.parentFolderId !== folder.id) ? [] : [{ id, flags: state.flags }];
    });
  }

  /** totalItemCount of the folder now. */
  async countItems(path: string): Promise<number> {
    const folder = await this.folders.folder(path);
    const read = await this.http.getJson<{ totalItemCount?: number }>(`${this.mailbox}/mailFolders/${folder.id}?$select=totalItemCount`, `count the messages of "${path}"`);
    if (typeof read.totalItemCount !== 'number') throw new ConnectorError(`count the messages of "${path}" on ${this.label}: Graph sent no totalItemCount`, { code: 'PROTOCOL', scope: 'folder', retry: 'now' });
    return read.totalItemCount;
  }

  /** Every message id of the folder: a delta round of its own from the start, ids only, every page followed. */
  async listAllIds(path: string): Promise<string[]> {
    const folder = await this.folders.folder(path);
    const ids: string[] = [];
    let next: string | undefined = `${this.mailbox}/mailFolders/${folder.id}/messages/delta?$select=id`;
    while (next !== undefined) {
      const page: DeltaPage = await this.http.getJson<DeltaPage>(next, `list the messages of "${path}"`, { Prefer: `${IMMUTABLE_IDS.Prefer}, odata.maxpagesize=${MAX_PAGE}` });
      for (const message of page.value ?? []) if (typeof message.id === 'string' && message['@removed'] === undefined) ids.push(message.id);
      next = page['@odata.nextLink'];
      if (next === undefined && page['@odata.deltaLink'] === undefined) {
        throw new ConnectorError(`list the messages of "${path}" on ${this.label}: Graph ended the listing without a deltaLink`, { code: 'PROTOCOL', scope: 'folder', retry: 'now' });
      }
    }
    return ids;
  }

  /** The state of each id: remembered from a delta page, else read by id in batches (absent: gone). */
  private async statesOf(ids: readonly string[], path: string): Promise<Map<string, MessageState>> {
    const states = new Map<string, MessageState>();
    const missing: string[] = [];
    for (const id of ids) {
      const known = this.seen.get(id);
      if (known !== undefined) states.set(id, known);
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += BATCH) {
      let slice = missing.slice(i, i + BATCH);
      while (slice.length > 0) {
        const answers = await this.http.batch(
          slice.map((id) => ({ url: `${this.mailbox}/messages/${encodeURIComponent(id)}?${MESSAGE_QUERY}`, headers: IMMUTABLE_IDS })),
          `read the state of ${slice.length} messages of "${path}"`,
        );
        const again: string[] = [];
        for (const [n, answer] of answers.entries()) {
          this.http.noteBackOff(answer);
          const id = slice[n]!;
          if (answer.status === 200) states.set(id, messageState(answer.body as GraphMessage));
          else if (answer.status === 404) continue;
          else if (answer.status === 424 || answer.status === 429 || answer.status === 503) again.push(id);
          else throw new ConnectorError(`read the state of message ${id} of "${path}" on ${this.label}: HTTP ${answer.status}`, { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'now' });
        }
        // A 424 follows a step that failed (it is counted above): the rest is asked again.
        slice = again;
      }
    }
    return states;
  }

  /** Keeps a message's state for the reads that follow its delta page; old entries go first. */
  private remember(id: string, state: MessageState): void {
    this.seen.delete(id);
    this.seen.set(id, state);
    if (this.seen.size > REMEMBERED_STATES) this.seen.delete(this.seen.keys().next().value as string);
  }
}
