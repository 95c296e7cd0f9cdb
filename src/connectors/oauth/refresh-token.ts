/**
 * Delegated OAuth 2.0 tokens from a refresh token (RFC 6749 section 6): Gmail, and
 * Microsoft 365 with a delegated app (IMAP.AccessAsUser.All, offline_access).
 *
 * POST {tokenUrl}, application/x-www-form-urlencoded: grant_type=refresh_token,
 * client_id, refresh_token, client_secret (confidential clients; none for a public
 * client) and scope when configured. The answer's access_token and expires_in are used;
 * a new refresh_token in it (Microsoft rotates them with every answer; Google does not)
 * replaces the old one for the rest of the process and is handed to the `keeper`, which
 * writes it back to the account's secret file: a refresh token lives 90 days at Microsoft,
 * and one-time refresh tokens are spent by their first use, so the stored one must follow.
 * The keeper is awaited before the access token is handed out: once a login used the new
 * token, the refresh token that came with it is stored (or its failure logged).
 *
 * Caching, one request in flight and the memory of a refusal are token-cache.ts's. The
 * HTTPS client is the one of the client credentials flow (authority-http.ts): public CAs
 * plus the account's CA file, certificates always verified, TLS 1.2 or later.
 *
 * Neither the secret, the refresh token nor an access token is ever logged or put into an
 * error message.
 */
import { createHash } from 'node:crypto';
import { ConnectorError, type ConnectorErrorCode, type RetryKind } from '../connector-error.js';
import { TLS_ERROR_CODES } from '../socket-errors.js';
import { AuthorityHttpClient } from './authority-http.js';
import { CachingTokenProvider, hostOf, retryAfterMs, type FetchedToken, type OAuthLogger, type TokenCachePolicy } from './token-cache.js';

const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;
const DEFAULT_THROTTLE_MS = 60_000;

export interface RefreshTokenOptions extends TokenCachePolicy {
  /** The token endpoint, https://... (e.g. https://oauth2.googleapis.com/token). */
  readonly tokenUrl: string;
  readonly clientId: string;
  /** Confidential clients only (Google's "Web"/"Desktop" clients have one; a public client has none). */
  readonly clientSecret?: string;
  readonly refreshToken: string;
  /** Sent as `scope` when set (Microsoft accepts a subset of the granted scopes; Google ignores it). */
  readonly scope?: string;
  readonly ca?: Buffer;
  readonly logger?: OAuthLogger;
  /** @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** Where rotated refresh tokens are kept beyond this process; without one they live in memory only. */
  readonly keeper?: RefreshTokenKeeper;
}

/** Keeps a rotated refresh token (the account's secret file). */
export interface RefreshTokenKeeper {
  /** Where, for messages and to tell keepers apart ("file /etc/mailferry/alice.json"); never a secret. */
  readonly where: string;
  /** Stores the new refresh token; failures are the keeper's to log: it never rejects. */
  keep(refreshToken: string): Promise<void>;
}

interface TokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  refresh_token?: unknown;
  error?: unknown;
  error_description?: unknown;
}

export class RefreshTokenProvider extends CachingTokenProvider {
  /** "client CLIENT at https://host/path", for messages; never a secret. */
  readonly label: string;
  private readonly http: AuthorityHttpClient;
  private refreshToken: string;

  constructor(private readonly options: RefreshTokenOptions) {
    super(options);
    this.label = `client ${options.clientId} at ${options.tokenUrl}`;
    this.refreshToken = options.refreshToken;
    this.http = new AuthorityHttpClient({ timeoutMs: options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS, ...(options.ca ? { ca: options.ca } : {}) });
  }

  protected async fetchToken(): Promise<FetchedToken> {
    const where = `OAuth token for ${this.label}`;
    const make = (message: string, code: ConnectorErrorCode, retry: RetryKind, extra: { retryAfterMs?: number; cause?: unknown } = {}) =>
      new ConnectorError(`${where}: ${message}`, { code, scope: 'account', retry, ...extra });
    if (!this.options.clientId || !this.refreshToken) {
      throw make('the client id and a refresh token are required', 'AUTH_FAILED', 'never');
    }
    if (!/^https:\/\//i.test(this.options.tokenUrl)) throw make('the token URL must be https://', 'AUTH_FAILED', 'never');
    const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: this.options.clientId, refresh_token: this.refreshToken });
    if (this.options.clientSecret) form.set('client_secret', this.options.clientSecret);
    if (this.options.scope) form.set('scope', this.options.scope);
    const started = Date.now();
    this.http.takeReport();
    let status: number;
    let answer: TokenAnswer;
    try {
      const response = await this.http.sendPostRequestAsync<TokenAnswer>(this.options.tokenUrl, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8', Accept: 'application/json' },
        body: form.toString(),
      });
      status = response.status;
      answer = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as TokenAnswer;
    } catch (error) {
      const failure = this.http.takeReport().failure;
      const host = hostOf(failure?.url ?? this.options.tokenUrl);
      if (failure?.code === 'ERR_NOT_JSON') {
        if (failure.status !== undefined && failure.status >= 500) throw make(`the token service is unavailable (${failure.message})`, 'CONNECTION_LOST', 'now', { cause: error });
        throw make(`${failure.message}: not a token service; check the token URL`, 'CONNECT_FAILED', 'never', { cause: error });
      }
      const code = failure?.code ?? 'ERR_NETWORK';
      if (TLS_ERROR_CODES.has(code) || /CERT|SSL|TLS/.test(code)) {
        throw make(`TLS to ${host} failed (${code}); check the token URL, and the CA file (the account's CA file is trusted for the token service too)`, 'TLS_FAILED', 'never', { cause: error });
      }
      if (code === 'ENOTFOUND') throw make(`host ${host} not found; check the token URL`, 'CONNECT_FAILED', 'now', { cause: error });
      throw make(`connection to ${host} failed (${failure?.message ?? String(error)})`, 'CONNECTION_LOST', 'now', { cause: error });
    }
    const retryAfter = this.http.takeReport().retryAfter;
    const oauthError = typeof answer.error === 'string' ? answer.error : undefined;
    const detail = describe(oauthError, answer.error_description, status);
    if (status === 429 || oauthError === 'temporarily_unavailable' || oauthError === 'slow_down') {
      const wait = retryAfterMs(retryAfter) ?? DEFAULT_THROTTLE_MS;
      throw make(`the token service is busy (${detail}); retry in ${Math.ceil(wait / 1000)} s`, 'THROTTLED', 'later', { retryAfterMs: wait });
    }
    if (status >= 500) throw make(`the token service is unavailable (${detail})`, 'CONNECTION_LOST', 'now');
    if (oauthError === 'invalid_grant') {
      throw make(
        `the refresh token was revoked or has expired (${detail}); create a new one (sign in again with the app) and store it in the account's secret`,
        'AUTH_FAILED', 'never',
      );
    }
    if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
      throw make(`the token service refused the client (${detail}); check the client id (?client=) and the client_secret in the account's secret`, 'AUTH_FAILED', 'never');
    }
    if (oauthError === 'invalid_scope') throw make(`the token service refused the scope (${detail}); check ?scope=`, 'AUTH_FAILED', 'never');
    if (status === 400 || status === 401 || status === 403) {
      throw make(`the token service refused the refresh token request (${detail}); check the client id, the secret and the refresh token`, 'AUTH_FAILED', 'never');
    }
    if (status !== 200 || typeof answer.access_token !== 'string' || answer.access_token === '') {
      throw make(`unexpected answer (${detail}, no access token)`, 'PROTOCOL', 'now');
    }
    if (typeof answer.refresh_token === 'string' && answer.refresh_token !== '' && answer.refresh_token !== this.refreshToken) {
      this.refreshToken = answer.refresh_token;
      // A keeper does not reject; should one, the access token in hand is still good.
      await this.options.keeper?.keep(answer.refresh_token).catch((error: unknown) => {
        this.options.logger?.warn({ oauth: this.label, keeper: this.options.keeper?.where, error: (error as Error)?.name }, 'a rotated refresh token was not kept');
      });
    }
    const seconds = typeof answer.expires_in === 'number' ? answer.expires_in : Number(answer.expires_in);
    // An answer without a lifetime: assume an hour, the common one (Google, Microsoft).
    const lifetimeMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3600_000;
    return { token: answer.access_token, expiresAt: started + lifetimeMs, started };
  }
}

/** "invalid_grant: Token has been expired or revoked." (the description's first line), or the HTTP status. */
function describe(error: string | undefined, description: unknown, status: number): string {
  const text = typeof description === 'string' ? description.split(/\r?\n/)[0]?.trim().slice(0, 300) ?? '' : '';
  if (error === undefined) return `HTTP ${status}`;
  return text === '' ? error : `${error}: ${text}`;
}

const shared = new Map<string, RefreshTokenProvider>();

/**
 * The provider of this client and refresh token in this process: one token and one request
 * in flight for every connector of the account.
 *
 * A provider is also found under every refresh token it rotated to: connectors built later
 * read the account's secret file again and find the rotated token there. Were that a new
 * provider, one account would have two chains of refresh tokens, and with one-time refresh
 * tokens the second would spend the token the first one holds. A refresh token nobody here
 * handed out (the operator stored a new one) gets a provider of its own. The entries are
 * not evicted: one small key per rotation (one per access token's lifetime, about an hour).
 */
export function sharedRefreshTokenProvider(options: RefreshTokenOptions): RefreshTokenProvider {
  const found = shared.get(sharingKey(options));
  if (found !== undefined) return found;
  const keeper = options.keeper;
  const provider: RefreshTokenProvider = new RefreshTokenProvider({
    ...options,
    keeper: {
      where: keeper?.where ?? 'memory',
      async keep(refreshToken) {
        shared.set(sharingKey({ ...options, refreshToken }), provider);
        await keeper?.keep(refreshToken);
      },
    },
  });
  shared.set(sharingKey(options), provider);
  return provider;
}

function sharingKey(options: RefreshTokenOptions): string {
  return createHash('sha256')
    .update(JSON.stringify([
      options.tokenUrl, options.clientId, options.clientSecret ?? null, options.refreshToken, options.scope ?? null, options.ca?.toString('base64') ?? null,
      options.keeper?.where ?? null,
    ]))
    .digest('hex');
}
