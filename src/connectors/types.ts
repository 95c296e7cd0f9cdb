/**
 * The connector contract: what every mail source and target speaks.
 *
 * Connectors know nothing of queues, Redis or checkpoints. They expose pages and
 * bounded batches so that page boundaries can be checkpoint boundaries (IMAP runs one
 * command at a time per connection, so live iterators across other commands deadlock).
 */
import type { ConnectorError } from './connector-error.js';

/** RFC 6154 special-use roles that mapping understands. */
export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

/** One folder as the server lists it. */
export interface FolderInfo {
  /** Full path, decoded to Unicode, as the server's hierarchy uses it (with `delimiter`). */
  readonly path: string;
  /** Hierarchy separator, e.g. "/" or "."; null for a flat server. */
  readonly delimiter: string | null;
  /** Special-use attribute when the server advertises one (RFC 6154). */
  readonly specialUse?: SpecialUse;
  /** False for `\Noselect` / `\NonExistent` containers (RFC 5258). */
  readonly selectable: boolean;
  /** Counters, when `listFolders({ withStatus: true })` asked for them and the folder is selectable. */
  readonly status?: FolderStatus;
}

export interface ListFoldersOptions {
  /** Also read each folder's status, in one round trip where the server has LIST-STATUS (RFC 5819). */
  readonly withStatus?: boolean;
}

/** The personal namespace (RFC 2342): where a user's folders live and how paths are split. */
export interface Namespace {
  /** Prefix of every personal folder, e.g. "" (Dovecot default) or "INBOX." (Courier, Cyrus). */
  readonly prefix: string;
  /** Hierarchy separator, e.g. "/" or ".". */
  readonly delimiter: string;
}

/** A folder's identity and counters; read cheaply (STATUS / SELECT). */
export interface FolderStatus {
  /** IMAP UIDVALIDITY as a decimal string (it is a 32-bit unsigned number). */
  readonly uidValidity: string;
  readonly uidNext: number;
  readonly messages: number;
  /** Total size of the folder's messages in bytes, when the server says (STATUS=SIZE, RFC 8438). */
  readonly bytes?: number;
  /** CONDSTORE HIGHESTMODSEQ (RFC 7162) as a decimal string, when the server has it. */
  readonly highestModseq?: string;
}

/** What is known of one message before its bytes are fetched. */
export interface MessageMeta {
  readonly uid: number;
  readonly size: number;
  readonly flags: readonly string[];
  readonly internalDate: Date;
  /** Message-ID header value, when `withMessageId` was asked for and the message has one. */
  readonly messageId?: string;
}

/** One message with its exact bytes. */
export interface RawMessage extends MessageMeta {
  readonly raw: Buffer;
}

export interface ListOptions {
  /** Also read the Message-ID (costs an ENVELOPE fetch). */
  readonly withMessageId?: boolean;
}

/** Declared abilities of a source, as data (rclone's Features, mbsync's get_caps). */
export interface SourceCapabilities {
  readonly incremental: 'uid' | 'none';
  /** Messages carry flags and an INTERNALDATE of their own (POP3's do not). */
  readonly flags: boolean;
}

export interface TargetCapabilities {
  /** The server reports the new UID of an append (UIDPLUS APPENDUID, RFC 4315). */
  readonly appendReturnsId: boolean;
  /** `appendBatch` is available: many messages, one round trip, all or nothing (MULTIAPPEND, RFC 3502). */
  readonly batchAppend: boolean;
  /** Largest message the server accepts (APPENDLIMIT, RFC 7889), when it says. */
  readonly maxMessageBytes?: number;
}

/** Result of ensuring a folder exists on the target. */
export interface EnsuredFolder {
  readonly path: string;
  readonly created: boolean;
}

/** What a target folder accepts as flags (from PERMANENTFLAGS). */
export interface FlagPolicy {
  /** Flags and keywords listed in PERMANENTFLAGS. */
  readonly permanent: readonly string[];
  /** PERMANENTFLAGS contains `\*`: new keywords may be created. */
  readonly newKeywords: boolean;
}

/** One message of an `appendBatch` or `appendEach`. */
export interface AppendItem {
  readonly raw: Buffer;
  readonly flags: readonly string[];
  readonly internalDate: Date;
  /**
   * Idempotency marker: a key of the caller's (e.g. the source message's identity) that a
   * target able to store one keeps on the new message, so `findByMarker` can find the copy
   * after a crash. Targets without such a place (IMAP) ignore it.
   */
  readonly marker?: string;
}

export interface AppendResult {
  /** The new UID when the server says it (APPENDUID). */
  readonly uid?: number;
  /** The new message's id on targets whose ids are strings (EWS ItemId), when known. */
  readonly id?: string;
}

/**
 * What became of one message of an `appendEach`: stored (with its id when the server
 * said), or refused with the ConnectorError that `append` would have thrown for it.
 */
export type AppendEachResult =
  | { readonly stored: true; readonly result: AppendResult }
  | { readonly stored: false; readonly error: ConnectorError };

/** A mail source: lists folders and pages of messages, fetches exact bytes. */
export interface SourceConnector {
  readonly capabilities: SourceCapabilities;
  connect(): Promise<void>;
  close(): Promise<void>;
  namespace(): Promise<Namespace>;
  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]>;
  status(path: string): Promise<FolderStatus>;
  /** UIDs greater than `afterUid`, ascending. UIDs only: cheap even for 100k messages. */
  listUids(path: string, afterUid: number): Promise<number[]>;
  /** Metadata for the given UIDs; vanished UIDs are simply absent. */
  fetchMeta(path: string, uids: readonly number[], options?: ListOptions): Promise<MessageMeta[]>;
  /** Exact bytes for the given UIDs; vanished UIDs are simply absent. Callers bound the batch by bytes. */
  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]>;
  /**
   * The exact bytes of one message as a stream of chunks, for messages too large to
   * fetch whole without holding them twice; undefined when the message vanished.
   * Optional: without it, large messages go through `fetchRaw`.
   */
  streamRaw?(path: string, uid: number): Promise<AsyncIterable<Buffer> | undefined>;
}

/** The flags of one message, read for mirroring. */
export interface MessageFlags {
  readonly uid: number;
  readonly flags: readonly string[];
}

/**
 * What a mirror or backup needs from a source beyond copying (optional: sources without
 * it are copied, never mirrored).
 */
export interface MirrorSource {
  /**
   * Every UID of the folder, ascending, read in one listing under one UIDVALIDITY. It
   * rejects (never returns a partial list) when the listing fails or the folder's
   * UIDVALIDITY changed while it was read.
   */
  listAllUids(path: string): Promise<{ readonly uidValidity: string; readonly uids: number[] }>;
  /**
   * Flags of the messages with UID <= `uptoUid`; with `changedSince` (a CONDSTORE
   * MODSEQ, RFC 7162) only those changed after it. Vanished UIDs are simply absent.
   */
  fetchFlags(path: string, uptoUid: number, changedSince?: string): Promise<MessageFlags[]>;
}

/** Why a watched folder may have changed (for logs). */
export type WatchEvent = 'exists' | 'expunge' | 'flags' | 'reconnected' | 'polled';

export interface WatchOptions {
  readonly signal: AbortSignal;
  /** Called (synchronously, cheaply) whenever the folder may have changed. */
  readonly onChange: (event: WatchEvent) => void;
  /** Poll interval when the server has no IDLE, and the STATUS check after each IDLE restart. */
  readonly pollSeconds: number;
}

/**
 * Watches one source folder on a connection of its own: IMAP IDLE (RFC 2177) where the
 * server has it, else a STATUS poll. Resolves when `signal` aborts; reconnects by itself
 * after a dropped connection (and then reports 'reconnected': changes may have been missed).
 */
export interface FolderWatcher {
  watch(path: string, options: WatchOptions): Promise<void>;
  /** The server offers IDLE (known after the first connection). */
  readonly push: boolean;
}

/**
 * What a mirror or backup needs from a target beyond appending (optional: a target
 * without it can be a migration or backup target, not a mirror).
 */
export interface MirrorTarget {
  /** Replaces the flags of each message (STORE FLAGS); UIDs that are gone are ignored. */
  setFlags(path: string, changes: readonly MessageFlags[]): Promise<void>;
  /** Removes exactly these messages (UID EXPUNGE, RFC 4315); never any other. */
  deleteMessages(path: string, uids: readonly number[]): Promise<void>;
  /** Renames a folder (with its subfolders, as IMAP RENAME does); UIDVALIDITY is kept where the server keeps it. */
  renameFolder(from: string, to: string): Promise<void>;
  /** Flags of the given messages (for a comparison when the source has no CONDSTORE). */
  fetchFlags(path: string, uids: readonly number[]): Promise<MessageFlags[]>;
}

export function isMirrorSource(source: unknown): source is MirrorSource {
  return typeof (source as Partial<MirrorSource>).listAllUids === 'function' && typeof (source as Partial<MirrorSource>).fetchFlags === 'function';
}

export function isMirrorTarget(target: unknown): target is MirrorTarget {
  return typeof (target as Partial<MirrorTarget>).setFlags === 'function' && typeof (target as Partial<MirrorTarget>).deleteMessages === 'function';
}

/** A mail target: creates folders, appends exact bytes, and lets recovery look at what is there. */
export interface TargetConnector {
  readonly capabilities: TargetCapabilities;
  connect(): Promise<void>;
  close(): Promise<void>;
  namespace(): Promise<Namespace>;
  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]>;
  /** Creates the folder (and parents) unless it exists. Never an error if it already exists. */
  ensureFolder(path: string, specialUse?: SpecialUse): Promise<EnsuredFolder>;
  status(path: string): Promise<FolderStatus>;
  flagPolicy(path: string): Promise<FlagPolicy>;
  /**
   * Appends one message. A refusal of this message alone throws a `ConnectorError` with scope 'message'.
   * @param marker - idempotency marker (see `AppendItem.marker`); ignored by targets that cannot keep one.
   */
  append(path: string, raw: Buffer, flags: readonly string[], internalDate: Date, marker?: string): Promise<AppendResult>;
  /**
   * Appends several messages atomically (only when `capabilities.batchAppend`): all are
   * stored or none. A refusal throws a `ConnectorError` with scope 'message'; nothing of
   * the batch was stored then, and the caller may append the messages one by one.
   */
  appendBatch?(path: string, items: readonly AppendItem[]): Promise<AppendResult[]>;
  /**
   * Appends several messages in one round trip, each on its own (EWS CreateItem): NOT
   * atomic, so it is not `appendBatch`. Resolves with one result per item, in order; a
   * refusal of some items leaves the others stored. It rejects only when the request as
   * a whole failed, and then any of the items may have been stored (as with a lost
   * connection during `append`): find them with `findByMarker`.
   */
  appendEach?(path: string, items: readonly AppendItem[]): Promise<AppendEachResult[]>;
  /**
   * The messages of `path` that carry one of `markers` (see `AppendItem.marker`): marker
   * -> message id. For crash recovery on targets whose appends keep a marker.
   */
  findByMarker?(path: string, markers: readonly string[]): Promise<Map<string, string>>;
  /** Metadata of messages with UID >= fromUid (the recovery window). */
  listWindow(path: string, fromUid: number, options?: ListOptions): Promise<MessageMeta[]>;
  /** Exact bytes of target messages, to confirm a candidate match by hash. */
  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]>;
}

/** One message of a maildrop listing (POP3 UIDL + LIST, RFC 1939). */
export interface MaildropEntry {
  /** Message number: valid in this session only (numbers shift when messages go). */
  readonly number: number;
  /** Unique-id listing, stable across sessions; absent when the server has no UIDL. */
  readonly uidl?: string;
  readonly size: number;
}

/**
 * A source that is one flat mailbox seen as a snapshot per session (POP3). It is also a
 * SourceConnector with a single folder, INBOX, whose "UIDs" are this session's message
 * numbers; identity across sessions comes from `listMaildrop()`'s UIDLs. Deletions are
 * only marks until `commit()` ends the session cleanly; `close()` without `commit()`
 * drops the connection so the server rolls every mark back.
 */
export interface MaildropSource extends SourceConnector {
  readonly kind: 'maildrop';
  /** The session's listing, in message-number order. */
  listMaildrop(): Promise<MaildropEntry[]>;
  /** Marks messages deleted (DELE); nothing is removed unless `commit()` follows. */
  markDeleted(numbers: readonly number[]): Promise<void>;
  /** Ends the session (QUIT): marked messages are removed now. The next command opens a new session. */
  commit(): Promise<void>;
}

/** Every kind of source a run can read from: UID-based (IMAP; POP3 as a maildrop) or item-keyed with a sync state (EWS). */
export type AnySource = SourceConnector | MaildropSource | ItemSyncSource;

export function isMaildropSource(source: AnySource): source is MaildropSource {
  return (source as Partial<MaildropSource>).kind === 'maildrop';
}

export function isItemSyncSource(source: AnySource): source is ItemSyncSource {
  return (source as Partial<ItemSyncSource>).kind === 'item-sync';
}

/** What kind of items a folder holds (EWS FolderClass); only mail is migrated over MIME. */
export type FolderContent = 'mail' | 'calendar' | 'contacts' | 'tasks' | 'notes' | 'other';

/** A folder of an item-keyed source, with what it holds (non-mail folders are listed, and reported as skipped). */
export interface ItemFolderInfo extends FolderInfo {
  readonly content: FolderContent;
  /** Items in the folder (EWS TotalCount). */
  readonly itemCount: number;
}

/** One page of a folder's changes since a sync state (EWS SyncFolderItems). */
export interface ItemChanges {
  /** Items created or changed since the state, in server order, with their size in bytes. */
  readonly items: ReadonlyArray<{ readonly id: string; readonly size: number }>;
  /** Ids deleted since the state (mirror mode; a migration ignores them). */
  readonly deleted: readonly string[];
  /** Opaque cursor after this page: store it only once the page is on the target. */
  readonly state: string;
  /** More changes follow: call again with `state`. */
  readonly more: boolean;
}

/** One item as MIME with the state IMAP can express. */
export interface ItemMessage {
  readonly id: string;
  /** The MIME bytes as the server gives them (Exchange rebuilds MIME: not always the bytes that arrived). */
  readonly raw: Buffer;
  readonly size: number;
  /** \Seen, \Flagged, \Answered, $Forwarded and one keyword per category. */
  readonly flags: readonly string[];
  /** When the item arrived (EWS DateTimeReceived). */
  readonly internalDate: Date;
}

/**
 * A source whose items have opaque string ids and whose folders are enumerated with a
 * server-side sync state (Exchange Web Services). A stale state is a ConnectorError with
 * code SYNC_STATE_INVALID: enumerate the folder again from `null`.
 */
export interface ItemSyncSource {
  readonly kind: 'item-sync';
  connect(): Promise<void>;
  close(): Promise<void>;
  namespace(): Promise<Namespace>;
  listFolders(options?: ListFoldersOptions): Promise<ItemFolderInfo[]>;
  /** The next page of changes after `state` (`null`: from the beginning), at most `maxChanges` items. */
  syncItems(path: string, state: string | null, maxChanges: number): Promise<ItemChanges>;
  /** MIME and flags of the given items; ids gone meanwhile are simply absent. Callers bound the batch by bytes. */
  fetchItems(path: string, ids: readonly string[]): Promise<ItemMessage[]>;
}
