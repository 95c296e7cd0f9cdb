/**
 * What the copy engine keeps per (pair, source folder), whatever the kind of source:
 * the cursor (where the copy stands on both sides), the ledger (which source messages
 * are on the target, and where), write-ahead intents for the page in flight, and the
 * quarantine. Messages are named by a string key: the UID (IMAP, Maildir), the UIDL or a
 * content key (POP3), the item id (EWS). Implementations: FolderState (UID sources, one
 * ledger per UIDVALIDITY) and KeyedFolderState (string-keyed sources).
 *
 * Every write is fenced by the folder's lease and made in one round trip.
 */
import type { Lease } from './lease.js';

/** The target folder as the last committed page left it. */
export interface TargetCursor {
  readonly path: string;
  readonly uidValidity: string;
  /** Target UIDNEXT after the last committed page: where the recovery window starts. */
  readonly uidNext: number;
}

/** Where the copy stands on the source: one shape per kind of source. */
export type SourceCursor = UidCursor | MaildropCursor | ItemSyncCursor;

export interface UidCursor {
  readonly kind: 'uid';
  /** The UIDVALIDITY the UIDs here belong to. */
  readonly uidValidity: string;
  /** Every source UID <= lastUid is on the target (or quarantined). */
  readonly lastUid: number;
  /** Source UIDNEXT when the folder was last found complete (0 until then); equal UIDNEXT = nothing new. */
  readonly uidNext: number;
  /** Source HIGHESTMODSEQ (RFC 7162) when the folder was last complete: flags are in sync up to it. */
  readonly highestModseq?: string;
}

/** A maildrop has no position: the ledger of UIDLs says what is copied. */
export interface MaildropCursor {
  readonly kind: 'maildrop';
}

export interface ItemSyncCursor {
  readonly kind: 'item-sync';
  /** The server's sync state after the last committed page (absent: enumerate from the start). */
  readonly syncState?: string;
}

export interface CopyCursor {
  readonly source: SourceCursor;
  readonly target: TargetCursor;
}

/** Write-ahead record of one append about to happen (ARCHITECTURE.md, "Identity"). */
export interface CopyIntent {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** Target UIDNEXT before the page was appended: where to look for it after a crash. */
  readonly targetUidNextBefore: number;
}

/** Where one source message went. */
export interface CopiedMessage {
  /** Target UID; 0 when the target did not report one. */
  readonly targetUid: number;
  /** The INTERNALDATE it was stored with (kept for string-keyed sources: POP3 `older-than` deletion, the mapping report). */
  readonly date: Date;
}

/** A message the target refused (or that could not be read exactly); kept until a later run gets it across. */
export interface QuarantineEntry {
  readonly key: string;
  readonly size: number;
  readonly code: string;
  readonly reason: string;
  /** UID sources: the UIDVALIDITY the key belongs to. */
  readonly uidValidity?: string;
}

/** Everything one page changes, committed atomically. */
export interface CopyPageCommit {
  readonly cursor: CopyCursor;
  readonly copied: ReadonlyArray<readonly [string, CopiedMessage]>;
  readonly clearIntents: readonly string[];
  readonly quarantined: readonly QuarantineEntry[];
  /** Keys that left quarantine (copied at last). */
  readonly released: readonly string[];
}

export interface CopyState {
  readonly pairId: string;
  readonly sourcePath: string;
  /** The folder's id in key names and run records. */
  readonly fid: string;
  acquireLease(): Promise<Lease>;
  cursor(): Promise<CopyCursor | null>;
  intents(): Promise<CopyIntent[]>;
  quarantine(): Promise<QuarantineEntry[]>;
  /** The ledger entries of `keys` (absent: not copied) under the source cursor's generation (a UID source's UIDVALIDITY). */
  copies(source: SourceCursor, keys: readonly string[]): Promise<Map<string, CopiedMessage>>;
  writeIntents(lease: Lease, intents: readonly CopyIntent[]): Promise<void>;
  commitPage(lease: Lease, commit: CopyPageCommit): Promise<void>;
  /** Forgets cursor, intents and quarantine (the folder's identity changed on one side); the ledger of a string-keyed source too. */
  reset(lease: Lease): Promise<void>;
}
