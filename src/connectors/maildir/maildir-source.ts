/**
 * A Maildir++ directory read as a mail source (restore from a backup, or read a Dovecot
 * store directly). UIDs are Dovecot's, from dovecot-uidlist: files that have none yet
 * (delivered into new/ by someone else) get the next ones, as Dovecot would give them.
 * Files stay where they are: reading moves nothing from new/ to cur/.
 */
import type {
  FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageMeta, Namespace, RawMessage, SourceCapabilities, SourceConnector,
} from '../types.js';
import type { MaildirOptions } from './maildir-options.js';
import { MaildirStore, NAMESPACE } from './maildir-store.js';

export class MaildirSource implements SourceConnector {
  readonly capabilities: SourceCapabilities = { incremental: 'uid', flags: true };
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
}
