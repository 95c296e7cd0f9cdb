/**
 * A Maildir++ directory read as a mail source (restore from a backup, or read a Dovecot
 * store directly). UIDs are Dovecot's, from dovecot-uidlist: files that have none yet
 * (delivered into new/ by someone else) get the next ones, as Dovecot would give them.
 * Files stay where they are: reading moves nothing from new/ to cur/.
 */
import type {
  FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageFlags, MessageMeta, Namespace, RawMessage, UidSource, UidSourceFeatures,
} from '../types.js';
import { fsError } from './maildir-errors.js';
import { MaildirFolder } from './maildir-folder.js';
import type { MaildirOptions } from './maildir-options.js';
import { MaildirStore, NAMESPACE } from './maildir-store.js';

export class MaildirSource implements UidSource {
  readonly kind = 'uid' as const;
  /** Files are read whole (no fetchLarge); listings and flags come from file names, so a Maildir can be followed. */
  readonly features: UidSourceFeatures = {
    mirror: { listAllUids: (path) => this.listAllUids(path), fetchFlags: (path, uptoUid) => this.fetchFlags(path, uptoUid) },
  };
  private readonly store: MaildirStore;

  constructor(options: MaildirOptions) {
    this.store = new MaildirStore(options);
  }

  /** Checks that the root is a Maildir we may read: FOLDER_NOT_FOUND or AUTH_FAILED (account) if not. */
  async connect(): Promise<void> {
    await this.store.checkRoot();
  }

  async close(): Promise<void> {}

  async namespace(): Promise<Namespace> {
    return NAMESPACE;
  }

  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]> {
    return this.store.listFolders(options);
  }

  status(path: string): Promise<FolderStatus> {
    return this.store.status(path);
  }

  async listUids(path: string, afterUid: number): Promise<number[]> {
    const view = await this.store.view(path);
    return view.files.map((f) => f.uid).filter((uid) => uid > afterUid);
  }

  fetchMeta(path: string, uids: readonly number[], options?: ListOptions): Promise<MessageMeta[]> {
    const wanted = new Set(uids);
    return this.store.meta(path, (uid) => wanted.has(uid), options);
  }

  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    return this.store.raw(path, uids);
  }

  /** Every UID with the folder's UIDVALIDITY, from one reading of dovecot-uidlist and the directory. */
  async listAllUids(path: string): Promise<{ uidValidity: string; uids: number[] }> {
    const view = await this.store.view(path);
    return { uidValidity: String(view.uidValidity), uids: view.files.map((f) => f.uid).sort((a, b) => a - b) };
  }

  /** Flags from the file names alone (no file is opened). A Maildir has no MODSEQs: every message up to `uptoUid`. */
  async fetchFlags(path: string, uptoUid: number): Promise<MessageFlags[]> {
    const view = await this.store.view(path);
    const table = await this.store.folder(path).keywords().catch((error: unknown) => {
      throw fsError(error, `read keywords of "${path}"`);
    });
    return view.files.filter((f) => f.uid <= uptoUid).map((f) => ({ uid: f.uid, flags: MaildirFolder.flags(f.letters, table) }));
  }
}
