/**
 * EWS with OAuth 2.0 client credentials, offline: the EWS test server in `auth: 'oauth'`
 * mode accepts only bearer tokens issued by the loopback fake of Entra's token service
 * (test/support/oauth), which msal-node reaches over HTTPS with the fake's self-signed CA.
 *
 * Connector level: every request carries a fresh bearer, a token the server calls expired
 * is replaced once and the request sent again, connectors of one app share one token, and
 * a refused secret is one AUTH_FAILED. CLI level: `mailferry migrate --source
 * 'ews://...?auth=oauth&tenant=...&client=...&authority=https://...' --source-ca CA` copies
 * a small mailbox into Dovecot, and a revoked secret is exit 3 with one clear message.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import { EwsSource, EwsTarget, type EwsAccountOptions } from '../../src/connectors/ews/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { sha256, snapshotAccount } from '../support/imap-account.js';
import { startTokenService, type FakeTokenService } from '../support/oauth/index.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { imapUrl, migrateUrls } from './migrate-cli.js';

const TENANT = '5e0c1d2b-8f3a-4c6e-9b1d-7a2f3e4d5c6b';
/** One app per scenario: token providers are shared per app and secret within a process. */
const APPS = {
  connector: '0a1b2c3d-0000-4000-8000-000000000001',
  expiry: '0a1b2c3d-0000-4000-8000-000000000002',
  refused: '0a1b2c3d-0000-4000-8000-000000000003',
  noRights: '0a1b2c3d-0000-4000-8000-000000000004',
  cli: '0a1b2c3d-0000-4000-8000-000000000005',
  cliRevoked: '0a1b2c3d-0000-4000-8000-000000000006',
} as const;
const SECRET = (app: string) => `secret~for~${app}`;
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let tokens: FakeTokenService;
let ews: EwsTestServer;

function mime(subject: string, body: string): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: alice@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.org>\r\n\r\n${body}\r\n`);
}

function oauthAccount(app: string, extra: Partial<EwsAccountOptions> = {}): EwsAccountOptions {
  return {
    url: ews.url, user: 'app', auth: 'oauth', impersonate: ALICE,
    oauth: { tenant: TENANT, clientId: app, clientSecret: SECRET(app), authority: tokens.authority },
    ca: tokens.ca,
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

const tokenRequestsOf = (app: string) => tokens.requests.filter((r) => r.path.endsWith('/token') && r.clientId === app).length;

beforeAll(async () => {
  tokens = await startTokenService({ tenants: [TENANT], clients: Object.fromEntries(Object.values(APPS).map((app) => [app, SECRET(app)])) });
  const apps = Object.values(APPS).filter((app) => app !== APPS.noRights);
  ews = await startEwsServer({
    users: { [ALICE]: 'unused-password', [BOB]: 'unused-password' },
    auth: 'oauth',
    verifyBearer: (token) => tokens.verify(token),
    impersonation: Object.fromEntries(apps.map((app) => [app, ['*']])),
  });
  const box = ews.mailbox(ALICE);
  box.addFolder('Inbox/Projects');
  box.addMessage('Inbox', mime('one', 'first'), { isRead: true });
  box.addMessage('Inbox', mime('two', 'second'));
  box.addMessage('Inbox/Projects', mime('three', 'third'), { flag: 'Flagged' });
});

afterAll(async () => {
  await Promise.all([ews?.stop(), tokens?.stop()]);
});

describe('EWS connector with OAuth client credentials', () => {
  it('sends a bearer from the token service on every request, as the app impersonating the mailbox', async () => {
    const source = new EwsSource(oauthAccount(APPS.connector));
    const seen = ews.requests.length;
    await source.connect();
    const folders = await source.listFolders();
    expect(folders.map((f) => f.path)).toEqual(expect.arrayContaining(['INBOX', 'INBOX/Projects']));
    const mine = ews.requests.slice(seen);
    expect(mine.length).toBeGreaterThan(2);
    for (const request of mine) expect(request).toMatchObject({ user: APPS.connector, impersonated: ALICE, anchorMailbox: ALICE, status: 200 });
    expect(tokenRequestsOf(APPS.connector)).toBe(1);
    await source.close();
  });

  it('connectors of one app share one token: source and target, 20 calls at once, one token request', async () => {
    const before = tokenRequestsOf(APPS.connector);
    const source = new EwsSource(oauthAccount(APPS.connector, { maxConcurrency: 10 }));
    const target = new EwsTarget(oauthAccount(APPS.connector, { impersonate: BOB }));
    await Promise.all([source.connect(), target.connect()]);
    await Promise.all(Array.from({ length: 20 }, () => source.listFolders()));
    expect(tokenRequestsOf(APPS.connector)).toBe(before); // the first test's token is still good
    await Promise.all([source.close(), target.close()]);
  });

  it('a token the server calls expired is replaced once, and the request goes through', async () => {
    tokens.validForSeconds = 1; // the client is told 3600 s, Exchange sees it expire after 1 s
    try {
      const source = new EwsSource(oauthAccount(APPS.expiry, { maxConcurrency: 8 }));
      await source.connect();
      expect(tokenRequestsOf(APPS.expiry)).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      tokens.validForSeconds = undefined;
      const seen = ews.requests.length;
      // Eight requests hit the expired token at once: one refresh for all of them.
      const results = await Promise.all(Array.from({ length: 8 }, () => source.syncItems('INBOX', null, 10)));
      expect(results.every((r) => r.items.length === 2)).toBe(true);
      expect(tokenRequestsOf(APPS.expiry)).toBe(2);
      const statuses = ews.requests.slice(seen).map((r) => r.status);
      // Each request that met the expired token was refused once and then answered.
      const refused = statuses.filter((s) => s === 401).length;
      expect(refused).toBeGreaterThan(0);
      expect(statuses.slice(0, refused).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(refused).every((s) => s === 200)).toBe(true);
      await source.close();
    } finally {
      tokens.validForSeconds = undefined;
    }
  });

  it('a refused secret: AUTH_FAILED naming the fix, without a token request per call', async () => {
    tokens.revoke(APPS.refused);
    try {
      const source = new EwsSource(oauthAccount(APPS.refused));
      const error = await rejection(source.connect());
      expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
      expect(error.message).toMatch(/^log in on app@127\.0\.0\.1:\d+ for alice@example\.com: OAuth token for client \S+ of tenant \S+ at https:\/\/127\.0\.0\.1:\d+: the token service refused the client credentials \(invalid_client: AADSTS7000222: .*\); check the tenant id, client id and client secret$/);
      await Promise.all(Array.from({ length: 5 }, () => rejection(source.listFolders())));
      expect(tokenRequestsOf(APPS.refused)).toBe(1);
      expect(inspect(error, { depth: 20, showHidden: true })).not.toContain(SECRET(APPS.refused));
    } finally {
      tokens.restore(APPS.refused);
    }
  });

  it('an app Exchange does not let act on the mailbox: AUTH_FAILED about impersonation rights', async () => {
    const error = await rejection(new EwsSource(oauthAccount(APPS.noRights)).connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', retry: 'never' });
    expect(error.message).toMatch(/access to alice@example\.com denied .*full_access_as_app/);
  });

  it('a token authority whose certificate is not trusted: TLS_FAILED naming the CA file', async () => {
    const { ca: _ca, ...untrusting } = oauthAccount(APPS.connector);
    const error = await rejection(new EwsSource({ ...untrusting, oauth: { ...untrusting.oauth!, clientSecret: 'another-secret-so-another-provider' } }).connect());
    expect(error).toMatchObject({ code: 'TLS_FAILED', retry: 'never' });
    expect(error.message).toMatch(/TLS to 127\.0\.0\.1:\d+ failed \(DEPTH_ZERO_SELF_SIGNED_CERT\); check the authority URL, and the CA file/);
  });
});

describe('mailferry migrate --source ews://...?auth=oauth', () => {
  let dovecot: DovecotServer;
  let redis: RedisServer;

  beforeAll(async () => {
    [dovecot, redis] = await Promise.all([startDovecot({ users: ['oauth1', 'oauth2'] }), startRedis()]);
  });

  afterAll(async () => {
    await Promise.all([dovecot?.stop(), redis?.destroy()]);
  });

  const sourceUrl = (app: string) =>
    `ews://app@127.0.0.1:${ews.port}/EWS/Exchange.asmx?tls=off&auth=oauth&tenant=${TENANT}&client=${app}` +
    `&impersonate=${encodeURIComponent(ALICE)}&authority=${encodeURIComponent(tokens.authority)}`;

  const run = (app: string, target: string, json = true) => migrateUrls(dovecot, sourceUrl(app), imapUrl(dovecot, target), {
    redisUrl: redis.url, json, args: ['--source-ca', tokens.caFile], env: { MAILFERRY_SOURCE_PASSWORD: SECRET(app) },
  });

  it('copies the mailbox with app-only tokens; the authority is trusted through --source-ca', async () => {
    const result = await run(APPS.cli, 'oauth1');
    expect(result.code, result.stderr).toBe(0);
    const snapshot = await snapshotAccount({ port: dovecot.imapPort, user: 'oauth1', password: dovecot.password });
    expect((snapshot.get('INBOX') ?? []).map((m) => m.sha256).sort()).toEqual([mime('one', 'first'), mime('two', 'second')].map(sha256).sort());
    expect((snapshot.get('INBOX/Projects') ?? []).map((m) => m.sha256)).toEqual([sha256(mime('three', 'third'))]);
    expect((snapshot.get('INBOX') ?? []).find((m) => m.sha256 === sha256(mime('one', 'first')))?.flags).toContain('\\Seen');
    // One token for the whole run (one process, one app).
    expect(tokenRequestsOf(APPS.cli)).toBe(1);
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET(APPS.cli));
    for (const issued of tokens.issued.filter((t) => t.clientId === APPS.cli)) expect(`${result.stdout}${result.stderr}`).not.toContain(issued.token);
  });

  it('a revoked secret is exit 3 with one clear message and one token request', async () => {
    tokens.revoke(APPS.cliRevoked);
    try {
      const result = await run(APPS.cliRevoked, 'oauth2', false);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(3);
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.stdout).toMatch(/^Run failed: log in on app@127\.0\.0\.1:\d+ for alice@example\.com: OAuth token for client \S+ of tenant \S+ at https:\/\/127\.0\.0\.1:\d+: the token service refused the client credentials \(invalid_client: AADSTS7000222: .*\); check the tenant id, client id and client secret$/m);
      expect(result.stdout.match(/check the tenant id, client id and client secret/g)).toHaveLength(1);
      // The log (stderr, pino) has the details; the authority was asked once, not once per connector or retry.
      expect(result.stderr.match(/"msg":"OAuth token request refused"/g)).toHaveLength(1);
      expect(tokenRequestsOf(APPS.cliRevoked)).toBe(1);
      expect(output).not.toContain(SECRET(APPS.cliRevoked));
    } finally {
      tokens.restore(APPS.cliRevoked);
    }
  });
});
