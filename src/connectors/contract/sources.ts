/**
 * The three kinds of mail source, told apart by `kind`. Each kind's required interface
 * is small; what only some connectors of a kind can do is declared in `features`, as
 * data (isync's `get_caps()`, rclone's `Features`): a feature is there, with its
 * operations, or absent. Callers never probe for methods.
 */
import type { FolderInfo, FolderStatus, ItemFolderInfo, ListFoldersOptions, Namespace } from './folders.js';
import type { ListOptions, MessageFlags, MessageMeta, RawMessage } from './messages.js';

/** What every connector does, source or target. */
export interface Connector {
  connect(): Promise<void>;
  close(): Promise<void>;
  namespace(): Promise<Namespace>;
}

/** A folder's messages have UIDs, stable under one UIDVALIDITY (IMAP, a Maildir). */
export interface UidSource extends Connector {
  readonly kind: 'uid';
  readonly features: UidSourceFeatures;
  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]>;
  status(path: string): Promise<FolderStatus>;
  /** UIDs greater than `afterUid`, ascending. UIDs only: cheap even for 100k messages. */
  listUids(path: string, afterUid: number): Promise<number[]>;
  /** Metadata for the given UIDs; vanished UIDs are simply absent. */
  fetchMeta(path: string, uids: readonly number[], options?: ListOptions): Promise<MessageMeta[]>;
  /** Exact bytes for the given UIDs; vanished UIDs are simply absent. Callers bound the batch by bytes. */
  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]>;
}

export interface UidSourceFeatures {
  /**
   * One large message read in chunks straight into a buffer of its size, so it is never
   * held twice (as chunks and as their concatenation); undefined when it vanished.
   * Without it, large messages go through `fetchRaw`.
   */
  readonly fetchLarge?: (path: string, meta: MessageMeta) => Promise<RawMessage | undefined>;
  /** Complete listings and flag reads: what mirroring and a re-run's flag refresh need. */
  readonly mirror?: MirrorSource;
}

/** What following a source (mirror, backup, a re-run's flag refresh) needs beyond copying. */
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

/** One message of a maildrop listing (POP3 UIDL + LIST, RFC 1939). */
export interface MaildropEntry {
  /** Message number: valid in this session only (numbers shift when messages go). */
  readonly number: number;
  /** Unique-id listing, stable across sessions; absent when the server has no UIDL. */
  readonly uidl?: string;
  readonly size: number;
}

/**
 * One flat mailbox seen as a snapshot per session (POP3): one folder, INBOX, whose
 * messages have numbers valid in this session only; identity across sessions comes from
 * the listing's UIDLs. Messages have neither flags nor an INTERNALDATE of their own.
 * Deletions are only marks until `commit()` ends the session cleanly; `close()` without
 * `commit()` drops the connection so the server rolls every mark back.
 */
export interface MaildropSource extends Connector {
  readonly kind: 'maildrop';
  readonly features: MaildropFeatures;
  /** The one folder, INBOX. */
  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]>;
  /** The session's listing, in message-number order. */
  listMaildrop(): Promise<MaildropEntry[]>;
  /** Exact bytes of the given messages; numbers gone are simply absent. Callers bound the batch by bytes. */
  retrieve(numbers: readonly number[]): Promise<RawMessage[]>;
  /** Marks messages deleted (DELE); nothing is removed unless `commit()` follows. */
  markDeleted(numbers: readonly number[]): Promise<void>;
  /** Ends the session (QUIT): marked messages are removed now. The next command opens a new session. */
  commit(): Promise<void>;
}

export interface MaildropFeatures {
  /** As UidSourceFeatures.fetchLarge, by message number. */
  readonly fetchLarge?: (number: number, size: number) => Promise<RawMessage | undefined>;
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

/** The flags of one item, read without its MIME. */
export interface ItemFlags {
  readonly id: string;
  readonly flags: readonly string[];
}

/**
 * A source whose items have opaque string ids and whose folders are enumerated with a
 * server-side sync state (Exchange Web Services; Microsoft Graph's delta query has the
 * same shape). A stale state is a ConnectorError with code SYNC_STATE_INVALID: enumerate
 * the folder again from `null`.
 */
export interface ItemSyncSource extends Connector {
  readonly kind: 'item-sync';
  readonly features: ItemSyncFeatures;
  listFolders(options?: ListFoldersOptions): Promise<ItemFolderInfo[]>;
  /** The next page of changes after `state` (`null`: from the beginning), at most `maxChanges` items. */
  syncItems(path: string, state: string | null, maxChanges: number): Promise<ItemChanges>;
  /** MIME and flags of the given items; ids gone meanwhile are simply absent. Callers bound the batch by bytes. */
  fetchItems(path: string, ids: readonly string[]): Promise<ItemMessage[]>;
}

export interface ItemSyncFeatures {
  /** Flags of items without their MIME: a changed item already copied gets its new flags cheaply. */
  readonly itemFlags?: (path: string, ids: readonly string[]) => Promise<ItemFlags[]>;
  /** What following deletions (mirror, backup) needs: a cheap count and a complete listing. */
  readonly mirror?: ItemMirrorSource;
}

/**
 * Deletions of an item-sync source are decided from a complete listing, as for IMAP: a
 * deletion event (Graph's @removed) could be lost with a crash after its page was committed.
 */
export interface ItemMirrorSource {
  /** Items in the folder now (one cheap request): fewer than were copied means some are gone. */
  countItems(path: string): Promise<number>;
  /** Every item id of the folder, read in one complete enumeration; rejects rather than return part of it. */
  listAllIds(path: string): Promise<string[]>;
}

/** Every kind of source a run can read from. */
export type AnySource = UidSource | MaildropSource | ItemSyncSource;

/** The source kinds, as `AnySource['kind']`. */
export type SourceKind = AnySource['kind'];
