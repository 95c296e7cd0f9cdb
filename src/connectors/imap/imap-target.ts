/**
 * An IMAP account written as a target. imapflow filters APPEND flags by the selected
 * folder's PERMANENTFLAGS (and EXAMINE reports none), so a message is appended with the
 * target folder selected read-write, or with no folder selected (then the flags pass as
 * given, and the engine keeps to what flagPolicy() read). The latter on servers without
 * UIDPLUS: those are the old, often mbox-backed ones, and GNU Mailutils loses what is
 * appended to the folder a session holds open (deselect.ts). The connection never CLOSEs
 * a folder selected read-write (that would expunge \Deleted messages).
 */
import type {
  AppendItem, AppendResult, EnsuredFolder, FlagPolicy, FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageFlags, MessageMeta,
  MirrorTarget, Namespace, RawMessage, SpecialUse, StoredCopy, TargetConnector, TargetFeatures,
} from '../types.js';
import { createFolder } from './create-folder.js';
import { renameMailbox } from './folder-rename.js';
import { toConnectorError } from './imap-errors.js';
import type { ImapAccountOptions } from './imap-options.js';
import { ImapSession } from './imap-session.js';
import { readFlagsOf, storeFlags } from './message-flags.js';
import { multiAppend, multiAppendSupport } from './multi-append.js';
import { expungeUids } from './uid-expunge.js';

export class ImapTarget implements TargetConnector, MirrorTarget {
  private readonly session: ImapSession;
  private readonly recovery = {
    kind: 'uid-window' as const,
    listWindow: (path: string, fromUid: number, options?: ListOptions) => this.listWindow(path, fromUid, options),
    fetchRaw: (path: string, uids: readonly number[]) => this.fetchRaw(path, uids),
  };

  /** Why MULTIAPPEND cannot be used with this imapflow (its internals changed); undefined while it can. */
  private multiAppendMissing: string | undefined;

  constructor(private readonly account: ImapAccountOptions) {
    this.session = new ImapSession(account);
  }

  /** From the server's capabilities, so known once connected. */
  get features(): TargetFeatures {
    const caps = this.session.capabilities;
    const limit = caps.get('APPENDLIMIT');
    return {
      recovery: this.recovery,
      // A NUL travels only in a literal8 (RFC 3516); IMAP4rev2 does not fold in BINARY's APPEND side.
      storesNul: caps.has('BINARY'),
      mirror: this,
      storedCopies: (path: string, uids: readonly number[]) => this.storedCopies(path, uids),
      ...(caps.has('MULTIAPPEND') && this.multiAppendMissing === undefined ? { appendAtomic: (path: string, items: readonly AppendItem[]) => this.appendBatch(path, items) } : {}),
      ...(typeof limit === 'number' ? { maxMessageBytes: limit } : {}),
    };
  }

  async connect(): Promise<void> {
    await this.session.connect();
    if (this.multiAppendMissing !== undefined || !this.session.capabilities.has('MULTIAPPEND')) return;
    this.multiAppendMissing = await multiAppendSupport(await this.session.imap());
    if (this.multiAppendMissing !== undefined && this.account.logger) {
      this.account.logger.warn({ account: this.session.label, reason: this.multiAppendMissing }, 'MULTIAPPEND off: this imapflow lacks what it is built on; appending one message per command');
    }
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
   * Creates the folder unless it exists (create-folder.ts: never INBOX; an existing folder
   * is accepted whatever words the server refuses it with). imapflow's create also
   * subscribes it, since many clients show only subscribed folders. The special-use role
   * is not requested: imapflow has no CREATE-SPECIAL-USE (RFC 6154 3), so roles come
   * from mapping onto existing folders.
   */
  ensureFolder(path: string, _specialUse?: SpecialUse): Promise<EnsuredFolder> {
    return createFolder(this.session, path);
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

  async append(path: string, item: AppendItem): Promise<AppendResult> {
    await this.prepareAppend(path);
    const client = await this.session.imap();
    let response;
    try {
      response = await client.append(path, item.raw, [...item.flags], item.internalDate);
    } catch (error) {
      throw toConnectorError(error, `append to "${path}" on ${this.session.label}`, 'message');
    }
    if (!response) throw toConnectorError({ code: 'NoConnection', message: 'not connected' }, `append to "${path}"`, 'message');
    return response.uid ? { uid: response.uid } : {};
  }

  /** The target folder selected read-write, or none on a server without UIDPLUS (see the class comment). */
  private async prepareAppend(path: string): Promise<void> {
    if (this.session.hasCapability('UIDPLUS')) await this.session.select(path, false);
    else await this.session.deselect();
  }

  async appendBatch(path: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    await this.prepareAppend(path);
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

  /** RFC822.SIZE and BODY.PEEK[HEADER] of `uids`: what the server made of messages just appended. */
  async storedCopies(path: string, uids: readonly number[]): Promise<Map<number, StoredCopy>> {
    const messages = await this.session.fetch(path, uids, false, { uid: true, size: true, headers: true });
    return new Map(messages.flatMap((m) => (m.size !== undefined && m.headers ? [[m.uid, { size: m.size, header: m.headers }] as const] : [])));
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
