/** An IMAP account read as a source: folders are opened read-only (EXAMINE). */
import type { FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageMeta, Namespace, RawMessage, SourceCapabilities, SourceConnector } from '../types.js';
import type { ImapAccountOptions } from './imap-options.js';
import { ImapSession } from './imap-session.js';

export class ImapSource implements SourceConnector {
  readonly capabilities: SourceCapabilities = { incremental: 'uid', flags: true };
  private readonly session: ImapSession;

  constructor(account: ImapAccountOptions) {
    this.session = new ImapSession(account);
  }

  connect(): Promise<void> {
    return this.session.connect();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  namespace(): Promise<Namespace> {
    return this.session.namespace();
  }

  listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]> {
    return this.session.listFolders(options);
  }

  status(path: string): Promise<FolderStatus> {
    return this.session.status(path);
  }

  listUids(path: string, afterUid: number): Promise<number[]> {
    return this.session.searchUids(path, afterUid, true);
  }

  fetchMeta(path: string, uids: readonly number[], options?: ListOptions): Promise<MessageMeta[]> {
    return this.session.fetchMeta(path, uids, true, options);
  }

  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    return this.session.fetchRaw(path, uids, true);
  }

  streamRaw(path: string, uid: number): Promise<AsyncIterable<Buffer> | undefined> {
    return this.session.streamRaw(path, uid, true);
  }
}
