/**
 * Account URLs of the one-liner:
 *   imaps://USER@HOST[:PORT]  pop3s://USER@HOST[:PORT]   implicit TLS
 *   imap://USER@HOST[:PORT]   pop3://USER@HOST[:PORT]    STARTTLS / STLS required
 *   ews://USER@HOST[:PORT]/EWS/Exchange.asmx              HTTPS
 *   graph://USER@DOMAIN?tenant=...&client=...               Microsoft Graph (graph-url.ts)
 *   maildir:///ABSOLUTE/PATH                              a local Maildir++ directory
 * Plaintext only with `?tls=off`. POP3 also takes `?auth=user|apop|oauth|oauth-refresh`; EWS takes
 * `?auth=ntlm|basic|oauth|bearer` and `?impersonate=ADDRESS`.
 *
 * EWS with OAuth 2.0 client credentials (an Entra app; app-only tokens, so impersonation):
 *   ews://APP@outlook.office365.com/EWS/Exchange.asmx?auth=oauth&tenant=TENANT_ID&client=CLIENT_ID
 *     &impersonate=alice@contoso.com[&authority=https://login.microsoftonline.us]
 * The account's secret (variable or file) is then the client secret; USER only names the
 * account in messages. `authority` defaults to https://login.microsoftonline.com; the
 * account's CA file is trusted for it too. `?auth=bearer` takes a pre-obtained access
 * token as the secret instead, used as given (it is not refreshed).
 *
 * IMAP with OAuth 2.0 (XOAUTH2 / OAUTHBEARER), tokens obtained and refreshed by mailferry:
 *   imaps://alice@contoso.com@outlook.office365.com?auth=oauth&tenant=TENANT_ID&client=CLIENT_ID
 *     [&authority=https://login.microsoftonline.us][&scope=...]
 *     client credentials of an Entra app (IMAP.AccessAsApp); the secret is the client secret.
 *   imaps://alice@gmail.com@imap.gmail.com?auth=oauth-refresh&client=CLIENT_ID[&token-url=URL][&scope=...]
 *     a refresh token (Gmail, delegated Microsoft 365); the secret is JSON
 *     {"refresh_token": "...", "client_secret": "..."} or the bare refresh token. token-url
 *     defaults to Google's for gmail.com/googlemail.com hosts and to
 *     {authority}/{tenant or organizations}/oauth2/v2.0/token for outlook.office365.com.
 * (An "@" in the user name is %40; both spellings above are shown unescaped for reading.)
 *
 * POP3 with OAuth 2.0 (SASL XOAUTH2, RFC 5034 AUTH): the same two flows, parameters and
 * secrets as IMAP, e.g.
 *   pop3s://alice%40contoso.com@outlook.office365.com?auth=oauth&tenant=TENANT_ID&client=CLIENT_ID
 *   pop3s://me%40gmail.com@pop.gmail.com?auth=oauth-refresh&client=CLIENT_ID[&token-url=URL]
 *
 * Passwords in URLs are refused: argv is visible to every user of the machine (`ps`).
 */
import type { AccountSpec, EwsAuth, EwsOAuthSpec, MailOAuthSpec, MaildirAccountSpec, NetworkAccountSpec, Pop3Auth, SecretRef, TlsMode } from './account-spec.js';
import { ConfigError } from './config-error.js';
import { checkClientId, checkTenant, DEFAULT_OAUTH_AUTHORITY, DOMAIN, GUID, httpsParam, NO_TENANT } from './entra-ids.js';
import { parseGraphUrl } from './graph-url.js';

/** The kinds with a scheme of their own here (graph:// has graph-url.ts). */
type SchemeKind = Exclude<NetworkAccountSpec['kind'], 'graph'>;

interface Scheme {
  readonly kind: SchemeKind;
  readonly port: number;
  /** TLS from the first byte; otherwise STARTTLS (or, for EWS, plain HTTP when `?tls=off`). */
  readonly implicitTls: boolean;
  /** The scheme of the same protocol with the other TLS style, for error messages. */
  readonly sibling?: string;
}

const SCHEMES = new Map<string, Scheme>([
  ['imap', { kind: 'imap', port: 143, implicitTls: false, sibling: 'imaps' }],
  ['imaps', { kind: 'imap', port: 993, implicitTls: true, sibling: 'imap' }],
  ['pop3', { kind: 'pop3', port: 110, implicitTls: false, sibling: 'pop3s' }],
  ['pop3s', { kind: 'pop3', port: 995, implicitTls: true, sibling: 'pop3' }],
  ['ews', { kind: 'ews', port: 443, implicitTls: true }],
]);

/** Parameters each kind accepts, besides `tls`. */
const PARAMS: Record<SchemeKind, readonly string[]> = {
  imap: ['tls', 'auth', 'tenant', 'client', 'authority', 'token-url', 'scope'],
  pop3: ['tls', 'auth', 'tenant', 'client', 'authority', 'token-url', 'scope'],
  ews: ['tls', 'auth', 'impersonate', 'tenant', 'client', 'authority'],
};
/** POP3's ?auth=: its own login commands, and the OAuth flows (both SASL XOAUTH2). */
const POP3_AUTH = ['auto', 'user', 'apop', 'oauth', 'oauth-refresh'] as const;
const EWS_AUTH: readonly EwsAuth[] = ['ntlm', 'basic', 'oauth', 'bearer'];
const IMAP_AUTH = ['password', 'oauth', 'oauth-refresh'] as const;
/** The ?auth= values of OAuth 2.0 (IMAP and POP3), and the parameters only they take. */
type OAuthAuth = 'oauth' | 'oauth-refresh';
const MAIL_OAUTH_PARAMS = ['tenant', 'client', 'authority', 'token-url', 'scope'] as const;
/** Token endpoints of the refresh token flow when ?token-url= is left out. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const GOOGLE_HOSTS = /(^|\.)(gmail|googlemail)\.com$/;
const MICROSOFT_MAIL_HOSTS = new Set(['outlook.office365.com', 'imap-mail.outlook.com', 'pop-mail.outlook.com', 'outlook.office.com']);
/** The EWS parameters of `auth=oauth` (client credentials) only. */
const OAUTH_PARAMS = ['tenant', 'client', 'authority'] as const;
const EWS_DEFAULT_PATH = '/EWS/Exchange.asmx';

const EXPECTED = 'imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT], pop3s://USER@HOST[:PORT], pop3://USER@HOST[:PORT], ews://USER@HOST[:PORT]/EWS/Exchange.asmx, graph://USER@DOMAIN?tenant=...&client=... or maildir:///PATH';

export function parseAccountUrl(text: string, what: string, secret: SecretRef, caFile?: string): AccountSpec {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${what}: "${text}" is not a URL; expected ${EXPECTED}`);
  }
  const name = url.protocol.replace(/:$/, '').toLowerCase();
  if (name === 'maildir') return parseMaildirUrl(url, text, what);
  if (name === 'graph') return parseGraphUrl(url, what, secret, caFile);
  const scheme = SCHEMES.get(name);
  if (scheme === undefined) {
    throw new ConfigError(`${what}: unsupported scheme "${name}:"; use imaps:// or pop3s:// (TLS), imap:// or pop3:// (STARTTLS), ews:// (Exchange), graph:// (Microsoft 365 through Graph) or maildir:/// (a local directory)`);
  }
  if (url.password) {
    throw new ConfigError(`${what}: do not put the password in the URL (it shows in "ps"); use the environment variable or --*-password-file`);
  }
  let user: string;
  try {
    user = decodeURIComponent(url.username);
  } catch {
    throw new ConfigError(`${what}: the user name in "${text}" has a malformed %-escape`);
  }
  if (!user) throw new ConfigError(`${what}: the URL needs a user name, e.g. ${name}://alice@${url.hostname || 'mail.example.com'}`);
  if (!url.hostname) throw new ConfigError(`${what}: the URL needs a host name`);
  const hasPath = url.pathname !== '' && url.pathname !== '/';
  if ((hasPath && scheme.kind !== 'ews') || url.hash) {
    throw new ConfigError(`${what}: unexpected path or #fragment in "${text}"; expected ${name}://USER@HOST[:PORT]`);
  }
  const params = readParams(url, what, scheme.kind);
  const tlsOff = params.get('tls') !== undefined;
  if (tlsOff && scheme.implicitTls && scheme.sibling) {
    throw new ConfigError(`${what}: ${name}:// is TLS by definition; use ${scheme.sibling}://...?tls=off for plaintext`);
  }
  const tls: TlsMode = tlsOff ? 'off' : scheme.implicitTls ? 'implicit' : 'starttls';
  const base = {
    // Host names are case-insensitive (RFC 4343); one spelling keeps one set of checkpoints.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    // ews://...?tls=off is plain HTTP, whose default port is 80.
    port: url.port ? Number(url.port) : scheme.kind === 'ews' && tlsOff ? 80 : scheme.port,
    user,
    tls,
    secret,
    ...(caFile === undefined ? {} : { caFile }),
  };
  if (scheme.kind === 'imap') {
    const oauth = imapOAuth(params, base.host, what);
    return { kind: 'imap', ...base, ...(oauth === undefined ? {} : { oauth }) };
  }
  if (scheme.kind === 'pop3') {
    const auth = oneOf(params.get('auth') ?? 'auto', POP3_AUTH, what);
    if (auth === 'oauth' || auth === 'oauth-refresh') return { kind: 'pop3', ...base, auth: 'xoauth2', oauth: mailOAuth(auth, params, base.host, what) };
    refuseOAuthParams(params, 'POP3', what);
    return { kind: 'pop3', ...base, auth: auth satisfies Pop3Auth };
  }
  const impersonate = params.get('impersonate');
  if (impersonate !== undefined && !/^[^@\s]+@[^@\s]+$/.test(impersonate)) {
    throw new ConfigError(`${what}: ?impersonate= takes the SMTP address of the mailbox to act on, e.g. alice@example.com`);
  }
  const auth = oneOf(params.get('auth') ?? 'ntlm', EWS_AUTH, what);
  const oauth = ewsOAuth(params, auth, impersonate, what);
  return {
    kind: 'ews', ...base,
    path: hasPath ? decodeURI(url.pathname) : EWS_DEFAULT_PATH,
    auth,
    ...(impersonate === undefined ? {} : { impersonate }),
    ...(oauth === undefined ? {} : { oauth }),
  };
}

/** The app of `auth=oauth`: tenant and client required, authority defaulted; refused with any other auth. */
function ewsOAuth(params: Map<string, string>, auth: EwsAuth, impersonate: string | undefined, what: string): EwsOAuthSpec | undefined {
  if (auth !== 'oauth') {
    const stray = OAUTH_PARAMS.find((key) => params.has(key));
    if (stray !== undefined) throw new ConfigError(`${what}: ?${stray}= belongs to ?auth=oauth (OAuth client credentials), not to ?auth=${auth}`);
    return undefined;
  }
  const app = clientCredentials(params, what);
  if (impersonate === undefined) {
    throw new ConfigError(`${what}: ?auth=oauth gets app-only tokens, which act on a mailbox only through &impersonate=ADDRESS`);
  }
  return app;
}

/** tenant (GUID or domain), client (GUID) and authority of the client credentials grant. */
function clientCredentials(params: Map<string, string>, what: string): { tenant: string; clientId: string; authority: string } {
  const tenant = params.get('tenant');
  const client = params.get('client');
  if (!tenant) throw new ConfigError(`${what}: ?auth=oauth needs &tenant=TENANT_ID, the directory (tenant) id of the Entra app`);
  if (!client) throw new ConfigError(`${what}: ?auth=oauth needs &client=CLIENT_ID, the application (client) id of the Entra app`);
  checkTenant(tenant, what);
  checkClientId(client, what);
  return { tenant: tenant.toLowerCase(), clientId: client.toLowerCase(), authority: oauthAuthority(params.get('authority'), what) };
}

/**
 * IMAP's ?auth=: password (the default: LOGIN / AUTHENTICATE PLAIN), oauth (client
 * credentials) or oauth-refresh (refresh token). The OAuth parameters only with those.
 */
function imapOAuth(params: Map<string, string>, host: string, what: string): MailOAuthSpec | undefined {
  const auth = oneOf(params.get('auth') ?? 'password', IMAP_AUTH, what);
  if (auth === 'password') {
    refuseOAuthParams(params, 'IMAP', what);
    return undefined;
  }
  return mailOAuth(auth, params, host, what);
}

/** Without OAuth (IMAP's password, POP3's USER/PASS or APOP), none of its parameters may be given. */
function refuseOAuthParams(params: Map<string, string>, protocol: 'IMAP' | 'POP3', what: string): void {
  const stray = MAIL_OAUTH_PARAMS.find((key) => params.has(key));
  if (stray !== undefined) throw new ConfigError(`${what}: ?${stray}= belongs to ?auth=oauth or ?auth=oauth-refresh (${protocol} with OAuth 2.0)`);
}

/**
 * The OAuth settings of a mail protocol (IMAP, POP3): `auth=oauth` is the client
 * credentials grant (tenant, client, authority), `auth=oauth-refresh` the refresh token
 * grant (client, token-url or tenant/authority); both take &scope=.
 */
function mailOAuth(auth: OAuthAuth, params: Map<string, string>, host: string, what: string): MailOAuthSpec {
  const scope = params.get('scope');
  if (scope !== undefined && (scope.trim() === '' || /[\s]{2}|^\s|\s$/.test(scope))) throw new ConfigError(`${what}: ?scope= takes space-separated scopes (%20 or +)`);
  const withScope = scope === undefined ? {} : { scope };
  if (auth === 'oauth') {
    if (params.has('token-url')) throw new ConfigError(`${what}: ?token-url= belongs to ?auth=oauth-refresh; ?auth=oauth (client credentials) takes &tenant= and &authority=`);
    return { flow: 'client-credentials', ...clientCredentials(params, what), ...withScope };
  }
  const client = params.get('client');
  if (!client || /\s/.test(client)) throw new ConfigError(`${what}: ?auth=oauth-refresh needs &client=CLIENT_ID, the OAuth client (application) id the refresh token was issued to`);
  return { flow: 'refresh-token', clientId: client, tokenUrl: refreshTokenUrl(params, host, what), ...withScope };
}

/** ?token-url= (https), or the default of the host: Google's, or Microsoft's for the tenant (organizations without one). */
function refreshTokenUrl(params: Map<string, string>, host: string, what: string): string {
  const given = params.get('token-url');
  const tenant = params.get('tenant');
  if (given !== undefined) {
    if (tenant !== undefined || params.has('authority')) throw new ConfigError(`${what}: give either &token-url= or &tenant= (with &authority=), not both`);
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new ConfigError(`${what}: ?token-url= "${given}" is not a URL; expected e.g. ${GOOGLE_TOKEN_URL}`);
    }
    if (url.protocol !== 'https:') throw new ConfigError(`${what}: ?token-url= must be https:// (refresh tokens never travel in plaintext)`);
    if (url.username || url.password || url.hash) throw new ConfigError(`${what}: ?token-url= takes no user, password or #fragment`);
    return url.href;
  }
  if (tenant !== undefined || params.has('authority') || MICROSOFT_MAIL_HOSTS.has(host)) {
    if (tenant !== undefined && !NO_TENANT.has(tenant.toLowerCase()) && !GUID.test(tenant) && !DOMAIN.test(tenant)) {
      throw new ConfigError(`${what}: ?tenant= takes the directory (tenant) id, a GUID, or a domain such as contoso.onmicrosoft.com`);
    }
    return `${oauthAuthority(params.get('authority'), what)}/${encodeURIComponent((tenant ?? 'organizations').toLowerCase())}/oauth2/v2.0/token`;
  }
  if (GOOGLE_HOSTS.test(host)) return GOOGLE_TOKEN_URL;
  throw new ConfigError(`${what}: ?auth=oauth-refresh needs &token-url=https://... (the token endpoint of the OAuth provider; known without it only for Gmail and Microsoft 365 hosts)`);
}

/** The authority's origin: https, no path (the tenant is added), no credentials, query or fragment. */
function oauthAuthority(text: string | undefined, what: string): string {
  if (text === undefined) return DEFAULT_OAUTH_AUTHORITY;
  const expected = 'an https:// origin such as https://login.microsoftonline.us';
  const url = httpsParam(text, 'authority', expected, what);
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new ConfigError(`${what}: ?authority= takes the origin only, without a path (the tenant is added); expected ${expected}`);
  }
  return url.origin;
}

/** maildir:///ABSOLUTE/PATH: no host, no user, no parameters. */
function parseMaildirUrl(url: URL, text: string, what: string): MaildirAccountSpec {
  if (url.host || url.username || url.search || url.hash) {
    throw new ConfigError(`${what}: "${text}" should be maildir:///ABSOLUTE/PATH (three slashes, no host, user or parameters)`);
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new ConfigError(`${what}: the path in "${text}" has a malformed %-escape`);
  }
  if (!path.startsWith('/') || path === '/') throw new ConfigError(`${what}: maildir:// needs an absolute directory path, e.g. maildir:///var/backups/alice`);
  return { kind: 'maildir', path: path.length > 1 ? path.replace(/\/+$/, '') : path };
}

/** The URL's parameters, each known to this kind and given at most once; `tls` only as "off". */
function readParams(url: URL, what: string, kind: SchemeKind): Map<string, string> {
  const known = PARAMS[kind];
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!known.includes(key)) throw new ConfigError(`${what}: unknown URL parameter "${key}" (known: ${known.join(', ')})`);
    if (params.has(key)) throw new ConfigError(`${what}: ?${key}= given more than once`);
    params.set(key, value);
  }
  const tls = params.get('tls');
  if (tls !== undefined && tls !== 'off') throw new ConfigError(`${what}: ?tls= accepts only "off" (plaintext)`);
  return params;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value as T)) throw new ConfigError(`${what}: ?auth= accepts ${allowed.join(', ')}`);
  return value as T;
}
