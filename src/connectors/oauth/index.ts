/**
 * OAuth 2.0 access tokens for the connectors, protocol-neutral: the client credentials
 * grant of an Entra app (client-credentials.ts, msal-node) and the refresh token grant
 * (refresh-token.ts, Gmail and delegated Microsoft 365). Both share token-cache.ts's
 * policy and authority-http.ts's HTTPS client.
 */
export { AuthorityHttpClient, type AuthorityHttpOptions, type AuthorityHttpReport, type TransportFailure } from './authority-http.js';
export {
  DEFAULT_AUTHORITY, DEFAULT_SCOPE, OAuthTokenProvider, sharedTokenProvider, type ClientCredentialsOptions, type TokenProviderOptions,
} from './client-credentials.js';
export { RefreshTokenProvider, sharedRefreshTokenProvider, type RefreshTokenOptions } from './refresh-token.js';
export {
  CachingTokenProvider, DEFAULT_AUTH_FAILURE_HOLD_MS, DEFAULT_REFRESH_MARGIN_MS, type BearerTokenSource, type OAuthLogger, type TokenCachePolicy,
} from './token-cache.js';

/** What the account's secret holds for the refresh token flow. */
export interface RefreshSecret {
  readonly refreshToken: string;
  readonly clientSecret?: string;
}

/**
 * The account's secret for the refresh token flow: JSON
 * `{"refresh_token": "...", "client_secret": "..."}` (client_secret left out for a public
 * client), or the bare refresh token. Errors never quote the secret.
 */
export function parseRefreshSecret(secret: string): RefreshSecret {
  const text = secret.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('the secret looks like JSON but does not parse; expected {"refresh_token": "...", "client_secret": "..."}');
    }
    const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const refreshToken = record['refresh_token'];
    const clientSecret = record['client_secret'];
    const unknown = Object.keys(record).filter((key) => key !== 'refresh_token' && key !== 'client_secret');
    if (unknown.length > 0) throw new Error(`the secret has unknown keys (${unknown.join(', ')}); expected refresh_token and client_secret`);
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') throw new Error('the secret has no "refresh_token" (a non-empty string)');
    if (clientSecret !== undefined && typeof clientSecret !== 'string') throw new Error('"client_secret" in the secret must be a string');
    return { refreshToken: refreshToken.trim(), ...(clientSecret ? { clientSecret } : {}) };
  }
  if (text === '' || /\s/.test(text)) throw new Error('the secret should be the refresh token (one word) or JSON {"refresh_token": "...", "client_secret": "..."}');
  return { refreshToken: text };
}
