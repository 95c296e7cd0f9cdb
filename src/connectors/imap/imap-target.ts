/**
 * An IMAP account written as a target. The target folder is selected read-write before
 * appending because imapflow filters APPEND flags by the selected mailbox's
 * PERMANENTFLAGS, and EXAMINE reports none. The connection is never CLOSEd (that would
 * expunge \Deleted messages); LOGOUT and re-SELECT leave them alone (RFC 3501 6.3.1).
 */
import type {
  AppendItem, AppendResult, EnsuredFolder, FlagPolicy, FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageFlags, MessageMeta,
  MirrorTarget, Namespace, RawMessage, SpecialUse, TargetCapabilities, TargetConnector,
} from '../types.js';
import { renameMailbox } from './folder-rename.js';
import { toConnectorError } from './imap-errors.js';
import type { ImapAccountOptions } from './imap-options.js';
import { ImapSession } from './imap-session.js';
import { readFlagsOf, storeFlags } from './message-flags.js';
import { multiAppend } from './multi-append.js';
import { expungeUids } from './uid-expunge.js';

export class ImapTarget implements TargetConnector, MirrorTarget {
  private readonly session: ImapSession;

  constructor(account: ImapAccountOptions) {
    this.session = new ImapSession(account);
  }

  get capabilities(): TargetCapabilities {
    const caps = this.session.capabilities;
    const limit = caps.get('APPENDLIMIT');
    const base = { appendReturnsId: caps.has('UIDPLUS'), batchAppend: caps.has('MULTIAPPEND') };
    return typeof limit === 'number' ? { ...base, maxMessageBytes: limit } : base;
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

  /**
   * Creates the folder unless it exists. imapflow's create also subscribes it, since many
   * clients show only subscribed folders. The special-use role is not requested yet:
   * imapflow has no CREATE-SPECIAL-USE (RFC 6154 3), so roles come from mapping onto
   * existing folders.
   */
  async ensureFolder(path: string, _specialUse?: SpecialUse): Promise<EnsuredFolder> {
    const client = await this.session.imap();
    try {
      const result = await client.mailboxCreate(path);
      return { path, created: result.created };
    } catch (error) {
      const code = (error as { serverResponseCode?: string }).serverResponseCode;
      if (code === 'ALREADYEXISTS') return { path, created: false };
      throw toConnectorError(error, `create folder "${path}" on ${this.session.label}`, 'folder');
    }
  }

  status(path: string): Promise<FolderStatus> {
    return this.session.status(path);
  }

  async flagPolicy(path: string): Promise<FlagPolicy> {
    const mailbox = await this.session.select(path, false);
    // No PERMANENTFLAGS at all means every flag may be stored permanently (RFC 3501 7.1).
    const permanent = mailbox.permanentFlags ? [...mailbox.permanentFlags] : ['\\*'];
    return { permanent: permanent.filter((flag) => flag !== '\\*'), newKeywords: permanent.includes('\\*') };
  }

  async append(path: string, raw: Buffer, flags: readonly string[], internalDate: Date): Promise<AppendResult> {
    await this.session.select(path, false);
    const client = await this.session.imap();
    let response;
    try {
      response = await client.append(path, raw, [...flags], internalDate);
    } catch (error) {
      throw toConnectorError(error, `append to "${path}" on ${this.session.label}`, 'message');
    }
    if (!response) throw toConnectorError({ code: 'NoConnection', message: 'not connected' }, `append to "${path}"`, 'message');
    return response.uid ? { uid: response.uid } : {};
  }

  async appendBatch(path: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    const client = await this.session.imap();
    let uids: number[];
    try {
      uids = await multiAppend(client, path, items);
    } catch (error) {
      throw toConnectorError(error, `append ${items.length} messages to "${path}" on ${this.session.label}`, 'message');
    }
    return items.map((_, i) => (uids[i] === undefined ? {} : { uid: uids[i] as number }));
  }

  listWindow(path: string, fromUid: number, options?: ListOptions): Promise<MessageMeta[]> {
    return this.session.fetchMeta(path, `${Math.max(1, fromUid)}:*`, false, options).then((list) => list.filter((m) => m.uid >= fromUid));
  }

  fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    return this.session.fetchRaw(path, uids, false);
  }

  /** One `UID STORE <uids> FLAGS (...)` per distinct flag set; an empty set clears the flags. */
  setFlags(path: string, changes: readonly MessageFlags[]): Promise<void> {
    return storeFlags(this.session, path, changes);
  }

  /** UID EXPUNGE of exactly these UIDs; an UNSUPPORTED ConnectorError when the server lacks UIDPLUS. */
  deleteMessages(path: string, uids: readonly number[]): Promise<void> {
    return expungeUids(this.session, path, uids);
  }

  renameFolder(from: string, to: string): Promise<void> {
    return renameMailbox(this.session, from, to);
  }

  fetchFlags(path: string, uids: readonly number[]): Promise<MessageFlags[]> {
    return readFlagsOf(this.session, path, uids, false);
  }
}
