/**
 * One configured ExchangeService plus what both the source and the target need: calls
 * bounded by the concurrency limit with their errors mapped, the well-known folders, and
 * the folder listing that turns paths into folder ids.
 *
 * EWS is stateless HTTP, so there is no connection to keep: connect() checks the
 * credentials once (GetFolder msgfolderroot) and close() drops the sockets.
 */
import http from 'node:http';
import https from 'node:https';
import {
  ConnectingIdType, ExchangeCredentials, ExchangeService, ExchangeVersion, FindFoldersResults, Folder, FolderTraversal, FolderView,
  ImpersonatedUserId, OAuthCredentials, PropertySet, BasePropertySet, TimeZoneInfo, Uri, WebCredentials, WellKnownFolderName, XhrApi,
  type IXHRApi, type IXHROptions,
} from 'ews-javascript-api';
import { ConnectorError, type ErrorScope } from '../connector-error.js';
import { OPEN_GATE, type AccountGate, type SpecialUse } from '../types.js';
import { BearerXhrApi } from './bearer-xhr.js';
import { DEFAULT_BACKOFF_MS, toConnectorError, type ErrorContext, type HttpExchange } from './ews-errors.js';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT_MS, type EwsAccountOptions } from './ews-options.js';
import { buildFolderTree, INBOX, type FolderEntry, type RawFolder } from '../exchange/folder-tree.js';
import { ATTRIBUTE_HIDDEN, folderPropertySet } from './item-properties.js';
import { Limiter } from '../limiter.js';
import { ntlmAuth } from './ntlm-auth.js';
import { sharedTokenProvider } from './oauth-token.js';
import { ObservingXhrApi, connectorFailure, observe } from './transport.js';

/** FindFolders page size; EWSFindCountLimit caps a page at 1000. */
const FOLDER_PAGE = 500;

/** The well-known folders with an IMAP role, found by their distinguished ids. */
const SPECIAL_FOLDERS: ReadonlyArray<readonly [WellKnownFolderName, SpecialUse]> = [
  [WellKnownFolderName.SentItems, '\\Sent'],
  [WellKnownFolderName.Drafts, '\\Drafts'],
  [WellKnownFolderName.DeletedItems, '\\Trash'],
  [WellKnownFolderName.JunkEmail, '\\Junk'],
];

/** Credentials that add no Authorization header: the NTLM provider, or the bearer transport, adds its own. */
class HandshakeCredentials extends ExchangeCredentials {
  override PrepareWebRequest(_request: IXHROptions): void {}
}

export interface WellKnownFolders {
  readonly rootId: string;
  readonly inboxId: string | undefined;
  /** Folder id -> role. */
  readonly specialUses: ReadonlyMap<string, SpecialUse>;
  /** Role -> folder id. */
  readonly byRole: ReadonlyMap<SpecialUse, string>;
}

export interface FolderIndex {
  readonly entries: readonly FolderEntry[];
  readonly byPath: ReadonlyMap<string, FolderEntry>;
}

export class EwsSession {
  /** "user@host:port" (and "for mailbox" with impersonation), for messages; never a secret. */
  readonly label: string;
  private readonly limiter: Limiter;
  private readonly gate: AccountGate;
  private readonly context: ErrorContext;
  private exchange: { service: ExchangeService; agents: Array<http.Agent | https.Agent> } | undefined;
  private verified = false;
  private wellKnownFolders: Promise<WellKnownFolders> | undefined;
  private folderIndex: Promise<FolderIndex> | undefined;

  constructor(private readonly account: EwsAccountOptions) {
    this.label = accountLabel(account);
    this.limiter = new Limiter(account.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
    this.gate = account.gate ?? OPEN_GATE;
    this.context = { auth: account.auth, ...(account.impersonate === undefined ? {} : { impersonating: account.impersonate }) };
  }

  /** Checks the credentials (and the impersonation right) with one GetFolder of msgfolderroot, once. */
  async connect(): Promise<void> {
    if (this.verified) return;
    await this.call('log in', 'account', (service) => Folder.Bind(service, WellKnownFolderName.MsgFolderRoot, new PropertySet(BasePropertySet.IdOnly)));
    this.verified = true;
    this.account.logger?.debug({ account: this.label }, 'EWS credentials accepted');
  }

  async close(): Promise<void> {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.verified = false;
    this.wellKnownFolders = undefined;
    this.folderIndex = undefined;
    for (const agent of exchange?.agents ?? []) agent.destroy();
  }

  /**
   * Runs one EWS operation within the concurrency limit and maps its failure.
   * @param what - what is being done ("list folders"); the account label is added.
   * @param scope - the blast radius when the server refuses the operation itself.
   */
  async call<T>(what: string, scope: ErrorScope, fn: (service: ExchangeService) => Promise<T>): Promise<T> {
    const service = this.service();
    return this.limiter.run(async () => {
      // Exchange counts every request of the mailbox against one budget: none while it asked to wait.
      await this.gate.beforeRequest();
      const record: HttpExchange = {};
      const started = Date.now();
      try {
        const result = await observe(record, () => fn(service));
        this.account.logger?.debug({ account: this.label, op: what, ms: Date.now() - started }, 'EWS call');
        return result;
      } catch (error) {
        const mapped = this.mapError(error, `${what} on ${this.label}`, scope, record);
        // A folder id went stale (deleted or recreated meanwhile): list again next time.
        if (mapped.code === 'FOLDER_NOT_FOUND') this.forgetFolders();
        const fields = { account: this.label, op: what, ms: Date.now() - started, code: mapped.code, status: record.status, retryAfterMs: mapped.retryAfterMs };
        // A throttled token request (connectorFailure) is the authority's, not the mailbox's.
        if (mapped.code === 'THROTTLED' && connectorFailure(record) === undefined) this.gate.backOff(mapped.retryAfterMs ?? DEFAULT_BACKOFF_MS);
        if (mapped.code === 'THROTTLED') this.account.logger?.warn(fields, 'EWS server asks to slow down');
        else this.account.logger?.debug(fields, 'EWS call failed');
        throw mapped;
      }
    });
  }

  private mapError(error: unknown, what: string, scope: ErrorScope, record: HttpExchange): ConnectorError {
    // No token could be had (OAuth): the provider's error says why, the library's would not.
    const tokenFailure = connectorFailure(record);
    if (tokenFailure !== undefined) {
      const { code, scope: reach, retry, retryAfterMs } = tokenFailure;
      return new ConnectorError(`${what}: ${tokenFailure.message}`, { code, scope: reach, retry, cause: tokenFailure.cause, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    }
    const mapped = toConnectorError(error, what, scope, record, this.context);
    if (this.account.auth === 'oauth' && this.account.oauth !== undefined && mapped.code === 'AUTH_FAILED' && record.status === 401) {
      // A fresh app-only token was refused: the app lacks the right, not the secret.
      return new ConnectorError(`${what}: Exchange refused the app-only token (HTTP 401); check that the app has the application permission ` +
        'full_access_as_app of Office 365 Exchange Online with admin consent, in the tenant of this mailbox', { code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: error });
    }
    return mapped;
  }

  /** Ids of msgfolderroot, the Inbox and the folders with an IMAP role; read once. */
  wellKnown(): Promise<WellKnownFolders> {
    this.wellKnownFolders ??= this.readWellKnown().catch((error: unknown) => {
      this.wellKnownFolders = undefined;
      throw error;
    });
    return this.wellKnownFolders;
  }

  /** Every folder under msgfolderroot with its path; read once, until `forgetFolders()`. */
  folders(): Promise<FolderIndex> {
    this.folderIndex ??= this.readFolders().catch((error: unknown) => {
      this.folderIndex = undefined;
      throw error;
    });
    return this.folderIndex;
  }

  /** Drops the cached listing (after creating a folder, or when a folder id went stale). */
  forgetFolders(): void {
    this.folderIndex = undefined;
  }

  /**
   * The folder at `path`; a FOLDER_NOT_FOUND ConnectorError when there is none. A path
   * missing from the cached listing is looked up once more in a fresh one: another
   * connector (another worker) may have created it since.
   */
  async folder(path: string): Promise<FolderEntry> {
    const key = normalizeInbox(path);
    const cached = this.folderIndex;
    const entry = (await this.folders()).byPath.get(key);
    if (entry) return entry;
    if (cached !== undefined) {
      this.forgetFolders();
      const fresh = (await this.folders()).byPath.get(key);
      if (fresh) return fresh;
    }
    throw new ConnectorError(`folder "${path}" does not exist on ${this.label}`, { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never' });
  }

  private async readWellKnown(): Promise<WellKnownFolders> {
    const bind = (name: WellKnownFolderName) => this.call(`find well-known folder ${WellKnownFolderName[name]}`, 'folder', (service) =>
      Folder.Bind(service, name, new PropertySet(BasePropertySet.IdOnly))).then((folder) => folder.Id.UniqueId, (error: unknown) => {
      // A mailbox may lack a well-known folder (never opened in Outlook): it has no role then.
      if (error instanceof ConnectorError && error.code === 'FOLDER_NOT_FOUND') return undefined;
      throw error;
    });
    const [rootId, inboxId, ...special] = await Promise.all([
      bind(WellKnownFolderName.MsgFolderRoot), bind(WellKnownFolderName.Inbox), ...SPECIAL_FOLDERS.map(([name]) => bind(name)),
    ]);
    if (rootId === undefined) {
      throw new ConnectorError(`the mailbox of ${this.label} has no msgfolderroot`, { code: 'PROTOCOL', scope: 'account', retry: 'never' });
    }
    const specialUses = new Map<string, SpecialUse>();
    const byRole = new Map<SpecialUse, string>();
    SPECIAL_FOLDERS.forEach(([, role], i) => {
      const id = special[i];
      if (id === undefined || id === inboxId || specialUses.has(id)) return;
      specialUses.set(id, role);
      byRole.set(role, id);
    });
    return { rootId, inboxId, specialUses, byRole };
  }

  private async readFolders(): Promise<FolderIndex> {
    const known = await this.wellKnown();
    const raw: RawFolder[] = [];
    for (let offset = 0; ;) {
      const view = new FolderView(FOLDER_PAGE, offset);
      view.Traversal = FolderTraversal.Deep;
      view.PropertySet = folderPropertySet();
      const page: FindFoldersResults = await this.call('list folders', 'account', (service) => service.FindFolders(WellKnownFolderName.MsgFolderRoot, view));
      for (const folder of page.Folders) {
        const hidden = { outValue: null as unknown };
        folder.ExtendedProperties.TryGetValue(ATTRIBUTE_HIDDEN, hidden);
        raw.push({
          id: folder.Id.UniqueId,
          parentId: folder.ParentFolderId?.UniqueId,
          displayName: folder.DisplayName ?? '',
          folderClass: folder.FolderClass ?? undefined,
          totalCount: Number(folder.TotalCount ?? 0),
          hidden: hidden.outValue === true,
        });
      }
      // ews-javascript-api 0.15.3 reads IndexedPagingOffset for FindFolder but never stores
      // it (FindFolderResponse), so NextPageOffset stays null: continue after this page then.
      const given = page.NextPageOffset as number | null | undefined;
      const next = given === null || given === undefined ? offset + page.Folders.length : Number(given);
      // Stop unless the server promises more *and* moves forward: a stuck offset would loop forever.
      if (!page.MoreAvailable || !Number.isInteger(next) || next <= offset) break;
      offset = next;
    }
    const entries = buildFolderTree({ rootId: known.rootId, inboxId: known.inboxId, specialUses: known.specialUses, folders: raw });
    return { entries, byPath: new Map(entries.map((entry) => [entry.path, entry])) };
  }

  /** The ExchangeService, configured on first use (and again after close()). */
  private service(): ExchangeService {
    this.exchange ??= buildService(this.account);
    return this.exchange.service;
  }
}

/** "user@host:port", and " for mailbox" when impersonating: the config layer's account label. */
function accountLabel(account: EwsAccountOptions): string {
  let hostPort = account.url;
  try {
    const url = new URL(account.url);
    hostPort = `${url.hostname}:${url.port || (url.protocol === 'http:' ? '80' : '443')}`;
  } catch {
    // An invalid URL is reported when the service is built.
  }
  const label = `${account.user}@${hostPort}`;
  return account.impersonate === undefined ? label : `${label} for ${account.impersonate}`;
}

/** A top-level INBOX of any case is the Inbox (RFC 3501 5.1). */
function normalizeInbox(path: string): string {
  const [first, ...rest] = path.split('/');
  return first !== undefined && /^inbox$/i.test(first) ? [INBOX, ...rest].join('/') : path;
}

function configError(account: EwsAccountOptions, message: string): ConnectorError {
  return new ConnectorError(`${accountLabel(account)}: ${message}`, { code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
}

function buildService(account: EwsAccountOptions): { service: ExchangeService; agents: Array<http.Agent | https.Agent> } {
  let url: URL;
  try {
    url = new URL(account.url);
  } catch {
    throw new ConnectorError(`EWS URL "${account.url}" is not a URL`, { code: 'CONNECT_FAILED', scope: 'account', retry: 'never' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConnectorError(`EWS URL "${account.url}" must be http(s)://`, { code: 'CONNECT_FAILED', scope: 'account', retry: 'never' });
  }
  // UTC, so the library never guesses the machine's zone (and prints when it cannot).
  const service = new ExchangeService(ExchangeVersion.Exchange2013_SP1, TimeZoneInfo.Utc);
  service.Url = new Uri(url.href);
  const tls: https.AgentOptions = { minVersion: 'TLSv1.2', ...(account.ca ? { ca: account.ca } : {}) };
  const maxSockets = account.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const agents: Array<http.Agent | https.Agent> = [];
  const requestOptions: Record<string, unknown> = { rejectUnauthorized: true, timeout: account.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  let xhr: IXHRApi;
  switch (account.auth) {
    case 'ntlm': {
      if (account.password === undefined) throw configError(account, 'NTLM needs a password');
      // Sockets are per handshake (ntlm-auth.ts): NTLM authenticates a connection.
      const handshaking = new XhrApi(requestOptions);
      handshaking.setAuthProvider(ntlmAuth(account.user, account.password, tls));
      xhr = handshaking;
      service.Credentials = new HandshakeCredentials();
      break;
    }
    case 'basic':
    case 'oauth': {
      const httpsAgent = new https.Agent({ ...tls, keepAlive: true, maxSockets, rejectUnauthorized: true });
      const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
      agents.push(httpsAgent, httpAgent);
      const plain = new XhrApi({ ...requestOptions, httpsAgent, httpAgent });
      if (account.auth === 'oauth' && (account.oauth !== undefined || account.accessToken === undefined)) {
        // Client credentials: the transport adds a fresh token to each request; the credentials add nothing.
        xhr = new BearerXhrApi(plain, tokenProvider(account));
        service.Credentials = new HandshakeCredentials();
      } else {
        xhr = plain;
        service.Credentials = account.auth === 'basic' ? basicCredentials(account) : bearerCredentials(account);
      }
      break;
    }
    default:
      throw configError(account, `unknown EWS authentication "${String(account.auth)}"`);
  }
  service.XHRApi = new ObservingXhrApi(xhr);
  service.HttpHeaders.Add('User-Agent', 'mailferry');
  if (account.impersonate !== undefined) {
    service.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, account.impersonate);
    // Microsoft: "When using impersonation you must always use the X-AnchorMailbox header";
    // the library adds it only for group mailboxes.
    service.HttpHeaders.Add('X-AnchorMailbox', account.impersonate);
  }
  return { service, agents };
}

function basicCredentials(account: EwsAccountOptions): WebCredentials {
  if (account.password === undefined) throw configError(account, 'basic authentication needs a password');
  return new WebCredentials(account.user, account.password);
}

/** The account's shared client-credentials token provider (one token and one refresh per app and secret). */
function tokenProvider(account: EwsAccountOptions) {
  const oauth = account.oauth;
  if (oauth === undefined || !oauth.tenant || !oauth.clientId || !oauth.clientSecret) {
    throw configError(account, 'OAuth needs an access token, or client credentials: the tenant id, the client id and the client secret');
  }
  if (account.accessToken !== undefined) throw configError(account, 'OAuth takes an access token or client credentials, not both');
  return sharedTokenProvider({
    ...oauth,
    timeoutMs: Math.min(account.timeoutMs ?? DEFAULT_TIMEOUT_MS, 60_000),
    ...(account.ca === undefined ? {} : { ca: account.ca }),
    ...(account.logger === undefined ? {} : { logger: account.logger }),
  });
}

/**
 * The token as given (verbatim: the library's own check accepts only JWTs), after a
 * "Bearer " prefix is removed; whitespace inside would break the header, so it is refused.
 */
function bearerCredentials(account: EwsAccountOptions): OAuthCredentials {
  const token = (account.accessToken ?? '').replace(/^Bearer\s+/i, '').trim();
  if (token === '' || /\s/.test(token)) throw configError(account, 'OAuth needs an access token (one word, no spaces)');
  return new OAuthCredentials(token, true);
}
