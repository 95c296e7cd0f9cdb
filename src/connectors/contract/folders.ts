/** Folders as connectors list, create and count them. */

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

/** Result of ensuring a folder exists on the target. */
export interface EnsuredFolder {
  readonly path: string;
  readonly created: boolean;
}

/** What kind of items a folder holds (EWS FolderClass); only mail is migrated over MIME. */
export type FolderContent = 'mail' | 'calendar' | 'contacts' | 'tasks' | 'notes' | 'other';

/** A folder of an item-keyed source, with what it holds (non-mail folders are listed, and reported as skipped). */
export interface ItemFolderInfo extends FolderInfo {
  readonly content: FolderContent;
  /** Items in the folder (EWS TotalCount). */
  readonly itemCount: number;
}
