/**
 * Account URLs of the one-liner:
 *   imaps://USER@HOST[:PORT]  pop3s://USER@HOST[:PORT]   implicit TLS
 *   imap://USER@HOST[:PORT]   pop3://USER@HOST[:PORT]    STARTTLS / STLS required
 * Plaintext only with `?tls=off`. POP3 also takes `?auth=user|apop`.
 * Passwords in URLs are refused: argv is visible to every user of the machine (`ps`).
 */
import type { AccountSpec, Pop3Auth, SecretRef, TlsMode } from './account-spec.js';
import { ConfigError } from './config-error.js';

interface Scheme {
  readonly kind: AccountSpec['kind'];
  readonly port: number;
  readonly implicitTls: boolean;
  /** The scheme of the same protocol with the other TLS style, for error messages. */
  readonly sibling: string;
}

const SCHEMES = new Map<string, Scheme>([
  ['imap', { kind: 'imap', port: 143, implicitTls: false, sibling: 'imaps' }],
  ['imaps', { kind: 'imap', port: 993, implicitTls: true, sibling: 'imap' }],
  ['pop3', { kind: 'pop3', port: 110, implicitTls: false, sibling: 'pop3s' }],
  ['pop3s', { kind: 'pop3', port: 995, implicitTls: true, sibling: 'pop3' }],
]);

const EXPECTED = 'imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT], pop3s://USER@HOST[:PORT] or pop3://USER@HOST[:PORT]';
const POP3_AUTH: readonly Pop3Auth[] = ['auto', 'user', 'apop'];

export function parseAccountUrl(text: string, what: string, secret: SecretRef, caFile?: string): AccountSpec {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${what}: "${text}" is not a URL; expected ${EXPECTED}`);
  }
  const name = url.protocol.replace(/:$/, '').toLowerCase();
  const scheme = SCHEMES.get(name);
  if (scheme === undefined) {
    throw new ConfigError(`${what}: unsupported scheme "${name}:"; use imaps:// or pop3s:// (TLS), imap:// or pop3:// (STARTTLS)`);
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
  if ((url.pathname && url.pathname !== '/') || url.hash) {
    throw new ConfigError(`${what}: unexpected path or #fragment in "${text}"; expected ${name}://USER@HOST[:PORT]`);
  }
  const params = readParams(url, what, scheme);
  if (params.tlsOff && scheme.implicitTls) throw new ConfigError(`${what}: ${name}:// is TLS by definition; use ${scheme.sibling}://...?tls=off for plaintext`);
  const tls: TlsMode = scheme.implicitTls ? 'implicit' : params.tlsOff ? 'off' : 'starttls';
  const base = {
    // Host names are case-insensitive (RFC 4343); one spelling keeps one set of checkpoints.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    port: url.port ? Number(url.port) : scheme.port,
    user,
    tls,
    secret,
    ...(caFile === undefined ? {} : { caFile }),
  };
  return scheme.kind === 'imap' ? { kind: 'imap', ...base } : { kind: 'pop3', ...base, auth: params.auth };
}

function readParams(url: URL, what: string, scheme: Scheme): { tlsOff: boolean; auth: Pop3Auth } {
  const known = scheme.kind === 'pop3' ? ['tls', 'auth'] : ['tls'];
  for (const key of url.searchParams.keys()) {
    if (!known.includes(key)) throw new ConfigError(`${what}: unknown URL parameter "${key}" (known: ${known.join(', ')})`);
    if (url.searchParams.getAll(key).length > 1) throw new ConfigError(`${what}: ?${key}= given more than once`);
  }
  const tls = url.searchParams.get('tls');
  if (tls !== null && tls !== 'off') throw new ConfigError(`${what}: ?tls= accepts only "off" (plaintext)`);
  const auth = url.searchParams.get('auth') ?? 'auto';
  if (!POP3_AUTH.includes(auth as Pop3Auth)) throw new ConfigError(`${what}: ?auth= accepts ${POP3_AUTH.join(', ')}`);
  return { tlsOff: tls === 'off', auth: auth as Pop3Auth };
}
