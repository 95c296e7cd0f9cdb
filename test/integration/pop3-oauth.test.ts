/**
 * POP3 with OAuth 2.0 (SASL XOAUTH2, RFC 5034 AUTH), offline, against a real Dovecot whose
 * oauth2 passdb (the one IMAP uses: auth_mechanisms and passdbs serve pop3-login too) asks
 * the fake token service (test/support/oauth) by RFC 7662 token introspection whether a
 * token is active and whose it is.
 *
 * Connector level: a client-credentials token logs in (the token is longer than RFC 2449's
 * 255-octet command line, so it goes after the empty challenge), a short token goes in the
 * AUTH line; a refused token is answered by Dovecot's error challenge, replaced once, then
 * AUTH_FAILED; a server without XOAUTH2 is AUTH_FAILED saying so. CLI level: `mailferry
 * migrate` POP3 -> IMAP with `?auth=oauth` and `?auth=oauth-refresh` copies the mail; a
 * revoked refresh token is exit 3 with a message naming the fix; the trace log holds
 * neither tokens nor secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import type { BearerTokenSource } from '../../src/connectors/oauth/index.js';
import { sharedTokenProvider } from '../../src/connectors/oauth/index.js';
import { Pop3Source, type Pop3AccountOptions } from '../../src/connectors/pop3/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount } from '../support/imap-account.js';
import { startTokenService, type FakeTokenService } from '../support/oauth/index.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { imapUrl, migrateUrls, total } from './migrate-cli.js';

const TENANT = '7a1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
const APPS = {
  connector: '2a2b3c4d-0000-4000-8000-000000000001',
  cli: '2a2b3c4d-0000-4000-8000-000000000002',
  delegated: '2a2b3c4d-0000-4000-8000-000000000003',
} as const;
const SECRET = (app: string) => `pop3~secret~${app}`;
const USERS = ['ccpop', 'other', 'ccdst', 'rtpop', 'rtdst', 'revpop', 'revdst'];

let tokens: FakeTokenService;
let dovecot: DovecotServer;
/** A Dovecot without the oauth2 passdb: its CAPA lists no XOAUTH2. */
let plain: DovecotServer;
let redis: RedisServer;

const tokenUrl = () => `${tokens.authority}/${TENANT}/oauth2/v2.0/token`;
const tokenRequestsOf = (app: string) => tokens.requests.filter((r) => r.path.endsWith('/token') && r.clientId === app).length;

function mime(subject: string) {
  const raw = Buffer.from(`Received: from mx.example.org by pop.example.net; Tue, 1 Jul 2003 10:52:37 +0200\r\nFrom: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.org>\r\n\r\n${subject}\r\n`);
  return { folder: 'INBOX', raw, flags: [], internalDate: new Date('2024-01-01T00:00:00Z') };
}

beforeAll(async () => {
  tokens = await startTokenService({
    tenants: [TENANT],
    clients: { [APPS.connector]: SECRET(APPS.connector), [APPS.cli]: SECRET(APPS.cli), [APPS.delegated]: SECRET(APPS.delegated) },
    mailboxes: { [APPS.connector]: 'ccpop', [APPS.cli]: 'ccpop' },
  });
  [dovecot, plain, redis] = await Promise.all([
    startDovecot({ users: USERS, oauth2: { introspectionUrl: tokens.introspectionUrl } }), startDovecot({ users: ['nopop'] }), startRedis(),
  ]);
  const account = (user: string) => ({ port: dovecot.imapPort, user, password: dovecot.password });
  await loadMessages(account('ccpop'), [mime('one'), mime('two'), mime('three')]);
  await loadMessages(account('rtpop'), [mime('four'), mime('five')]);
  await loadMessages(account('revpop'), [mime('six')]);
}, 60_000);

afterAll(async () => {
  await Promise.all([dovecot?.stop(), plain?.stop(), redis?.destroy(), tokens?.stop()]);
});

function pop3Account(user: string, provider: BearerTokenSource, server = dovecot): Pop3AccountOptions {
  return { host: '127.0.0.1', port: server.pop3Port, user, tls: 'off', password: '', auth: 'xoauth2', tokens: provider };
}

function ccProvider(app: string): BearerTokenSource {
  return sharedTokenProvider({ tenant: TENANT, clientId: app, clientSecret: SECRET(app), authority: tokens.authority, ca: tokens.ca });
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** Short tokens that no introspection accepts, counting what was asked of it. */
function bogusTokens(): BearerTokenSource & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    token: async () => {
      calls.push('token');
      return 'bogus-1';
    },
    refresh: async (stale) => {
      calls.push(`refresh ${stale}`);
      return 'bogus-2';
    },
  };
}

describe('POP3 connector with OAuth (Dovecot oauth2 passdb)', () => {
  it('logs in with SASL XOAUTH2 (a long token, sent after the empty challenge) and lists the maildrop', async () => {
    const source = new Pop3Source(pop3Account('ccpop', ccProvider(APPS.connector)));
    await source.connect();
    expect((await source.listMaildrop()).length).toBe(3);
    await source.close();
    expect(tokens.issued.find((t) => t.clientId === APPS.connector)?.token.length).toBeGreaterThan(255);
    expect(tokens.introspections.some((i) => i.active && i.username === 'ccpop')).toBe(true);
  });

  it('STLS, then XOAUTH2 over TLS (pop3:// with the CA)', async () => {
    const source = new Pop3Source({ ...pop3Account('ccpop', ccProvider(APPS.connector)), tls: 'starttls', ca: await import('node:fs/promises').then((fs) => fs.readFile(dovecot.caFile)) });
    await source.connect();
    expect((await source.listMaildrop()).length).toBe(3);
    await source.close();
  });

  it('a refused token (the error challenge, answered with an empty line) is replaced once, then AUTH_FAILED naming what to check', async () => {
    const provider = bogusTokens();
    const error = await rejection(new Pop3Source(pop3Account('ccpop', provider)).connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(/^login to ccpop@127\.0\.0\.1:\d+: the server refused the OAuth access token \(-ERR .*, status 4\d\d\); check that USER is the mailbox's address/);
    expect(provider.calls).toEqual(['token', 'refresh bogus-1']);
  });

  it('a token for another mailbox is refused after one retry', async () => {
    const before = tokenRequestsOf(APPS.connector);
    const error = await rejection(new Pop3Source(pop3Account('other', ccProvider(APPS.connector))).connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', retry: 'never' });
    expect(error.message).toMatch(/the server refused the OAuth access token/);
    // The cached token, then one fresh one.
    expect(tokenRequestsOf(APPS.connector) - before).toBe(1);
  });

  it('a server whose CAPA does not list XOAUTH2: AUTH_FAILED saying so, no token spent on a retry', async () => {
    const provider = bogusTokens();
    const error = await rejection(new Pop3Source(pop3Account('nopop', provider, plain)).connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(/^login to nopop@127\.0\.0\.1:\d+: the POP3 server does not offer XOAUTH2 \(CAPA lists SASL PLAIN LOGIN/);
    expect(provider.calls).toEqual(['token']);
  });
});

describe('mailferry migrate POP3 -> IMAP with OAuth', () => {
  const run = (source: string, target: string, secret: string, extra: { args?: string[]; json?: boolean } = {}) => migrateUrls(dovecot, source, imapUrl(dovecot, target), {
    redisUrl: redis.url, json: extra.json ?? true, args: ['--source-ca', tokens.caFile, ...(extra.args ?? [])],
    env: { MAILFERRY_SOURCE_PASSWORD: secret, MAILFERRY_LOG_LEVEL: 'trace' },
  });
  const pop3 = (user: string, query: string) => `pop3://${user}@127.0.0.1:${dovecot.pop3Port}?tls=off&${query}`;
  const expectNoSecrets = (output: string, more: string[] = []) => {
    for (const secret of [...Object.values(APPS).map(SECRET), ...tokens.issued.map((t) => t.token), ...more]) expect(output).not.toContain(secret);
    for (const t of tokens.issued) {
      expect(output).not.toContain(Buffer.from(`user=ccpop\x01auth=Bearer ${t.token}\x01\x01`).toString('base64').slice(0, 40));
    }
    expect(output).not.toMatch(/AUTH XOAUTH2 [A-Za-z0-9+/=]{20,}/);
    expect(output).not.toMatch(/dXNlcj[A-Za-z0-9+/=]{20,}/); // base64 of "user="
  };

  it('?auth=oauth (client credentials) copies the POP box; the trace log shows the SASL exchange without the token', async () => {
    const source = pop3('ccpop', `auth=oauth&tenant=${TENANT}&client=${APPS.cli}&authority=${encodeURIComponent(tokens.authority)}`);
    const result = await run(source, 'ccdst', SECRET(APPS.cli));
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(total(result, 'copied')).toBe(3);
    const snapshot = await snapshotAccount({ port: dovecot.imapPort, user: 'ccdst', password: dovecot.password });
    expect(snapshot.get('INBOX')?.length).toBe(3);
    expect(tokenRequestsOf(APPS.cli)).toBe(1);
    expect(result.stderr).toMatch(/AUTH XOAUTH2/); // the trace log was on
    expectNoSecrets(`${result.stdout}${result.stderr}`);
  });

  it('?auth=oauth-refresh (JSON secret) copies the POP box', async () => {
    const refreshToken = tokens.addRefreshToken(APPS.delegated, 'rtpop');
    const source = pop3('rtpop', `auth=oauth-refresh&client=${APPS.delegated}&token-url=${encodeURIComponent(tokenUrl())}`);
    const result = await run(source, 'rtdst', JSON.stringify({ refresh_token: refreshToken, client_secret: SECRET(APPS.delegated) }));
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(total(result, 'copied')).toBe(2);
    expectNoSecrets(`${result.stdout}${result.stderr}`, [refreshToken]);
  });

  it('a revoked refresh token: exit 3 with the message naming the fix', async () => {
    const refreshToken = tokens.addRefreshToken(APPS.delegated, 'revpop');
    tokens.revokeRefreshToken(refreshToken);
    const source = pop3('revpop', `auth=oauth-refresh&client=${APPS.delegated}&token-url=${encodeURIComponent(tokenUrl())}`);
    const result = await run(source, 'revdst', JSON.stringify({ refresh_token: refreshToken, client_secret: SECRET(APPS.delegated) }), { json: false });
    expect(result.code, `${result.stdout}\n${result.stderr.slice(-3000)}`).toBe(3);
    expect(result.stdout).toMatch(/the refresh token was revoked or has expired \(invalid_grant: AADSTS50173: .*\); create a new one \(sign in again with the app\) and store it in the account's secret/);
    expectNoSecrets(`${result.stdout}${result.stderr}`, [refreshToken]);
  });
});
