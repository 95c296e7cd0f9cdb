/** An IMAP account read as a source: folders are opened read-only (EXAMINE). */
import type {
  FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageFlags, MessageMeta, Namespace, RawMessage, UidSource, UidSourceFeatures,
} from '../types.js';
import { listAllUids, type AllUids } from './all-uids.js';
import { readFlags } from './message-flags.js';
import type { ImapAccountOptions } from './imap-options.js';
import { ImapSession } from './imap-session.js';

export class ImapSource implements UidSource {
  readonly kind = 'uid' as const;
  readonly features: UidSourceFeatures = {
    fetchLarge: (path, meta) => this.fetchLarge(path, meta),
    mirror: { listAllUids: (path) => this.listAllUids(path), fetchFlags: (path, uptoUid, changedSince) => this.fetchFlags(path, uptoUid, changedSince) },
  };

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

  /** BODY[] as it comes: NUL bytes may show as 0x80 (see exact-bytes.ts); `fetchLarge` gives the exact bytes. */
  streamRaw(path: string, uid: number): Promise<AsyncIterable<Buffer> | undefined> {
    return this.session.streamRaw(path, uid, true);
  }

  /** One large message read in 1 MiB pieces into one buffer, exact as `fetchRaw` makes it; undefined when it vanished. */
  fetchLarge(path: string, meta: MessageMeta): Promise<RawMessage | undefined> {
    return this.session.fetchLarge(path, meta, true);
  }

  /** Every UID under one UIDVALIDITY; rejects with UIDVALIDITY_CHANGED rather than return UIDs of another incarnation of the folder. */
  listAllUids(path: string): Promise<AllUids> {
    return listAllUids(this.session, path);
  }

  /** `UID FETCH 1:<uptoUid> (FLAGS)`, with CHANGEDSINCE (CONDSTORE) when given. */
  async fetchFlags(path: string, uptoUid: number, changedSince?: string): Promise<MessageFlags[]> {
    if (uptoUid < 1) return [];
    const flags = await readFlags(this.session, path, `1:${uptoUid}`, true, changedSince);
    return flags.filter((message) => message.uid <= uptoUid);
  }
}
