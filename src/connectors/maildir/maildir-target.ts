/**
 * A Maildir++ directory as a backup target that Dovecot can serve as it is: messages in
 * cur/ with standard info letters, keywords in dovecot-keywords, UIDs in dovecot-uidlist
 * (so an append returns the UID Dovecot will show). Special-use roles are not recorded
 * (Dovecot takes them from its configuration, not from the Maildir).
 */
import { ConnectorError } from '../connector-error.js';
import type {
  AppendItem, AppendResult, EnsuredFolder, FlagPolicy, FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageFlags, MessageMeta, MirrorTarget,
  Namespace, RawMessage, SpecialUse, TargetConnector, TargetFeatures,
} from '../types.js';
import { renameFolderTree } from './folder-rename.js';
import { MAX_KEYWORDS } from './keywords-file.js';
import { folderNotFound, fsError } from './maildir-errors.js';
import { MaildirFolder } from './maildir-folder.js';
import type { MaildirOptions } from './maildir-options.js';
import { MaildirStore, NAMESPACE, ensureFolderTree } from './maildir-store.js';
import { expungeMessages, setMessageFlags } from './message-changes.js';
import { MAILDIR_SYSTEM_FLAGS } from './message-filename.js';

export class MaildirTarget implements TargetConnector, MirrorTarget {
  /** Files keep every byte (NUL too) and have Dovecot's UIDs. */
  readonly features: TargetFeatures = {
    recovery: {
      kind: 'uid-window',
      listWindow: (path, fromUid, options) => this.listWindow(path, fromUid, options),
      fetchRaw: (path, uids) => this.fetchRaw(path, uids),
    },
    storesNul: true,
    mirror: this,
  };
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
  async append(path: string, item: AppendItem): Promise<AppendResult> {
    const folder = this.store.folder(path);
    try {
      if (!(await folder.exists())) throw folderNotFound(path, folder.dir);
      return { uid: await folder.deliver(item.raw, item.flags, item.internalDate) };
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

  /** Renames each message's file to its new info letters (keywords beyond the 26th are dropped, as on append). */
  setFlags(path: string, changes: readonly MessageFlags[]): Promise<void> {
    return this.change(path, 'set flags in', (folder) => setMessageFlags(folder, changes));
  }

  /** Unlinks exactly these messages' files and drops them from dovecot-uidlist. */
  deleteMessages(path: string, uids: readonly number[]): Promise<void> {
    return this.change(path, 'delete messages in', (folder) => expungeMessages(folder, uids));
  }

  renameFolder(from: string, to: string): Promise<void> {
    return renameFolderTree(this.store.root, from, to);
  }

  /** Flags from the file names alone (no file is opened). */
  async fetchFlags(path: string, uids: readonly number[]): Promise<MessageFlags[]> {
    const view = await this.store.view(path);
    const wanted = new Set(uids);
    const folder = this.store.folder(path);
    const table = await folder.keywords().catch((error: unknown) => {
      throw fsError(error, `read keywords of "${path}"`);
    });
    return view.files.filter((f) => wanted.has(f.uid)).map((f) => ({ uid: f.uid, flags: MaildirFolder.flags(f.letters, table) }));
  }

  /** Runs a change on an existing folder, with file system errors as ConnectorErrors. */
  private async change(path: string, what: string, task: (folder: MaildirFolder) => Promise<void>): Promise<void> {
    const folder = this.store.folder(path);
    try {
      if (!(await folder.exists())) throw folderNotFound(path, folder.dir);
      await task(folder);
    } catch (error) {
      throw fsError(error, `${what} "${path}" at ${folder.dir}`);
    }
  }
}
