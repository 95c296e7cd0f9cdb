/**
 * App-only OAuth 2.0 tokens: the client credentials grant of an Entra app, through
 * msal-node's ConfidentialClientApplication.acquireTokenByClientCredential. Used by EWS
 * (scope https://outlook.office365.com/.default, EWS.AccessAsApp / full_access_as_app) and
 * by IMAP XOAUTH2 (the same scope, IMAP.AccessAsApp).
 *
 * The provider keeps its own token and decides when to ask for a new one (msal is asked
 * with skipCache, so there is one cache and one policy: token-cache.ts): reuse until 5 min
 * before expiry, one request in flight, a refused credential remembered for a minute.
 *
 * Discovery works offline for any authority: msal is told the configured authority is
 * trusted (knownAuthorities), so it never asks login.microsoftonline.com for instance
 * discovery; it uses its built-in endpoints for the Microsoft clouds and reads
 * {authority}/{tenant}/v2.0/.well-known/openid-configuration for any other host.
 * Requests go through AuthorityHttpClient (authority-http.ts), which trusts the account's CA.
 *
 * Neither the secret nor a token is ever logged or put into an error message.
 */
import { createHash } from 'node:crypto';
import {
  AuthError, ClientConfigurationError, ConfidentialClientApplication, LogLevel, ServerError, type AuthenticationResult,
} from '@azure/msal-node';
import { ConnectorError, isConnectorError, type ConnectorErrorCode, type RetryKind } from '../connector-error.js';
import { TLS_ERROR_CODES } from '../socket-errors.js';
import { AuthorityHttpClient, type AuthorityHttpReport } from './authority-http.js';
import { parseCertificateCredential, type CertificateCredential } from './certificate-credential.js';
import {
  CachingTokenProvider, hostOf, retryAfterMs, type BearerTokenSource, type FetchedToken, type OAuthLogger, type TokenCachePolicy,
} from './token-cache.js';

export type { BearerTokenSource } from './token-cache.js';
export { DEFAULT_AUTH_FAILURE_HOLD_MS, DEFAULT_REFRESH_MARGIN_MS } from './token-cache.js';

export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
export const DEFAULT_SCOPE = 'https://outlook.office365.com/.default';
const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;
/** Wait of a throttled token request when the answer does not say how long (msal's own default). */
const DEFAULT_THROTTLE_MS = 60_000;

/** OAuth error codes of a refused credential: the secret, the app or the tenant is wrong. */
const REFUSED_CREDENTIALS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_request', 'invalid_tenant']);

/** An Entra app (service principal) that gets app-only tokens with its client secret or its certificate. */
export interface ClientCredentialsOptions {
  /** The directory (tenant) id: a GUID or a verified domain such as contoso.onmicrosoft.com. */
  readonly tenant: string;
  /** The application (client) id. */
  readonly clientId: string;
  /** The client secret's value (not its id); or, instead, `clientCertificate`. */
  readonly clientSecret?: string;
  /** PEM with the app's certificate and private key (certificate-credential.ts). */
  readonly clientCertificate?: string;
  /** The token authority's origin. @defaultValue https://login.microsoftonline.com */
  readonly authority?: string;
  /** @defaultValue https://outlook.office365.com/.default */
  readonly scope?: string;
}

export interface TokenProviderOptions extends ClientCredentialsOptions, TokenCachePolicy {
  /** PEM of a CA the authority's certificate may chain to, besides the public CAs. */
  readonly ca?: Buffer;
  readonly logger?: OAuthLogger;
  /** Longest time one token request may take, in ms. @defaultValue 30000 */
  readonly timeoutMs?: number;
}

export class OAuthTokenProvider extends CachingTokenProvider implements BearerTokenSource {
  /** "client CLIENT of tenant TENANT at AUTHORITY", for messages; never a secret. */
  readonly label: string;
  private readonly authority: string;
  private readonly scope: string;
  private readonly http: AuthorityHttpClient;
  private app: ConfidentialClientApplication | undefined;

  constructor(private readonly options: TokenProviderOptions) {
    super(options);
    this.authority = (options.authority ?? DEFAULT_AUTHORITY).replace(/\/+$/, '');
    this.scope = options.scope ?? DEFAULT_SCOPE;
    this.label = `client ${options.clientId} of tenant ${options.tenant} at ${this.authority}`;
    this.http = new AuthorityHttpClient({ timeoutMs: options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS, ...(options.ca ? { ca: options.ca } : {}) });
  }

  protected async fetchToken(): Promise<FetchedToken> {
    const started = Date.now();
    this.http.takeReport();
    let result: AuthenticationResult | null;
    try {
      result = await this.client().acquireTokenByClientCredential({ scopes: [this.scope], skipCache: true });
    } catch (error) {
      throw this.mapError(error, this.http.takeReport());
    }
    if (!result?.accessToken) {
      throw new ConnectorError(`OAuth token for ${this.label}: the authority answered without an access token`, { code: 'PROTOCOL', scope: 'account', retry: 'now' });
    }
    // msal counts expiry from the moment the request left; an answer without one lives a minute.
    return { token: result.accessToken, expiresAt: result.expiresOn?.getTime() ?? Date.now() + 60_000, started };
  }

  /** The msal application, made on first use (its configuration errors become ConnectorErrors there). */
  private client(): ConfidentialClientApplication {
    if (this.app) return this.app;
    const { tenant, clientId, clientSecret, clientCertificate } = this.options;
    if (!tenant || !clientId || (!clientSecret && !clientCertificate)) {
      throw new ConnectorError(`OAuth for ${this.label}: the tenant id, the client id and the client secret (or certificate) are all required`, {
        code: 'AUTH_FAILED', scope: 'account', retry: 'never',
      });
    }
    const logger = this.options.logger;
    this.app = new ConfidentialClientApplication({
      auth: {
        clientId,
        ...(clientCertificate ? { clientCertificate: this.certificate(clientCertificate) } : { clientSecret: clientSecret as string }),
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

  private certificate(pem: string): CertificateCredential {
    try {
      return parseCertificateCredential(pem, 'the certificate file');
    } catch (error) {
      throw new ConnectorError(`OAuth for ${this.label}: ${(error as Error).message}`, { code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    }
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
        return make(`the token service refused the client credentials (${detail}); check the tenant id, client id and client ${this.options.clientCertificate ? 'certificate (is it uploaded to the app registration?)' : 'secret'}`, 'AUTH_FAILED', 'never');
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
      options.clientSecret ?? null, options.clientCertificate ?? null, options.ca?.toString('base64') ?? null,
    ]))
    .digest('hex');
  let provider = shared.get(key);
  if (provider === undefined) {
    provider = new OAuthTokenProvider(options);
    shared.set(key, provider);
  }
  return provider;
}
