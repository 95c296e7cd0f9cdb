/**
 * IMAP with OAuth 2.0 (XOAUTH2 / OAUTHBEARER), offline, against a real Dovecot whose
 * oauth2 passdb asks the fake token service (test/support/oauth) by RFC 7662 token
 * introspection whether a token is active and whose it is.
 *
 * Connector level: a client-credentials token per connect, a token that expires is
 * replaced before the next connect, a token the server refuses is replaced once, a revoked
 * refresh token is one AUTH_FAILED for many connectors. CLI level: `mailferry migrate`
 * with `?auth=oauth` and `?auth=oauth-refresh` copies mail; a revoked refresh token is
 * exit 3 with a message naming the fix, few token requests even with --concurrency 4; the
 * trace log holds neither tokens nor secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import { ImapSource, type ImapAccountOptions } from '../../src/connectors/imap/index.js';
import { RefreshTokenProvider, sharedTokenProvider } from '../../src/connectors/oauth/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount } from '../support/imap-account.js';
import { startTokenService, type FakeTokenService } from '../support/oauth/index.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { imapUrl, migrateUrls, total } from './migrate-cli.js';

const TENANT = '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
const APPS = {
  connector: '1a2b3c4d-0000-4000-8000-000000000001',
  expiry: '1a2b3c4d-0000-4000-8000-000000000002',
  skewed: '1a2b3c4d-0000-4000-8000-000000000003',
  cli: '1a2b3c4d-0000-4000-8000-000000000004',
  /** Delegated (refresh token) clients: a confidential one, and a public one (no secret). */
  delegated: '1a2b3c4d-0000-4000-8000-000000000005',
  publicClient: '1a2b3c4d-0000-4000-8000-000000000006',
} as const;
const SECRET = (app: string) => `imap~secret~${app}`;
const USERS = ['ccsrc', 'expsrc', 'ccdst', 'rtsrc', 'rtdst', 'pubdst', 'revsrc', 'revdst'];

let tokens: FakeTokenService;
let dovecot: DovecotServer;
let redis: RedisServer;

const tokenUrl = () => `${tokens.authority}/${TENANT}/oauth2/v2.0/token`;
const tokenRequestsOf = (app: string) => tokens.requests.filter((r) => r.path.endsWith('/token') && r.clientId === app).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mime(subject: string, folder = 'INBOX') {
  const raw = Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject}.${folder.replace(/\W/g, '')}@example.org>\r\n\r\n${subject}\r\n`);
  return { folder, raw, flags: ['\\Seen'], internalDate: new Date(Math.floor(Date.now() / 1000 - 3600) * 1000) };
}

beforeAll(async () => {
  tokens = await startTokenService({
    tenants: [TENANT],
    clients: { [APPS.connector]: SECRET(APPS.connector), [APPS.expiry]: SECRET(APPS.expiry), [APPS.skewed]: SECRET(APPS.skewed), [APPS.cli]: SECRET(APPS.cli), [APPS.delegated]: SECRET(APPS.delegated) },
    mailboxes: { [APPS.connector]: 'ccsrc', [APPS.expiry]: 'expsrc', [APPS.skewed]: 'ccsrc', [APPS.cli]: 'ccsrc' },
  });
  [dovecot, redis] = await Promise.all([startDovecot({ users: USERS, oauth2: { introspectionUrl: tokens.introspectionUrl } }), startRedis()]);
  const account = (user: string) => ({ port: dovecot.imapPort, user, password: dovecot.password });
  await loadMessages(account('ccsrc'), [mime('one'), mime('two'), mime('three', 'Archive')]);
  await loadMessages(account('expsrc'), [mime('four')]);
  await loadMessages(account('rtsrc'), [mime('five'), mime('six', 'Archive')]);
  await loadMessages(account('revsrc'), ['A', 'B', 'C', 'D', 'E', 'F'].map((f) => mime(`rev${f}`, `Folder${f}`)));
}, 60_000);

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy(), tokens?.stop()]);
});

function ccAccount(app: string, user: string): ImapAccountOptions {
  return {
    host: '127.0.0.1', port: dovecot.imapPort, user, tls: 'off',
    tokens: sharedTokenProvider({ tenant: TENANT, clientId: app, clientSecret: SECRET(app), authority: tokens.authority, ca: tokens.ca }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe('IMAP connector with OAuth (Dovecot oauth2 passdb)', () => {
  it('logs in with a client-credentials token (XOAUTH2/OAUTHBEARER) that Dovecot introspects', async () => {
    const source = new ImapSource(ccAccount(APPS.connector, 'ccsrc'));
    await source.connect();
    const folders = await source.listFolders();
    expect(folders.map((f) => f.path)).toEqual(expect.arrayContaining(['INBOX', 'Archive']));
    await source.close();
    expect(tokenRequestsOf(APPS.connector)).toBe(1);
    expect(tokens.introspections.some((i) => i.active && i.username === 'ccsrc')).toBe(true);
  });

  it('a token for another mailbox is refused: AUTH_FAILED naming what to check', async () => {
    // The app's tokens are for ccsrc; expsrc is not its mailbox (introspection names ccsrc).
    const error = await rejection(new ImapSource(ccAccount(APPS.connector, 'expsrc')).connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(/^login to expsrc@127\.0\.0\.1:\d+: the server refused the OAuth access token \(.*\); check that USER is the mailbox's address/);
  });

  it('a reconnect after the token expired fetches a fresh one; a token the server calls expired early is replaced once', async () => {
    tokens.lifetimeSeconds = 2; // refreshed after half its life
    try {
      const account = ccAccount(APPS.expiry, 'expsrc');
      const first = new ImapSource(account);
      await first.connect();
      await first.close();
      expect(tokenRequestsOf(APPS.expiry)).toBe(1);
      await sleep(2200); // expired now, at Dovecot too
      const second = new ImapSource(account);
      await second.connect();
      expect((await second.listFolders()).map((f) => f.path)).toContain('INBOX');
      await second.close();
      expect(tokenRequestsOf(APPS.expiry)).toBe(2);

      // The client is told an hour, Dovecot sees the token expire after 3 s (skew, revocation):
      // long enough for the third login on a loaded CI machine (1 s was seen to lapse in it).
      // Another app (so a fresh provider): its first token will look valid for an hour.
      tokens.lifetimeSeconds = 3600;
      tokens.validForSeconds = 3;
      const skewed = ccAccount(APPS.skewed, 'ccsrc');
      const third = new ImapSource(skewed);
      await third.connect();
      await third.close();
      await sleep(3500);
      tokens.validForSeconds = undefined;
      const before = tokens.introspections.length;
      const fourth = new ImapSource(skewed);
      await fourth.connect(); // refused once, then a fresh token
      await fourth.close();
      expect(tokenRequestsOf(APPS.skewed)).toBe(2);
      expect(tokens.introspections.slice(before).map((i) => i.active)).toEqual([false, true]);
    } finally {
      tokens.lifetimeSeconds = 3600;
      tokens.validForSeconds = undefined;
    }
  });

  it('a revoked refresh token: AUTH_FAILED naming the fix; 8 connectors at once cost one token request', async () => {
    const refreshToken = tokens.addRefreshToken(APPS.delegated, 'rtsrc');
    tokens.revokeRefreshToken(refreshToken);
    const provider = new RefreshTokenProvider({ tokenUrl: tokenUrl(), clientId: APPS.delegated, clientSecret: SECRET(APPS.delegated), refreshToken, ca: tokens.ca });
    const account: ImapAccountOptions = { host: '127.0.0.1', port: dovecot.imapPort, user: 'rtsrc', tls: 'off', tokens: provider };
    const before = tokenRequestsOf(APPS.delegated);
    const errors = await Promise.all(Array.from({ length: 8 }, () => rejection(new ImapSource(account).connect())));
    for (const error of errors) {
      expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
      expect(error.message).toMatch(/^login to rtsrc@127\.0\.0\.1:\d+: OAuth token for client \S+ at https:\/\/127\.0\.0\.1:\d+\/\S+: the refresh token was revoked or has expired \(invalid_grant: AADSTS50173: .*\); create a new one/);
      expect(error.message).not.toContain(refreshToken);
    }
    expect(tokenRequestsOf(APPS.delegated) - before).toBe(1);
  });
});

describe('mailferry migrate with IMAP OAuth', () => {
  const run = (source: string, target: string, secret: string, extra: { args?: string[]; json?: boolean } = {}) => migrateUrls(dovecot, source, imapUrl(dovecot, target), {
    redisUrl: redis.url, json: extra.json ?? true, args: ['--source-ca', tokens.caFile, ...(extra.args ?? [])],
    env: { MAILFERRY_SOURCE_PASSWORD: secret, MAILFERRY_LOG_LEVEL: 'trace' },
  });
  const secrets = () => [...Object.values(APPS).map(SECRET), ...tokens.issued.map((t) => t.token)];
  const expectNoSecrets = (output: string, more: string[] = []) => {
    for (const secret of [...secrets(), ...more]) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/AUTHENTICATE (?:XOAUTH2|OAUTHBEARER) [A-Za-z0-9+/=]{20,}/);
  };

  it('?auth=oauth (client credentials) copies the mailbox', async () => {
    const source = `imap://ccsrc@127.0.0.1:${dovecot.imapPort}?tls=off&auth=oauth&tenant=${TENANT}&client=${APPS.cli}&authority=${encodeURIComponent(tokens.authority)}`;
    const result = await run(source, 'ccdst', SECRET(APPS.cli));
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(total(result, 'copied')).toBe(3);
    const snapshot = await snapshotAccount({ port: dovecot.imapPort, user: 'ccdst', password: dovecot.password });
    expect(snapshot.get('INBOX')?.length).toBe(2);
    expect(snapshot.get('Archive')?.length).toBe(1);
    expect(tokenRequestsOf(APPS.cli)).toBe(1); // one process, one token for every connection
    expectNoSecrets(`${result.stdout}${result.stderr}`);
    expect(result.stderr).toMatch(/OAuth token obtained/); // the trace log was on
  });

  it('?auth=oauth-refresh copies the mailbox, confidential client (JSON secret) and public client (bare refresh token)', async () => {
    const confidential = tokens.addRefreshToken(APPS.delegated, 'rtsrc');
    const source = (client: string) => `imap://rtsrc@127.0.0.1:${dovecot.imapPort}?tls=off&auth=oauth-refresh&client=${client}&token-url=${encodeURIComponent(tokenUrl())}`;
    const secret = JSON.stringify({ client_secret: SECRET(APPS.delegated), refresh_token: confidential });
    const result = await run(source(APPS.delegated), 'rtdst', secret);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(total(result, 'copied')).toBe(2);
    expectNoSecrets(`${result.stdout}${result.stderr}`, [confidential]);

    const bare = tokens.addRefreshToken(APPS.publicClient, 'rtsrc');
    const publicRun = await run(source(APPS.publicClient), 'pubdst', bare);
    expect(publicRun.code, publicRun.stderr.slice(-3000)).toBe(0);
    expect(total(publicRun, 'copied')).toBe(2);
    expect(tokens.requests.filter((r) => r.clientId === APPS.publicClient && r.grant === 'refresh_token' && r.status === 200).length).toBe(1);
    expectNoSecrets(`${publicRun.stdout}${publicRun.stderr}`, [bare]);
  });

  it('a revoked refresh token: exit 3, one clear message, a bounded number of token requests with --concurrency 4', async () => {
    const refreshToken = tokens.addRefreshToken(APPS.delegated, 'revsrc');
    tokens.revokeRefreshToken(refreshToken);
    const before = tokenRequestsOf(APPS.delegated);
    const source = `imap://revsrc@127.0.0.1:${dovecot.imapPort}?tls=off&auth=oauth-refresh&client=${APPS.delegated}&token-url=${encodeURIComponent(tokenUrl())}`;
    const secret = JSON.stringify({ client_secret: SECRET(APPS.delegated), refresh_token: refreshToken });
    const result = await run(source, 'revdst', secret, { json: false, args: ['--concurrency', '4'] });
    expect(result.code, `${result.stdout}\n${result.stderr.slice(-3000)}`).toBe(3);
    expect(result.stdout).toMatch(/the refresh token was revoked or has expired \(invalid_grant: AADSTS50173: .*\); create a new one \(sign in again with the app\) and store it in the account's secret/);
    expect(tokenRequestsOf(APPS.delegated) - before).toBeLessThanOrEqual(2);
    expectNoSecrets(`${result.stdout}${result.stderr}`, [refreshToken]);
  });
});
