/**
 * App-only OAuth 2.0 tokens for EWS: the client credentials grant of an Entra app, through
 * msal-node's ConfidentialClientApplication.acquireTokenByClientCredential.
 *
 * The provider keeps its own token and decides when to ask for a new one (msal is asked
 * with skipCache, so there is one cache and one policy):
 * - a token is reused until `refreshMarginMs` (5 min) before it expires, or half its
 *   lifetime for a short-lived one, so no request leaves with a token about to expire;
 * - `refresh(stale)` replaces a token Exchange refused (401 invalid_token / expired);
 * - at most one token request is in flight: concurrent callers await the same promise;
 * - a refused credential (invalid_client, unauthorized_client, invalid_grant, unknown
 *   tenant) is AUTH_FAILED with "retry never" and is remembered for `authFailureHoldMs`,
 *   so the connectors of the account do not each ask again;
 * - a network failure is CONNECTION_LOST "retry now"; while the current token is still
 *   valid a failed refresh is only logged and the token stays in use.
 *
 * Discovery works offline for any authority: msal is told the configured authority is
 * trusted (knownAuthorities), so it never asks login.microsoftonline.com for instance
 * discovery; it uses its built-in endpoints for the Microsoft clouds and reads
 * {authority}/{tenant}/v2.0/.well-known/openid-configuration for any other host.
 * Requests go through AuthorityHttpClient (oauth-http.ts), which trusts the account's CA.
 *
 * Neither the secret nor a token is ever logged or put into an error message.
 */
import { createHash } from 'node:crypto';
import {
  AuthError, ClientConfigurationError, ConfidentialClientApplication, LogLevel, ServerError, type AuthenticationResult,
} from '@azure/msal-node';
import { ConnectorError, isConnectorError, type ConnectorErrorCode, type RetryKind } from '../connector-error.js';
import { TLS_ERROR_CODES } from '../socket-errors.js';
import type { EwsLogger, EwsOAuthOptions } from './ews-options.js';
import { AuthorityHttpClient, type AuthorityHttpReport } from './oauth-http.js';

export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
export const DEFAULT_SCOPE = 'https://outlook.office365.com/.default';
/** Ask for a new token this long before the current one expires. */
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
/** How long a refused credential is answered from memory instead of asking the authority again. */
export const DEFAULT_AUTH_FAILURE_HOLD_MS = 60_000;
const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;
/** Wait of a throttled token request when the answer does not say how long (msal's own default). */
const DEFAULT_THROTTLE_MS = 60_000;
/** After a refresh failed for a passing reason, the still-valid token is used this long before asking again. */
const QUIET_AFTER_FAILURE_MS = 5_000;
/** A token is handed out only while it has at least this long (or a quarter of its lifetime) left. */
const MIN_REMAINING_MS = 5_000;

/** OAuth error codes of a refused credential: the secret, the app or the tenant is wrong. */
const REFUSED_CREDENTIALS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_request', 'invalid_tenant']);

export interface TokenProviderOptions extends EwsOAuthOptions {
  /** PEM of a CA the authority's certificate may chain to, besides the public CAs. */
  readonly ca?: Buffer;
  readonly logger?: EwsLogger;
  /** Longest time one token request may take, in ms. @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** @defaultValue 5 minutes (at most half of a token's lifetime is used as the margin) */
  readonly refreshMarginMs?: number;
  /** @defaultValue 60 seconds */
  readonly authFailureHoldMs?: number;
}

/** Where the EWS transport gets its bearer tokens. */
export interface BearerTokenSource {
  /** A token valid for a while yet. */
  token(): Promise<string>;
  /** A token other than `stale`, which the server refused: fetched now unless another caller already did. */
  refresh(stale: string): Promise<string>;
}

interface HeldToken {
  readonly token: string;
  readonly expiresAt: number;
  readonly refreshAt: number;
  /** Handed out until this time even when a refresh fails. */
  readonly usableUntil: number;
}

export class OAuthTokenProvider implements BearerTokenSource {
  /** "client CLIENT of tenant TENANT at AUTHORITY", for messages; never a secret. */
  readonly label: string;
  private readonly authority: string;
  private readonly scope: string;
  private readonly http: AuthorityHttpClient;
  private app: ConfidentialClientApplication | undefined;
  private current: HeldToken | undefined;
  private inflight: Promise<string> | undefined;
  private refused: { readonly error: ConnectorError; readonly until: number } | undefined;
  private quietUntil = 0;

  constructor(private readonly options: TokenProviderOptions) {
    this.authority = (options.authority ?? DEFAULT_AUTHORITY).replace(/\/+$/, '');
    this.scope = options.scope ?? DEFAULT_SCOPE;
    this.label = `client ${options.clientId} of tenant ${options.tenant} at ${this.authority}`;
    this.http = new AuthorityHttpClient({ timeoutMs: options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS, ...(options.ca ? { ca: options.ca } : {}) });
  }

  async token(): Promise<string> {
    const now = Date.now();
    const current = this.current;
    if (current && now < current.refreshAt) return current.token;
    // A refresh failed a moment ago for a passing reason: keep using the valid token for now.
    if (current && now < current.usableUntil && now < this.quietUntil) return current.token;
    return this.acquire(undefined);
  }

  async refresh(stale: string): Promise<string> {
    const current = this.current;
    if (current?.token === stale) {
      this.current = undefined;
    } else if (current && Date.now() < current.usableUntil) {
      return current.token; // another caller has replaced it already
    }
    return this.acquire(stale);
  }

  /** Joins the token request in flight, or starts one. */
  private async acquire(stale: string | undefined): Promise<string> {
    if (this.refused && Date.now() < this.refused.until) throw this.refused.error;
    this.inflight ??= this.request().finally(() => {
      this.inflight = undefined;
    });
    try {
      return await this.inflight;
    } catch (error) {
      const current = this.current;
      const passing = isConnectorError(error) && error.retry !== 'never';
      if (passing && current && current.token !== stale && Date.now() < current.usableUntil) return current.token;
      throw error;
    }
  }

  private async request(): Promise<string> {
    const started = Date.now();
    this.http.takeReport();
    let result: AuthenticationResult | null;
    try {
      result = await this.client().acquireTokenByClientCredential({ scopes: [this.scope], skipCache: true });
    } catch (error) {
      const mapped = this.mapError(error, this.http.takeReport());
      if (mapped.retry === 'never') {
        this.refused = { error: mapped, until: Date.now() + (this.options.authFailureHoldMs ?? DEFAULT_AUTH_FAILURE_HOLD_MS) };
        this.options.logger?.warn({ oauth: this.label, code: mapped.code }, 'OAuth token request refused');
      } else {
        this.quietUntil = Date.now() + QUIET_AFTER_FAILURE_MS;
        this.options.logger?.warn({ oauth: this.label, code: mapped.code, retry: mapped.retry }, 'OAuth token request failed');
      }
      throw mapped;
    }
    if (!result?.accessToken) {
      throw new ConnectorError(`OAuth token for ${this.label}: the authority answered without an access token`, { code: 'PROTOCOL', scope: 'account', retry: 'now' });
    }
    const now = Date.now();
    // msal counts expiry from the moment the request left; an answer without one lives a minute.
    const expiresAt = result.expiresOn?.getTime() ?? now + 60_000;
    const lifetime = Math.max(0, expiresAt - started);
    const margin = Math.min(this.options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS, lifetime / 2);
    this.current = {
      token: result.accessToken,
      expiresAt,
      refreshAt: expiresAt - margin,
      usableUntil: expiresAt - Math.min(MIN_REMAINING_MS, lifetime / 4),
    };
    this.refused = undefined;
    this.quietUntil = 0;
    this.options.logger?.debug({ oauth: this.label, expiresInS: Math.round((expiresAt - now) / 1000), ms: now - started }, 'OAuth token obtained');
    return result.accessToken;
  }

  /** The msal application, made on first use (its configuration errors become ConnectorErrors there). */
  private client(): ConfidentialClientApplication {
    if (this.app) return this.app;
    const { tenant, clientId, clientSecret } = this.options;
    if (!tenant || !clientId || !clientSecret) {
      throw new ConnectorError(`OAuth for ${this.label}: the tenant id, the client id and the client secret are all required`, {
        code: 'AUTH_FAILED', scope: 'account', retry: 'never',
      });
    }
    const logger = this.options.logger;
    this.app = new ConfidentialClientApplication({
      auth: {
        clientId,
        clientSecret,
        authority: `${this.authority}/${encodeURIComponent(tenant)}`,
        // The configured authority is trusted as it is: no instance discovery at login.microsoftonline.com.
        knownAuthorities: [new URL(this.authority).host],
      },
      system: {
        networkClient: this.http,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (level, message) => logger?.debug({ oauth: this.label, msal: LogLevel[level] }, message),
        },
      },
    });
    return this.app;
  }

  private mapError(error: unknown, report: AuthorityHttpReport): ConnectorError {
    if (isConnectorError(error)) return error;
    const failure = report.failure;
    const wait = retryAfterMs(report.retryAfter) ?? DEFAULT_THROTTLE_MS;
    const where = `OAuth token for ${this.label}`;
    const make = (message: string, code: ConnectorErrorCode, retry: RetryKind, retryAfterMs?: number) =>
      new ConnectorError(`${where}: ${message}`, { code, scope: 'account', retry, cause: error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    const host = failure ? hostOf(failure.url) : hostOf(this.authority);

    if (failure && failure.code !== 'ERR_NOT_JSON') {
      if (TLS_ERROR_CODES.has(failure.code) || /CERT|SSL|TLS/.test(failure.code)) {
        return make(`TLS to ${host} failed (${failure.code}); check the authority URL, and the CA file (the account's CA file is trusted for the authority too)`, 'TLS_FAILED', 'never');
      }
      if (failure.code === 'ENOTFOUND') return make(`host ${host} not found; check the authority URL`, 'CONNECT_FAILED', 'now');
      return make(`connection to ${host} failed (${failure.message})`, 'CONNECTION_LOST', 'now');
    }
    if (failure?.status !== undefined) {
      if (failure.status === 429) return make(`the authority asks to slow down (HTTP 429)`, 'THROTTLED', 'later', wait);
      if (failure.status >= 500) return make(`the authority is unavailable (${failure.message})`, 'CONNECTION_LOST', 'now');
      return make(`${failure.message}: not a token service; check the authority URL`, 'CONNECT_FAILED', 'never');
    }

    if (error instanceof AuthError) {
      const code = error.errorCode;
      const status = error instanceof ServerError ? error.status : undefined;
      const detail = describe(error);
      if (REFUSED_CREDENTIALS.has(code)) {
        return make(`the token service refused the client credentials (${detail}); check the tenant id, client id and client secret`, 'AUTH_FAILED', 'never');
      }
      if (code === 'invalid_scope' || code === 'invalid_resource') {
        return make(`the token service refused the scope ${this.scope} (${detail})`, 'AUTH_FAILED', 'never');
      }
      // After a 429 or 5xx msal itself holds back requests for a while (Retry-After, else 60 s).
      if (status === 429 || code === 'temporarily_unavailable' || (status !== undefined && status >= 500)) {
        return make(`the authority is busy or unavailable (${detail}); retry in ${Math.ceil(wait / 1000)} s`, 'THROTTLED', 'later', wait);
      }
      if (error instanceof ServerError && report.sent === 0) {
        return make(`token requests are held back after the authority's last refusal (${detail})`, 'THROTTLED', 'later', wait);
      }
      if (code === 'openid_config_error' || code === 'endpoints_resolution_error' || code === 'untrusted_authority') {
        return make(`${this.authority} has no OpenID configuration for tenant ${this.options.tenant} (${code}); check the tenant id and the authority URL`, 'AUTH_FAILED', 'never');
      }
      if (error instanceof ClientConfigurationError) {
        return make(`msal refused the configuration (${detail}); check the authority URL and the tenant id`, 'AUTH_FAILED', 'never');
      }
      if (code === 'network_error') return make(`the request to ${host} failed (${detail})`, 'CONNECTION_LOST', 'now');
      return make(`unexpected answer (${detail})`, 'PROTOCOL', 'now');
    }
    return make(`unexpected failure (${error instanceof Error ? error.message : String(error)})`, 'PROTOCOL', 'now');
  }
}

/** "invalid_client: AADSTS7000215: Invalid client secret provided. ...": the code and the description's first line. */
function describe(error: AuthError): string {
  const text = error.errorMessage ?? '';
  const description = /Description: (.*?)(?: - Correlation ID:|\r|\n|$)/.exec(text)?.[1]?.trim() || text.split(/\r?\n/)[0]?.trim() || '';
  return description === '' ? error.errorCode : `${error.errorCode}: ${description.slice(0, 300)}`;
}

/** A Retry-After (delta-seconds or HTTP-date) in ms. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

const shared = new Map<string, OAuthTokenProvider>();

/**
 * The provider of this app and secret in this process, so that every connector of the
 * account (source, target, pooled sessions) shares one token and one request in flight.
 * The first caller's logger and timeouts are kept.
 */
export function sharedTokenProvider(options: TokenProviderOptions): OAuthTokenProvider {
  const key = createHash('sha256')
    .update(JSON.stringify([
      (options.authority ?? DEFAULT_AUTHORITY).replace(/\/+$/, ''), options.tenant, options.clientId, options.scope ?? DEFAULT_SCOPE,
      options.clientSecret, options.ca?.toString('base64') ?? null,
    ]))
    .digest('hex');
  let provider = shared.get(key);
  if (provider === undefined) {
    provider = new OAuthTokenProvider(options);
    shared.set(key, provider);
  }
  return provider;
}
