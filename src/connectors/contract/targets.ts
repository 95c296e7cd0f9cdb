/**
 * A mail target: creates folders and stores exact bytes. Like sources, it declares what
 * it can do beyond that in `features`, as data; above all how copies made before an
 * interruption are found again (`recovery`), which is the target's to say, since only it
 * knows whether it has UIDs and keeps bytes as they came.
 */
import type { EnsuredFolder, FolderInfo, FolderStatus, ListFoldersOptions, SpecialUse } from './folders.js';
import type { AppendEachResult, AppendItem, AppendResult, FlagPolicy, ListOptions, MessageFlags, MessageMeta, RawMessage } from './messages.js';
import type { Connector } from './sources.js';

export interface TargetConnector extends Connector {
  readonly features: TargetFeatures;
  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]>;
  /**
   * Creates the folder (and parents) unless it exists; never an error if it exists.
   * The result's path is the one to use (a role may map onto an existing folder).
   */
  ensureFolder(path: string, specialUse?: SpecialUse): Promise<EnsuredFolder>;
  status(path: string): Promise<FolderStatus>;
  flagPolicy(path: string): Promise<FlagPolicy>;
  /** Stores one message. A refusal of this message alone throws a ConnectorError with scope 'message'. */
  append(path: string, item: AppendItem): Promise<AppendResult>;
}

export interface TargetFeatures {
  /** How copies made before an interruption are recognised. */
  readonly recovery: TargetRecovery;
  /**
   * NUL bytes can be stored (IMAP BINARY's literal8, RFC 3516; a file; EWS's base64
   * MIME). Without it a message holding a NUL cannot be stored exactly.
   */
  readonly storesNul: boolean;
  /** Largest message the target accepts (IMAP APPENDLIMIT, RFC 7889), when it says. */
  readonly maxMessageBytes?: number;
  /**
   * Several messages in one round trip, all or nothing (IMAP MULTIAPPEND, RFC 3502). A
   * refusal throws a ConnectorError with scope 'message': nothing of the batch was
   * stored, and the caller may store the messages one by one.
   */
  readonly appendAtomic?: (path: string, items: readonly AppendItem[]) => Promise<AppendResult[]>;
  /**
   * Several messages in one round trip, each on its own (EWS CreateItem): NOT atomic.
   * Resolves with one result per item, in order; it rejects only when the request as a
   * whole failed, and then any of the items may have been stored (as with a lost
   * connection during `append`): recovery finds them.
   */
  readonly appendEach?: (path: string, items: readonly AppendItem[]) => Promise<AppendEachResult[]>;
  /** Changing messages already stored: what mirroring and a re-run's flag refresh need. */
  readonly mirror?: MirrorTarget;
  /**
   * Size and header block of what the target stored under these UIDs (UIDs gone are left
   * out): read after an append, to notice a target that changes messages as it stores
   * them (Cyrus's munge8bit, an mbox server's added headers).
   */
  readonly storedCopies?: (path: string, uids: readonly number[]) => Promise<Map<number, StoredCopy>>;
}

/** What a target holds under one UID, as far as checking it against what was sent needs. */
export interface StoredCopy {
  readonly size: number;
  /** The stored header block, the empty line that ends it included (IMAP BODY[HEADER]). */
  readonly header: Buffer;
}

/**
 * How a target's copies are found after a crash between storing and recording:
 * - 'uid-window': the target has UIDs and keeps bytes as they came; a copy is an
 *   unclaimed message with the same size and SHA-256 from the last recorded UIDNEXT on;
 * - 'marker': the target keeps the caller's marker on each message (AppendItem.marker)
 *   and finds messages by it (Exchange rebuilds MIME and has string ids).
 */
export type TargetRecovery = UidWindowRecovery | MarkerRecovery;

export interface UidWindowRecovery {
  readonly kind: 'uid-window';
  /** Metadata of messages with UID >= fromUid. */
  listWindow(path: string, fromUid: number, options?: ListOptions): Promise<MessageMeta[]>;
  /** Exact bytes of target messages, to confirm a candidate by hash (and for `verify`). */
  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]>;
}

export interface MarkerRecovery {
  readonly kind: 'marker';
  /** The messages of `path` that carry one of `markers`: marker -> message id. */
  findByMarker(path: string, markers: readonly string[]): Promise<Map<string, string>>;
}

/** Changes to messages already on the target, by target UID. */
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
