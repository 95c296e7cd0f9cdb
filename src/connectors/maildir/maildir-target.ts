/**
 * A Maildir++ directory as a backup target that Dovecot can serve as it is: messages in
 * cur/ with standard info letters, keywords in dovecot-keywords, UIDs in dovecot-uidlist
 * (so an append returns the UID Dovecot will show). Special-use roles are not recorded
 * (Dovecot takes them from its configuration, not from the Maildir).
 */
import { ConnectorError } from '../connector-error.js';
import type {
  AppendResult, EnsuredFolder, FlagPolicy, FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageMeta, Namespace, RawMessage,
  SpecialUse, TargetCapabilities, TargetConnector,
} from '../types.js';
import { MAX_KEYWORDS } from './keywords-file.js';
import { folderNotFound, fsError } from './maildir-errors.js';
import type { MaildirOptions } from './maildir-options.js';
import { MaildirStore, NAMESPACE, ensureFolderTree } from './maildir-store.js';
import { MAILDIR_SYSTEM_FLAGS } from './message-filename.js';

export class MaildirTarget implements TargetConnector {
  readonly capabilities: TargetCapabilities = { appendReturnsId: true, batchAppend: false };
  private readonly store: MaildirStore;

  constructor(options: MaildirOptions) {
    this.store = new MaildirStore(options);
  }

  /** Creates the root (and INBOX's cur/new/tmp) when missing. */
  async connect(): Promise<void> {
    await ensureFolderTree(this.store, 'INBOX');
  }

  async close(): Promise<void> {}

  async namespace(): Promise<Namespace> {
    return NAMESPACE;
  }

  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]> {
    return this.store.listFolders(options);
  }

  async ensureFolder(path: string, _specialUse?: SpecialUse): Promise<EnsuredFolder> {
    return { path, created: await ensureFolderTree(this.store, path) };
  }

  status(path: string): Promise<FolderStatus> {
    return this.store.status(path);
  }

  /**
   * System flags, the folder's keywords, and new keywords while fewer than 26 exist
   * (file names have the letters a-z for them). A keyword appended beyond that is dropped.
   */
  async flagPolicy(path: string): Promise<FlagPolicy> {
    const folder = this.store.folder(path);
    if (!(await folder.exists().catch((e: unknown) => { throw fsError(e, `open folder "${path}"`); }))) throw folderNotFound(path, folder.dir);
    const keywords = (await folder.keywords()).filter((k): k is string => k !== undefined);
    return { permanent: [...MAILDIR_SYSTEM_FLAGS, ...keywords], newKeywords: keywords.length < MAX_KEYWORDS };
  }

  /** Stores the message in cur/ (never new/: it is our copy, not a delivery); returns its UID. */
  async append(path: string, raw: Buffer, flags: readonly string[], internalDate: Date): Promise<AppendResult> {
    const folder = this.store.folder(path);
    try {
      if (!(await folder.exists())) throw folderNotFound(path, folder.dir);
      return { uid: await folder.deliver(raw, flags, internalDate) };
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      throw fsError(error, `append to "${path}" at ${folder.dir}`);
    }
  }

  listWindow(path: string, fromUid: number, options?: ListOptions): Promise<MessageMeta[]> {
    return this.store.meta(path, (uid) => uid >= fromUid, options);
  }

  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    return this.store.raw(path, uids);
  }
}
