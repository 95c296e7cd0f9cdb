/**
 * One authenticated imapflow connection plus the operations both the source and the
 * target need: namespace, folder listing, status, selecting and fetching.
 *
 * imapflow runs one command at a time per connection and deadlocks if a command is
 * issued inside a `fetch()` loop (imapflow #110, #159, #284), so every fetch here is
 * collected fully before the next command.
 */
import { ImapFlow, type FetchMessageObject, type FetchQueryObject, type ImapFlowOptions, type MailboxObject, type StatusObject } from 'imapflow';
import { OPEN_GATE } from '../types.js';
import type { AccountGate, FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageMeta, Namespace, RawMessage, SpecialUse } from '../types.js';
import type { ImapAccountOptions, ImapLogger } from './imap-options.js';
import { ConnectorError, isConnectorError } from '../connector-error.js';
import { oauthLoginError, toConnectorError } from './imap-errors.js';
import { checkedUids } from './checked-uids.js';
import { deselect } from './deselect.js';
import { collectBytes } from '../collect-bytes.js';
import { exactBytes, type BinaryFetch } from './exact-bytes.js';
import { gateClient, gatedLogger } from './gated-client.js';
import { solicitedMessages } from './fetch-responses.js';
import { compressUids } from './uid-set.js';

const SPECIAL_USES = new Set<string>(['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged']);

export class ImapSession {
  private client: ImapFlow | undefined;
  private selected: { path: string; readOnly: boolean; mailbox: MailboxObject } | undefined;
  private readonly gate: AccountGate;
  /** The client's every command asks the gate (gated-client.ts); when false, each operation does. */
  private gatedPerCommand = false;

  constructor(private readonly account: ImapAccountOptions) {
    this.gate = account.gate ?? OPEN_GATE;
  }

  /** "user@host:port", for error messages; never includes the secret. */
  get label(): string {
    return `${this.account.user}@${this.account.host}:${this.account.port}`;
  }

  async connect(): Promise<void> {
    if (this.client?.usable) return;
    const tokens = this.account.tokens;
    let client: ImapFlow;
    if (tokens === undefined) {
      client = await this.login(this.account.accessToken);
    } else {
      // A token per connect (the provider reuses it until shortly before it expires), so a
      // reconnect never offers an expired one.
      const token = await this.oauthToken(() => tokens.token());
      try {
        client = await this.login(token);
      } catch (error) {
        if (!isConnectorError(error) || error.code !== 'AUTH_FAILED') throw error;
        // Refused although the provider thought it valid (revoked at the server, expired
        // early, clock skew): one fresh token, one more try.
        if (this.account.logger) this.account.logger.debug({ account: this.label, msg: 'the server refused the OAuth token; trying once with a fresh one' });
        client = await this.login(await this.oauthToken(() => tokens.refresh(token)));
      }
    }
    this.client = client;
    this.selected = undefined;
  }

  /** A token from the provider; its failure (already saying what to fix) gets this login's prefix. */
  private async oauthToken(get: () => Promise<string>): Promise<string> {
    try {
      return await get();
    } catch (error) {
      if (!isConnectorError(error)) throw toConnectorError(error, `login to ${this.label}`, 'account');
      throw new ConnectorError(`login to ${this.label}: ${error.message}`, {
        code: error.code, scope: error.scope, retry: error.retry, cause: error,
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      });
    }
  }

  private async login(accessToken: string | undefined): Promise<ImapFlow> {
    const client = new ImapFlow(this.clientOptions(accessToken));
    this.gatedPerCommand = gateClient(client, this.gate);
    if (!this.gatedPerCommand) await this.gate.beforeRequest();
    // imapflow emits 'error' on socket failures; the failing command rejects too, so the
    // listener only keeps the process from crashing on an unhandled 'error' event.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      // A refused login leaves the socket open; close it or it keeps the process alive.
      client.close();
      if (accessToken !== undefined) throw oauthLoginError(error, `login to ${this.label}`);
      throw toConnectorError(error, `login to ${this.label}`, 'account');
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.selected = undefined;
    if (!client) return;
    try {
      // LOGOUT, never CLOSE: CLOSE would expunge \Deleted messages in a read-write mailbox.
      await client.logout();
    } catch {
      client.close();
    }
  }

  /** The live client; reconnects when the previous connection dropped. */
  async imap(): Promise<ImapFlow> {
    if (!this.gatedPerCommand) await this.gate.beforeRequest();
    if (!this.client?.usable) await this.connect();
    return this.client as ImapFlow;
  }

  /** The account's logger, for warnings about the server's conduct; undefined when logging is off. */
  get logger(): ImapLogger | undefined {
    return this.account.logger || undefined;
  }

  get capabilities(): Map<string, boolean | number> {
    return this.client?.capabilities ?? new Map();
  }

  /**
   * The server offers `name`, itself or folded into IMAP4rev2 (RFC 9051 made IDLE, UID
   * EXPUNGE and FETCH BINARY base commands; where this says BINARY, imapflow's fetch
   * sends BINARY too). APPEND's literal8 is not folded in: it needs the BINARY token.
   */
  hasCapability(name: 'IDLE' | 'UIDPLUS' | 'BINARY'): boolean {
    const client = this.client;
    if (!client) return false;
    return client.capabilities.has(name) || client.enabled.has('IMAP4REV2') || client.enabled.has('IMAP4rev2');
  }

  async namespace(): Promise<Namespace> {
    const client = await this.imap();
    const ns = client.namespace as { prefix?: string; delimiter?: string } | undefined;
    return { prefix: ns?.prefix ?? '', delimiter: ns?.delimiter ?? '/' };
  }

  async listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]> {
    const client = await this.imap();
    // LIST-STATUS answers for the selected folder from this session's view, as STATUS does
    // (see status()): select it afresh. A folder gone meanwhile (renamed, deleted) is simply
    // no longer listed.
    if (options?.withStatus && this.selected && client.mailbox) {
      await this.reopen(this.selected.path, this.selected.readOnly).catch(() => { this.selected = undefined; });
    }
    let folders: FolderInfo[];
    try {
      const list = await client.list(options?.withStatus ? { statusQuery: STATUS_QUERY } : {});
      folders = list.map((entry) => {
        // imapflow also guesses special-use from names; mapping does that itself, with its
        // own documented list, so only the server's own attributes count here.
        const attr = entry.specialUseSource === 'extension' || entry.specialUseSource === 'user' ? entry.specialUse : undefined;
        // Attributes are case-insensitive (RFC 3501 9); GNU Mailutils sends \NoSelect.
        const attributes = new Set([...entry.flags].map((flag) => flag.toLowerCase()));
        const selectable = !attributes.has('\\noselect') && !attributes.has('\\nonexistent');
        let info: FolderInfo = { path: entry.path, delimiter: entry.delimiter || null, selectable };
        const status = entry.status ? toFolderStatus(entry.status) : undefined;
        if (status) info = { ...info, status };
        return attr && SPECIAL_USES.has(attr) ? { ...info, specialUse: attr as SpecialUse } : info;
      });
    } catch (error) {
      throw toConnectorError(error, `list folders on ${this.label}`, 'account');
    }
    if (!options?.withStatus) return folders;
    const completed: FolderInfo[] = [];
    for (const folder of folders) completed.push(folder.selectable && !folder.status ? await this.withStatus(folder) : folder);
    return completed;
  }

  /** A listed folder whose STATUS failed exists all the same: ask again, EXAMINE if need be; without status if it went away meanwhile. */
  private async withStatus(folder: FolderInfo): Promise<FolderInfo> {
    try {
      return { ...folder, status: await this.status(folder.path) };
    } catch (error) {
      if (isConnectorError(error) && error.code === 'FOLDER_NOT_FOUND') return folder;
      throw error;
    }
  }

  /**
   * UIDVALIDITY, UIDNEXT and counts of `path`; where the server refuses STATUS or leaves
   * those out for a folder that is there (GNU Mailutils, for an INBOX never opened; it
   * also sends names in STATUS unquoted), what EXAMINE says of it.
   */
  async status(path: string): Promise<FolderStatus> {
    const client = await this.imap();
    // Dovecot answers STATUS of the selected folder from this session's view of it (with
    // [CLIENTBUG]), which lags behind other sessions' changes until the next sync, and for
    // good once the folder was deleted and made again. A fresh SELECT sees it as it is.
    if (this.selected?.path === path && client.mailbox) await this.reopen(path, this.selected.readOnly);
    let result;
    try {
      result = await client.status(path, STATUS_QUERY);
    } catch (error) {
      const refused = toConnectorError(error, `status of "${path}" on ${this.label}`, 'folder');
      if (refused.code !== 'FOLDER_FAILED') throw refused;
      return this.examineStatus(path);
    }
    return (result ? toFolderStatus(result) : undefined) ?? this.examineStatus(path);
  }

  private async examineStatus(path: string): Promise<FolderStatus> {
    const mailbox = await this.reopen(path, true);
    return {
      uidValidity: mailbox.uidValidity.toString(),
      uidNext: mailbox.uidNext,
      messages: mailbox.exists,
      ...(mailbox.highestModseq === undefined ? {} : { highestModseq: mailbox.highestModseq.toString() }),
    };
  }

  /**
   * Selects `path` unless it already is; read-only uses EXAMINE. A selection kept from
   * before learns of other sessions' changes (new messages, expunges) only from the
   * untagged responses the server sends along with a command: with `current`, a NOOP
   * fetches them, so the returned counts are today's and not those of the last command.
   */
  async select(path: string, readOnly: boolean, options: { current?: boolean } = {}): Promise<MailboxObject> {
    const client = await this.imap();
    if (this.selected && this.selected.path === path && this.selected.readOnly === readOnly && client.mailbox) {
      if (options.current) {
        await client.noop();
        // imapflow's noop() swallows a lost connection; stale counts must not pass for current ones.
        if (!client.usable) throw toConnectorError({ code: 'NoConnection', message: 'connection lost during NOOP' }, `refresh "${path}" on ${this.label}`);
      }
      return this.selected.mailbox;
    }
    return this.reopen(path, readOnly);
  }

  /**
   * Selects `path` afresh, also when it is selected: a new SELECT sees the folder as it is
   * now, even where the old selection's view went stale for good (Dovecot keeps answering
   * from the old folder after it was deleted and made again).
   */
  async reopen(path: string, readOnly: boolean): Promise<MailboxObject> {
    const client = await this.imap();
    try {
      const mailbox = await client.mailboxOpen(path, { readOnly });
      this.selected = { path, readOnly, mailbox };
      return mailbox;
    } catch (error) {
      this.selected = undefined;
      throw toConnectorError(error, `open "${path}" on ${this.label}`, 'folder');
    }
  }

  /** Leaves the selected folder, expunging nothing (deselect.ts: before an APPEND). */
  async deselect(): Promise<void> {
    const client = await this.imap();
    this.selected = undefined;
    try {
      await deselect(client);
    } catch (error) {
      throw toConnectorError(error, `leave the selected folder on ${this.label}`, 'folder');
    }
  }

  /** Forgets the selection (after a RENAME moved it): the next command selects afresh. */
  forgetSelection(): void {
    this.selected = undefined;
  }

  /** Selects `path`; true when it holds no message, as of now (a cached empty count is checked with a NOOP). */
  private async isEmpty(path: string, readOnly: boolean): Promise<boolean> {
    const mailbox = await this.select(path, readOnly);
    return mailbox.exists === 0 && (await this.select(path, readOnly, { current: true })).exists === 0;
  }

  /** UIDs above `afterUid`, from a listing checked against the server's EXISTS count (checked-uids.ts). */
  async searchUids(path: string, afterUid: number, readOnly: boolean): Promise<number[]> {
    if (await this.isEmpty(path, readOnly)) return [];
    const uids = await checkedUids(this, await this.imap(), path, readOnly);
    return uids.filter((uid) => uid > afterUid);
  }

  async fetchMeta(path: string, uids: readonly number[] | string, readOnly: boolean, options?: ListOptions): Promise<MessageMeta[]> {
    const messages = await this.fetch(path, uids, readOnly, {
      uid: true, flags: true, internalDate: true, size: true, envelope: options?.withMessageId === true,
    });
    return messages.map((message) => toMeta(message));
  }

  /**
   * The exact bytes of `uids` (BODY.PEEK[]), made exact where the server may have shown
   * NUL bytes as 0x80 (see exact-bytes.ts); a message that cannot be is marked `inexact`.
   */
  async fetchRaw(path: string, uids: readonly number[], readOnly: boolean): Promise<RawMessage[]> {
    if (uids.length === 0) return [];
    const messages = await this.fetch(path, uids, readOnly, {
      uid: true, flags: true, internalDate: true, size: true, source: true,
    });
    const raws = messages.map((message) => {
      if (!message.source) throw toConnectorError({ message: `no body for UID ${message.uid}` }, `fetch "${path}"`, 'folder');
      return { ...toMeta(message), raw: message.source };
    });
    return exactBytes(raws, this.binaryFetch(path, readOnly));
  }

  /**
   * One large message (`meta` from fetchMeta) as `fetchRaw` gives it, read in partial
   * FETCHes of 1 MiB into one buffer of its size; undefined when it vanished. Where it
   * may hide NUL bytes, BINARY[] is read whole, so such a message is held twice for a
   * moment.
   */
  async fetchLarge(path: string, meta: MessageMeta, readOnly: boolean): Promise<RawMessage | undefined> {
    const stream = await this.streamRaw(path, meta.uid, readOnly);
    if (!stream) return undefined;
    let raw: Buffer;
    try {
      raw = await collectBytes(stream, meta.size);
    } catch (error) {
      throw toConnectorError(error, `download UID ${meta.uid} from "${path}" on ${this.label}`, 'folder');
    }
    const [exact] = await exactBytes([{ ...meta, raw }], this.binaryFetch(path, readOnly));
    return exact;
  }

  /** How to read BINARY[] (RFC 3516) in `path`; undefined when the server has no BINARY. */
  private binaryFetch(path: string, readOnly: boolean): BinaryFetch | undefined {
    // Without BINARY imapflow quietly sends BODY[] for `binary: true`: ask only when it will not.
    if (!this.hasCapability('BINARY')) return undefined;
    return async (uids) => {
      const messages = await this.fetch(path, uids, readOnly, { uid: true, source: true }, { binary: true });
      return new Map(messages.flatMap((message) => (message.source ? [[message.uid, message.source] as const] : [])));
    };
  }

  /**
   * Streams one message in partial FETCHes of 1 MiB (imapflow's download), so a large
   * message is never held as both a list of received chunks and their concatenation.
   * These are BODY[] bytes as they come, NUL bytes possibly shown as 0x80: `fetchLarge`
   * makes them exact.
   */
  async streamRaw(path: string, uid: number, readOnly: boolean): Promise<AsyncIterable<Buffer> | undefined> {
    // GNU Mailutils answers a UID FETCH of a UID it does not have with its last message;
    // a download of a message expunged meanwhile must not bring another one.
    const present = await this.fetch(path, [uid], readOnly, { uid: true });
    if (!present.some((message) => message.uid === uid)) return undefined;
    const client = await this.imap();
    try {
      const { content } = await client.download(String(uid), undefined, { uid: true, chunkSize: 1024 * 1024 });
      return content ?? undefined;
    } catch (error) {
      throw toConnectorError(error, `download UID ${uid} from "${path}" on ${this.label}`, 'folder');
    }
  }

  /**
   * Messages of `uids` (a list, or a UID sequence set) with what `query` asks for; none
   * when the folder is empty. `options.changedSince` narrows them to those changed after a
   * CONDSTORE MODSEQ (imapflow leaves it out where the server or folder has no MODSEQs,
   * so the answer is then a superset). `options.binary` asks BINARY.PEEK[] (RFC 3516)
   * instead of BODY.PEEK[] for `query.source`, where the server has BINARY.
   */
  async fetch(path: string, uids: readonly number[] | string, readOnly: boolean, query: FetchQueryObject, options: { changedSince?: bigint; binary?: boolean } = {}): Promise<FetchMessageObject[]> {
    if (typeof uids !== 'string' && uids.length === 0) return [];
    if (await this.isEmpty(path, readOnly)) return [];
    const client = await this.imap();
    const range = typeof uids === 'string' ? uids : compressUids(uids);
    try {
      // BODY.PEEK (imapflow's `source`) so fetching never sets \Seen.
      return solicitedMessages(await client.fetchAll(range, query, { uid: true, ...options }), query);
    } catch (error) {
      throw toConnectorError(error, `fetch from "${path}" on ${this.label}`, 'folder');
    }
  }

  private clientOptions(accessToken: string | undefined): ImapFlowOptions {
    const a = this.account;
    const tls = { rejectUnauthorized: true, minVersion: 'TLSv1.2' as const, ...(a.ca ? { ca: a.ca } : {}) };
    const auth = accessToken !== undefined ? { user: a.user, accessToken } : { user: a.user, pass: a.password ?? '' };
    return {
      host: a.host,
      port: a.port,
      auth,
      secure: a.tls === 'implicit',
      // true: STARTTLS required, fail if the server does not offer it; false: plaintext by request.
      ...(a.tls === 'implicit' ? {} : { doSTARTTLS: a.tls === 'starttls' }),
      tls,
      logger: gatedLogger(a.logger, this.gate),
      disableAutoIdle: true,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 5 * 60_000,
      ...(a.maxLiteralBytes ? { maxLiteralSize: a.maxLiteralBytes } : {}),
    };
  }
}

// imapflow asks for SIZE only where the server has STATUS=SIZE (RFC 8438) or IMAP4rev2.
const STATUS_QUERY = { uidNext: true, uidValidity: true, messages: true, highestModseq: true, size: true } as const;

/** imapflow's STATUS answer -> FolderStatus; undefined when it lacks UIDVALIDITY or UIDNEXT (or is an error). */
function toFolderStatus(result: StatusObject): FolderStatus | undefined {
  if (result.uidValidity === undefined || result.uidNext === undefined) return undefined;
  return {
    uidValidity: result.uidValidity.toString(),
    uidNext: result.uidNext,
    messages: result.messages ?? 0,
    ...(result.size === undefined ? {} : { bytes: result.size }),
    ...(result.highestModseq === undefined ? {} : { highestModseq: result.highestModseq.toString() }),
  };
}

function toMeta(message: FetchMessageObject): MessageMeta {
  const flags = [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent');
  const internalDate = message.internalDate instanceof Date ? message.internalDate : new Date(message.internalDate ?? 0);
  const meta: MessageMeta = { uid: message.uid, size: message.size ?? message.source?.length ?? 0, flags, internalDate };
  const messageId = message.envelope?.messageId;
  return messageId ? { ...meta, messageId } : meta;
}
