/**
 * Account URLs of the one-liner: `imaps://USER@HOST[:PORT]` (implicit TLS) or
 * `imap://USER@HOST[:PORT]` (STARTTLS required). Plaintext only with `?tls=off`.
 * Passwords in URLs are refused: argv is visible to every user of the machine (`ps`).
 */
import type { ImapAccountSpec, SecretRef } from './account-spec.js';
import { ConfigError } from './config-error.js';

const DEFAULT_PORTS = new Map([['imap', 143], ['imaps', 993]]);

export function parseAccountUrl(text: string, what: string, secret: SecretRef, caFile?: string): ImapAccountSpec {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${what}: "${text}" is not a URL; expected imaps://USER@HOST[:PORT] or imap://USER@HOST[:PORT]`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  const defaultPort = DEFAULT_PORTS.get(scheme);
  if (defaultPort === undefined) {
    throw new ConfigError(`${what}: unsupported scheme "${scheme}:"; use imaps:// (TLS) or imap:// (STARTTLS)`);
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
  if (!user) throw new ConfigError(`${what}: the URL needs a user name, e.g. ${scheme}://alice@${url.hostname || 'mail.example.com'}`);
  if (!url.hostname) throw new ConfigError(`${what}: the URL needs a host name`);
  const tlsParam = url.searchParams.get('tls');
  if (tlsParam !== null && tlsParam !== 'off') throw new ConfigError(`${what}: ?tls= accepts only "off" (plaintext)`);
  if (tlsParam === 'off' && scheme === 'imaps') throw new ConfigError(`${what}: imaps:// is TLS by definition; use imap://...?tls=off for plaintext`);
  if ((url.pathname && url.pathname !== '/') || url.hash) {
    throw new ConfigError(`${what}: unexpected path or #fragment in "${text}"; expected ${scheme}://USER@HOST[:PORT]`);
  }
  if (url.searchParams.getAll('tls').length > 1) throw new ConfigError(`${what}: ?tls= given more than once`);
  for (const key of url.searchParams.keys()) {
    if (key !== 'tls') throw new ConfigError(`${what}: unknown URL parameter "${key}" (known: tls)`);
  }
  const spec: ImapAccountSpec = {
    kind: 'imap',
    // Host names are case-insensitive (RFC 4343); one spelling keeps one set of checkpoints.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    port: url.port ? Number(url.port) : defaultPort,
    user,
    tls: scheme === 'imaps' ? 'implicit' : tlsParam === 'off' ? 'off' : 'starttls',
    secret,
  };
  return caFile === undefined ? spec : { ...spec, caFile };
}
