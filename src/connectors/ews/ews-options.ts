/**
 * How to reach one Exchange mailbox over EWS. Built by the config layer; the connector
 * never reads the environment or files itself.
 */
import type { AccountGate } from '../types.js';

/**
 * ntlm: NTLMv2 handshake per request (on-premises Exchange's default for EWS).
 * basic: HTTP Basic (on-premises only; Exchange Online removed it in 2022).
 * oauth: bearer tokens, either
 *   - from OAuth 2.0 client credentials of an Entra app (`oauth`): app-only tokens, obtained
 *     and refreshed by the connector (oauth-token.ts); they need `impersonate`; or
 *   - one the caller obtained (`accessToken`: delegated EWS.AccessAsUser.All, or app-only
 *     full_access_as_app, which needs `impersonate`), used as given and never refreshed.
 */
export type EwsAuth = 'ntlm' | 'basic' | 'oauth';

/** An Entra app (service principal) that gets app-only tokens for EWS with its client secret. */
export interface EwsOAuthOptions {
  /** The directory (tenant) id: a GUID or a verified domain such as contoso.onmicrosoft.com. */
  readonly tenant: string;
  /** The application (client) id. */
  readonly clientId: string;
  /** The client secret's value (not its id). */
  readonly clientSecret: string;
  /**
   * The token authority's origin; sovereign clouds have their own (login.microsoftonline.us,
   * login.partner.microsoftonline.cn). @defaultValue https://login.microsoftonline.com
   */
  readonly authority?: string;
  /** @defaultValue https://outlook.office365.com/.default */
  readonly scope?: string;
}

export interface EwsAccountOptions {
  /**
   * The EWS endpoint, http(s)://host[:port]/EWS/Exchange.asmx. Autodiscover is not used
   * (it fails with NTLM in ews-javascript-api, issue #419). A plain http:// URL is taken
   * as given: whether to allow it is the config layer's decision.
   */
  readonly url: string;
  /** Logon name: "user@example.com", or "DOMAIN\\user" for NTLM. */
  readonly user: string;
  /** The resolved secret for ntlm and basic. */
  readonly password?: string;
  /** For oauth: a resolved bearer token, used as given (or `oauth` instead). */
  readonly accessToken?: string;
  readonly auth: EwsAuth;
  /**
   * For oauth: the app and its secret, which get and refresh the tokens (or `accessToken`
   * instead). `ca` is trusted for the token authority too (in addition to the public CAs
   * there, since Entra has a public certificate).
   */
  readonly oauth?: EwsOAuthOptions;
  /**
   * SMTP address of the mailbox to act on, with `user`'s credentials (EWS impersonation:
   * the ApplicationImpersonation role on-premises). Every request then also carries
   * X-AnchorMailbox, which Exchange requires with impersonation.
   */
  readonly impersonate?: string;
  /** PEM bytes of a CA to trust instead of the system store (self-hosted servers). */
  readonly ca?: Buffer;
  /** pino-compatible logger. Never given a password, a token or an Authorization header. */
  readonly logger?: EwsLogger;
  /** Longest time one EWS request may take, in ms (a GetItem of large items is slow). @defaultValue 300000 */
  readonly timeoutMs?: number;
  /**
   * Requests in flight per connector. Exchange allows 27 concurrent requests per user
   * (EWSMaxConcurrency, 2013 and later) and Microsoft advises no more than ten; several
   * connectors share that budget. @defaultValue 4
   */
  readonly maxConcurrency?: number;
  /** The mailbox's back-off gate, shared by every connection to it (ErrorServerBusy, Retry-After); none: nothing is shared. */
  readonly gate?: AccountGate;
  /**
   * Largest message the target accepts, in decoded bytes. Exchange's default limit is
   * about 25-35 MB, measured after base64 and MIME conversion. @defaultValue 25 MiB
   */
  readonly maxMessageBytes?: number;
}

export interface EwsLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export const DEFAULT_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_CONCURRENCY = 4;
export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
