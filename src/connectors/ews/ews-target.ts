/**
 * An Exchange mailbox written over EWS: each message becomes an item created from its
 * MIME (CreateItem, SaveOnly), with the MAPI properties that make it a received message
 * rather than a draft, its flags, its dates and an idempotency marker.
 *
 * Batches. EWS CreateItem takes many items in one request but stores each on its own:
 * some may be refused while the others are saved. The contract's `appendAtomic` promises
 * all or nothing (it is IMAP MULTIAPPEND's), and its caller appends the whole batch again
 * one by one after a refusal, which here would duplicate every item already saved. So
 * this target does not offer `appendAtomic` and offers `appendEach` instead: one request,
 * one result per item, nothing deleted, and the caller told exactly which items were stored.
 *
 * Recovery. EWS ids are strings (no UIDs: this target has no UID operations at all), and
 * Exchange rebuilds MIME from its own store, so a copy cannot be recognized by its hash
 * either. Instead every item carries the caller's marker in a named property of
 * mailferry's own property set, and `findByMarker` finds the items made before a crash
 * (recovery 'marker').
 */
import {
  DateTime, EmailMessage, Flag, Folder, FolderId, ItemFlagStatus, ItemView, LogicalOperator, MessageDisposition, MimeContent, PropertySet,
  BasePropertySet, FolderSchema, SearchFilter, ServiceResult, StringList, type ExchangeService, type ServiceResponse,
  type SendInvitationsMode,
} from 'ews-javascript-api';
import { messageDate } from '../../mapping/index.js';
import { ConnectorError } from '../connector-error.js';
import type {
  AppendEachResult, AppendItem, AppendResult, EnsuredFolder, FlagPolicy, FolderInfo, FolderStatus, ListFoldersOptions, Namespace,
  SpecialUse, TargetConnector, TargetFeatures,
} from '../types.js';
import { errorName, responseError } from './ews-errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type EwsAccountOptions } from './ews-options.js';
import { EwsSession } from './ews-session.js';
import { INBOX, PATH_DELIMITER, unescapeSegment, type FolderEntry } from '../exchange/folder-tree.js';
import { newItemState, STORABLE_FLAGS } from '../exchange/item-flags.js';
import { CLIENT_SUBMIT_TIME, DELIVERY_TIME, LAST_VERB_EXECUTED, MESSAGE_FLAGS, SOURCE_KEY } from './item-properties.js';
import { encodeMimeContent } from './mime-content.js';
import { folderUidValidity } from '../exchange/stable-hash.js';

/** The class of the folders this target creates: mail. */
const MAIL_FOLDER_CLASS = 'IPF.Note';
/** Markers per FindItem restriction (an OR of equalities) and items per FindItem page. */
const MARKERS_PER_SEARCH = 50;
const FIND_PAGE = 100;
/** Roles that have a well-known Exchange folder. */
const WELL_KNOWN_ROLES: ReadonlySet<SpecialUse> = new Set<SpecialUse>(['\\Sent', '\\Drafts', '\\Trash', '\\Junk']);

export class EwsTarget implements TargetConnector {
  readonly features: TargetFeatures;
  private readonly session: EwsSession;
  /** Paths that ensureFolder() mapped onto a well-known folder of another name: path -> folder id. */
  private readonly aliases = new Map<string, string>();
  private readonly maxMessageBytes: number;

  constructor(account: EwsAccountOptions) {
    this.session = new EwsSession(account);
    this.maxMessageBytes = account.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.features = {
      recovery: { kind: 'marker', findByMarker: (path, markers) => this.findByMarker(path, markers) },
      // MimeContent travels as base64: any byte can.
      storesNul: true,
      maxMessageBytes: this.maxMessageBytes,
      appendEach: (path, items) => this.appendEach(path, items),
    };
  }

  connect(): Promise<void> {
    return this.session.connect();
  }

  close(): Promise<void> {
    this.aliases.clear();
    return this.session.close();
  }

  async namespace(): Promise<Namespace> {
    return { prefix: '', delimiter: PATH_DELIMITER };
  }

  /** Every folder under msgfolderroot, the well-known ones with their IMAP role. */
  async listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]> {
    this.session.forgetFolders();
    const index = await this.session.folders();
    return index.entries.map((entry): FolderInfo => ({
      path: entry.path,
      delimiter: PATH_DELIMITER,
      selectable: true,
      ...(entry.specialUse === undefined ? {} : { specialUse: entry.specialUse }),
      ...(options?.withStatus ? { status: { uidValidity: folderUidValidity(entry.id), uidNext: 0, messages: entry.itemCount } } : {}),
    }));
  }

  /**
   * Creates the folder (and missing parents, as mail folders) unless it exists.
   * "INBOX" is the Inbox. A path that does not exist but comes with \Sent, \Drafts,
   * \Trash or \Junk is the mailbox's well-known folder for that role: the result's
   * `path` is then that folder's own path ("Sent Items"), which callers should use;
   * this connector also accepts the asked-for path for it until close().
   * A "∕" (U+2215) in a level becomes "/" in the display name (see folder-tree.ts).
   * An existing folder that holds no mail (Calendar, Contacts) is a FOLDER_FAILED error:
   * a message saved there would be lost to every mail client.
   */
  async ensureFolder(path: string, specialUse?: SpecialUse): Promise<EnsuredFolder> {
    const index = await this.session.folders();
    const existing = index.byPath.get(normalizeInbox(path)) ?? this.aliased(path, index.entries);
    if (existing) return { path: this.mailFolder(existing, path).path, created: false };
    if (specialUse !== undefined && WELL_KNOWN_ROLES.has(specialUse)) {
      const id = (await this.session.wellKnown()).byRole.get(specialUse);
      const entry = index.entries.find((e) => e.id === id);
      if (entry) {
        this.aliases.set(path, entry.id);
        return { path: entry.path, created: false };
      }
    }
    const segments = path.split(PATH_DELIMITER);
    if (segments.some((segment) => segment.trim() === '')) {
      throw new ConnectorError(`create folder "${path}" on ${this.session.label}: a level of the path is empty`, { code: 'FOLDER_FAILED', scope: 'folder', retry: 'never' });
    }
    let parentId = (await this.session.wellKnown()).rootId;
    let created = false;
    for (let depth = 1; depth <= segments.length; depth += 1) {
      const prefix = normalizeInbox(segments.slice(0, depth).join(PATH_DELIMITER));
      const found = (await this.session.folders()).byPath.get(prefix);
      if (found) {
        parentId = found.id;
        continue;
      }
      const name = unescapeSegment(segments[depth - 1] as string);
      parentId = await this.createFolder(prefix, name, parentId);
      created = true;
    }
    this.session.forgetFolders();
    return { path, created };
  }

  /** Counters of the folder, read fresh; UIDVALIDITY stands for the folder id (stable-hash.ts); UIDs do not exist. */
  async status(path: string): Promise<FolderStatus> {
    const entry = await this.resolve(path);
    const folder = await this.session.call(`status of "${path}"`, 'folder', (service) =>
      Folder.Bind(service, new FolderId(entry.id), new PropertySet(BasePropertySet.IdOnly, [FolderSchema.TotalCount])));
    return { uidValidity: folderUidValidity(entry.id), uidNext: 0, messages: Number(folder.TotalCount ?? 0) };
  }

  /** Read, flagged, answered and forwarded are item properties; any keyword becomes a category. */
  async flagPolicy(path: string): Promise<FlagPolicy> {
    await this.resolve(path);
    return { permanent: [...STORABLE_FLAGS], newKeywords: true };
  }

  /** One CreateItem. A refusal of this message throws its ConnectorError (scope 'message' unless the mailbox is full). */
  async append(path: string, item: AppendItem): Promise<AppendResult> {
    const [result] = await this.create(path, [item]);
    if (!result) throw new ConnectorError(`append to "${path}" on ${this.session.label}: no response for the item`, { code: 'PROTOCOL', scope: 'message', retry: 'now' });
    if (!result.stored) throw result.error;
    return result.result;
  }

  /** One CreateItem for all items; see the class comment and `TargetConnector.appendEach`. */
  appendEach(path: string, items: readonly AppendItem[]): Promise<AppendEachResult[]> {
    return this.create(path, items);
  }

  /** FindItem with an OR of equalities on the marker property, 50 markers per request, paged. */
  async findByMarker(path: string, markers: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(markers.filter((marker) => marker !== ''))];
    const found = new Map<string, string>();
    if (wanted.length === 0) return found;
    const entry = await this.resolve(path);
    for (let i = 0; i < wanted.length; i += MARKERS_PER_SEARCH) {
      const chunk = wanted.slice(i, i + MARKERS_PER_SEARCH);
      // The library trims element text on reading, so a value read back is matched trimmed too.
      const byValue = new Map<string, string>();
      for (const marker of chunk) {
        byValue.set(marker, marker);
        if (!byValue.has(marker.trim())) byValue.set(marker.trim(), marker);
      }
      const filter = chunk.length === 1
        ? new SearchFilter.IsEqualTo(SOURCE_KEY, chunk[0])
        : new SearchFilter.SearchFilterCollection(LogicalOperator.Or, chunk.map((marker) => new SearchFilter.IsEqualTo(SOURCE_KEY, marker)));
      for (let offset = 0; ;) {
        const view = new ItemView(FIND_PAGE, offset);
        view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [SOURCE_KEY]);
        const page = await this.session.call(`find marked items in "${path}"`, 'folder', (service) => service.FindItems(new FolderId(entry.id), filter, view));
        for (const item of page.Items) {
          const value = { outValue: null as unknown };
          item.ExtendedProperties.TryGetValue(SOURCE_KEY, value);
          const marker = typeof value.outValue === 'string' ? byValue.get(value.outValue) : undefined;
          if (marker !== undefined && !found.has(marker) && item.Id?.UniqueId) found.set(marker, item.Id.UniqueId);
        }
        const next = Number(page.NextPageOffset);
        if (!page.MoreAvailable || !Number.isInteger(next) || next <= offset) break;
        offset = next;
      }
    }
    return found;
  }

  private async create(path: string, items: readonly AppendItem[]): Promise<AppendEachResult[]> {
    if (items.length === 0) return [];
    const entry = await this.resolve(path);
    this.mailFolder(entry, path);
    const what = (n: number) => `append ${items.length === 1 ? '' : `message ${n + 1} of ${items.length} `}to "${path}" on ${this.session.label}`;
    const results: Array<AppendEachResult | undefined> = items.map((item, n) => (item.raw.length > this.maxMessageBytes
      ? { stored: false, error: new ConnectorError(`${what(n)}: message of ${item.raw.length} bytes exceeds the limit of ${this.maxMessageBytes} bytes`, { code: 'MESSAGE_TOO_LARGE', scope: 'message', retry: 'never' }) }
      : undefined));
    const todo = items.map((item, n) => ({ item, n })).filter(({ n }) => results[n] === undefined);
    if (todo.length > 0) {
      const responses = await this.session.call(`append ${todo.length} message${todo.length === 1 ? '' : 's'} to "${path}"`, todo.length === 1 ? 'message' : 'folder', async (service) => {
        const messages = todo.map(({ item }) => newItem(service, item));
        const collection = await service.CreateItems(messages, new FolderId(entry.id), MessageDisposition.SaveOnly, null as unknown as SendInvitationsMode);
        return { messages, responses: collection.Responses as ServiceResponse[] };
      });
      todo.forEach(({ n }, k) => {
        const response = responses.responses[k];
        if (response && response.Result !== ServiceResult.Error) {
          const id = responses.messages[k]?.Id?.UniqueId;
          results[n] = { stored: true, result: id ? { id } : {} };
        } else {
          results[n] = { stored: false, error: response ? responseError(response, what(n)) : new ConnectorError(`${what(n)}: no response for the item`, { code: 'PROTOCOL', scope: 'message', retry: 'now' }) };
        }
      });
    }
    return results as AppendEachResult[];
  }

  /** Creates one folder; when another worker made it meanwhile (ErrorFolderExists), uses theirs. */
  private async createFolder(path: string, name: string, parentId: string): Promise<string> {
    const id = await this.session.call(`create folder "${path}"`, 'folder', async (service) => {
      const folder = new Folder(service);
      folder.DisplayName = name;
      folder.FolderClass = MAIL_FOLDER_CLASS;
      try {
        await folder.Save(new FolderId(parentId));
      } catch (error) {
        if (errorName((error as { ErrorCode?: number }).ErrorCode) === 'ErrorFolderExists') return undefined;
        throw error;
      }
      return folder.Id.UniqueId;
    });
    if (id !== undefined) return id;
    this.session.forgetFolders();
    const found = (await this.session.folders()).byPath.get(path);
    if (found) return found.id;
    throw new ConnectorError(`create folder "${path}" on ${this.session.label}: the server says it exists, but it is not listed`, { code: 'FOLDER_FAILED', scope: 'folder', retry: 'now' });
  }

  private async resolve(path: string): Promise<FolderEntry> {
    const alias = this.aliases.get(path);
    if (alias !== undefined) {
      const entry = (await this.session.folders()).entries.find((e) => e.id === alias);
      if (entry) return entry;
    }
    return this.session.folder(path);
  }

  private aliased(path: string, entries: readonly FolderEntry[]): FolderEntry | undefined {
    const id = this.aliases.get(path);
    return id === undefined ? undefined : entries.find((entry) => entry.id === id);
  }

  /** Mail goes into mail folders only: a message saved in a calendar is lost to every client. */
  private mailFolder(entry: FolderEntry, path: string): FolderEntry {
    if (entry.content === 'mail') return entry;
    throw new ConnectorError(`folder "${path}" on ${this.session.label} holds ${entry.content} items, not mail; map the folder to another name`, {
      code: 'FOLDER_FAILED', scope: 'folder', retry: 'never',
    });
  }
}

/** A top-level INBOX of any case is the Inbox (RFC 3501 5.1). */
function normalizeInbox(path: string): string {
  const [first, ...rest] = path.split(PATH_DELIMITER);
  return first !== undefined && /^inbox$/i.test(first) ? [INBOX, ...rest].join(PATH_DELIMITER) : path;
}

/**
 * The new item for one message: its MIME as base64 (made here: the library never
 * encodes), PR_MESSAGE_FLAGS so it is a received message and not a draft, the delivery
 * and submit times (DateTimeReceived from INTERNALDATE, DateTimeSent from the Date:
 * header when it has a sane one), read state, flag, last verb, categories, and the marker.
 */
export function newItem(service: ExchangeService, item: AppendItem): EmailMessage {
  const state = newItemState(item.flags);
  const message = new EmailMessage(service);
  message.MimeContent = new MimeContent('UTF-8', encodeMimeContent(item.raw));
  message.SetExtendedProperty(MESSAGE_FLAGS, state.messageFlags);
  const received = item.internalDate.getTime();
  if (Number.isFinite(received)) {
    const sent = messageDate(item.raw, 'date', item.internalDate).getTime();
    message.SetExtendedProperty(DELIVERY_TIME, new DateTime(received));
    message.SetExtendedProperty(CLIENT_SUBMIT_TIME, new DateTime(Number.isFinite(sent) ? sent : received));
  }
  if (state.lastVerb !== undefined) message.SetExtendedProperty(LAST_VERB_EXECUTED, state.lastVerb);
  if (item.marker !== undefined && item.marker !== '') message.SetExtendedProperty(SOURCE_KEY, item.marker);
  message.IsRead = state.isRead;
  if (state.flagged) {
    const flag = new Flag();
    flag.FlagStatus = ItemFlagStatus.Flagged;
    message.Flag = flag;
  }
  if (state.categories.length > 0) message.Categories = new StringList(state.categories);
  return message;
}
