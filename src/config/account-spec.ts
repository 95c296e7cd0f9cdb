/**
 * An account as the run stores it: where the server is and where its secret lives.
 * The secret itself is never part of it (it goes into Redis with the run); workers
 * resolve the reference in their own environment.
 */

/** Where a secret comes from: an environment variable's name or a file's path. */
export type SecretRef = { readonly env: string } | { readonly file: string };

export type TlsMode = 'implicit' | 'starttls' | 'off';

interface AccountBase {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly tls: TlsMode;
  /** PEM file of a CA to trust (self-hosted servers); system CAs otherwise. */
  readonly caFile?: string;
  readonly secret: SecretRef;
  /** At most this many connections to this account at once, across every worker (the governor); else the config's default. */
  readonly maxConnections?: number;
}

export interface ImapAccountSpec extends AccountBase {
  readonly kind: 'imap';
  /** XOAUTH2 / OAUTHBEARER with tokens mailferry obtains and refreshes, instead of a password. */
  readonly oauth?: ImapOAuthSpec;
}

/**
 * OAuth 2.0 for a mail protocol (IMAP, POP3); the account's secret holds what is secret.
 * client-credentials (`?auth=oauth`): an Entra app's app-only tokens (Microsoft 365,
 *   IMAP.AccessAsApp); the secret is the client secret.
 * refresh-token (`?auth=oauth-refresh`): delegated tokens from a refresh token (Gmail,
 *   Microsoft 365); the secret is JSON {"refresh_token": ..., "client_secret": ...} or the
 *   bare refresh token (public clients).
 */
export type MailOAuthSpec =
  | {
    readonly flow: 'client-credentials';
    readonly tenant: string;
    readonly clientId: string;
    /** The token authority's origin (https://login.microsoftonline.com by default). */
    readonly authority: string;
    /** @defaultValue https://outlook.office365.com/.default */
    readonly scope?: string;
  }
  | {
    readonly flow: 'refresh-token';
    readonly clientId: string;
    /** The token endpoint (https). */
    readonly tokenUrl: string;
    readonly scope?: string;
  };

/** OAuth for IMAP (XOAUTH2 / OAUTHBEARER). */
export type ImapOAuthSpec = MailOAuthSpec;

/**
 * auto: APOP on a plaintext connection when the server offers it, USER/PASS otherwise.
 * xoauth2: SASL XOAUTH2 (RFC 5034 AUTH) with the tokens of `oauth` (`?auth=oauth` or
 * `?auth=oauth-refresh` in the URL).
 */
export type Pop3Auth = 'auto' | 'user' | 'apop' | 'xoauth2';

/** A POP3 mailbox: a source only (POP3 cannot store mail). */
export interface Pop3AccountSpec extends AccountBase {
  readonly kind: 'pop3';
  readonly auth: Pop3Auth;
  /** With auth 'xoauth2' (and only then): where the access tokens come from. */
  readonly oauth?: MailOAuthSpec;
}

/**
 * How to authenticate to Exchange Web Services. The account's secret is the password for
 * ntlm and basic, the Entra app's client secret for oauth (client credentials, tokens
 * obtained and refreshed by mailferry), and a pre-obtained access token for bearer.
 */
export type EwsAuth = 'ntlm' | 'basic' | 'oauth' | 'bearer';

/** The Entra app of `auth: 'oauth'`; no secret (the client secret is the account's secret). */
export interface EwsOAuthSpec {
  /** The directory (tenant) id: a GUID or a domain such as contoso.onmicrosoft.com. */
  readonly tenant: string;
  /** The application (client) id, a GUID. */
  readonly clientId: string;
  /**
   * The token authority's origin, e.g. https://login.microsoftonline.com (the default),
   * https://login.microsoftonline.us. Its certificate is checked against the public CAs
   * and the account's caFile.
   */
  readonly authority: string;
}

/** An Exchange mailbox over EWS (on-premises Exchange; Exchange Online switches EWS off by 2027). */
export interface EwsAccountSpec extends AccountBase {
  readonly kind: 'ews';
  /** The EWS endpoint's path, e.g. /EWS/Exchange.asmx. */
  readonly path: string;
  readonly auth: EwsAuth;
  /** Act on this mailbox (SMTP address) with `user`'s credentials: EWS impersonation by a service account. */
  readonly impersonate?: string;
  /** With auth 'oauth' (and only then): the app that gets the tokens. */
  readonly oauth?: EwsOAuthSpec;
}

/**
 * A mailbox in Exchange Online read through Microsoft Graph with app-only tokens of an
 * Entra app (Mail.Read). `user` is the mailbox; `host`/`port` are the Graph endpoint's (the
 * governor counts requests' connections there). The secret is the client secret, or with
 * credential 'certificate' the PEM file of the app's certificate and private key.
 */
export interface GraphAccountSpec extends AccountBase {
  readonly kind: 'graph';
  /** The API root, e.g. https://graph.microsoft.com/v1.0. */
  readonly endpoint: string;
  readonly tenant: string;
  readonly clientId: string;
  /** The token authority's origin, e.g. https://login.microsoftonline.com. */
  readonly authority: string;
  readonly credential: 'secret' | 'certificate';
}

/** An account on a mail server: reached over the network with a secret. */
export type NetworkAccountSpec = ImapAccountSpec | Pop3AccountSpec | EwsAccountSpec | GraphAccountSpec;

/** A local Maildir++ directory: a backup target and a restore source (no server, no secret). */
export interface MaildirAccountSpec {
  readonly kind: 'maildir';
  /** Absolute path of the Maildir root. */
  readonly path: string;
}

export type AccountSpec = NetworkAccountSpec | MaildirAccountSpec;

/**
 * "user@host:port" (and "for mailbox" when a service account impersonates one):
 * identifies the account in messages, logs and pair ids; no secret.
 */
export function accountLabel(account: AccountSpec): string {
  if (account.kind === 'maildir') return `maildir:${account.path}`;
  if (account.kind === 'graph') return `${account.user} via ${account.host}${account.port === 443 ? '' : `:${account.port}`}`;
  const label = `${account.user}@${account.host}:${account.port}`;
  return account.kind === 'ews' && account.impersonate !== undefined ? `${label} for ${account.impersonate}` : label;
}

/** The account's identity in pair ids: its label, and its protocol unless IMAP (kept as it was). */
export function accountIdentity(account: AccountSpec): string {
  if (account.kind === 'imap' || account.kind === 'maildir') return accountLabel(account);
  return account.kind === 'ews' ? `ews:${accountLabel(account)}${account.path}` : `${account.kind}:${accountLabel(account)}`;
}
