/**
 * OAuth 2.0 access tokens for the connectors, protocol-neutral: the client credentials
 * grant of an Entra app (client-credentials.ts, msal-node) and the refresh token grant
 * (refresh-token.ts, Gmail and delegated Microsoft 365; its secret's format is
 * refresh-secret.ts's). Both share token-cache.ts's policy and authority-http.ts's HTTPS
 * client.
 */
export { AuthorityHttpClient, type AuthorityHttpOptions, type AuthorityHttpReport, type TransportFailure } from './authority-http.js';
export {
  DEFAULT_AUTHORITY, DEFAULT_SCOPE, OAuthTokenProvider, sharedTokenProvider, type ClientCredentialsOptions, type TokenProviderOptions,
} from './client-credentials.js';
export { parseRefreshSecret, withRefreshToken, type RefreshSecret } from './refresh-secret.js';
export { RefreshTokenProvider, sharedRefreshTokenProvider, type RefreshTokenKeeper, type RefreshTokenOptions } from './refresh-token.js';
export {
  CachingTokenProvider, DEFAULT_AUTH_FAILURE_HOLD_MS, DEFAULT_REFRESH_MARGIN_MS, type BearerTokenSource, type OAuthLogger, type TokenCachePolicy,
} from './token-cache.js';
