/**
 * Rotated refresh tokens survive a restart of `mailferry daemon`: a mirror pair whose IMAP
 * source logs in with `?auth=oauth-refresh` against a real Dovecot (oauth2 passdb, token
 * introspection at the fake token service), the refresh token in a secret file. The token
 * service hands out one-time refresh tokens (a used one is refused from then on, as Entra
 * does for single-page apps) with short-lived access tokens, so the daemon rotates the
 * refresh token a few times; the daemon stops on SIGTERM; the file then holds the newest
 * refresh token in its own format and mode, and the first one is refused by the token
 * service. A second daemon starts from the file, still logs in and copies new mail. Without
 * the write-back the second start would have only a spent token.
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killRunningDaemons, startDaemon, stopDaemon, until, waitStarted, type Daemon } from '../support/daemon.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startTokenService, type FakeTokenService } from '../support/oauth/index.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const TENANT = '2c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const APP = '9a8b7c6d-0000-4000-8000-00000000000a';
const CLIENT_SECRET = 'rotation~client~secret';

let tokens: FakeTokenService;
let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
/** Between the daemon and Dovecot for the source account: drops its connections on demand. */
let proxy: TcpProxy;

const tokenUrl = () => `${tokens.authority}/${TENANT}/oauth2/v2.0/token`;
const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });

function mime(subject: string) {
  const raw = Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@rotation.test>\r\n\r\n${subject}\r\n`);
  return { folder: 'INBOX', raw, flags: ['\\Seen'], internalDate: new Date(Math.floor(Date.now() / 1000 - 3600) * 1000) };
}

/** The token service's own answer to this refresh token, over HTTPS like any client's. */
function redeem(refreshToken: string): Promise<{ status: number; error?: string }> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: APP, client_secret: CLIENT_SECRET, refresh_token: refreshToken }).toString();
  return new Promise((resolve, reject) => {
    const request = https.request(tokenUrl(), { method: 'POST', ca: tokens.ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ...(JSON.parse(text) as { error?: string }) }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const inboxCount = async () => (await snapshotAccount(account('rottgt'))).get('INBOX')?.length ?? 0;
const storedRefreshToken = async (file: string) => (JSON.parse(await readFile(file, 'utf8')) as { refresh_token: string }).refresh_token;
const rotationsSoFar = () => tokens.requests.filter((r) => r.clientId === APP && r.grant === 'refresh_token' && r.status === 200).length;

beforeAll(async () => {
  // Access tokens live 4 s: the daemon renews them after 2 s, at its next login.
  tokens = await startTokenService({ tenants: [TENANT], clients: { [APP]: CLIENT_SECRET }, oneTimeRefreshTokens: true, lifetimeSeconds: 4 });
  [dovecot, redis, dir] = await Promise.all([
    startDovecot({ users: ['rotsrc', 'rottgt'], oauth2: { introspectionUrl: tokens.introspectionUrl } }),
    startRedis(),
    makeTempDir('rotation'),
  ]);
  proxy = await startTcpProxy(dovecot.imapPort);
  await loadMessages(account('rotsrc'), [mime('one'), mime('two'), mime('three')]);
}, 60_000);

afterAll(async () => {
  await killRunningDaemons();
  await Promise.all([proxy?.close(), dovecot?.stop(), redis?.destroy(), tokens?.stop(), dir ? removeTempDir(dir) : undefined]);
});

describe('daemon with a rotating refresh token in a secret file', () => {
  it('keeps the newest refresh token in the file across a SIGTERM and a restart; the first one is spent', async () => {
    const first = tokens.addRefreshToken(APP, 'rotsrc');
    const secrets = join(dir, 'secrets');
    await mkdir(secrets);
    const secretFile = join(secrets, 'rotsrc.json');
    const format = (refreshToken: string) => `{\n  "client_secret": "${CLIENT_SECRET}",\n  "refresh_token": "${refreshToken}"\n}\n`;
    await writeFile(secretFile, format(first));
    await chmod(secretFile, 0o600);
    const config = join(dir, 'rotation.yaml');
    await writeFile(config, `
redis: ${redis.url}
accounts:
  src:
    url: imap://rotsrc@127.0.0.1:${proxy.port}?tls=off&auth=oauth-refresh&client=${APP}&token-url=${encodeURIComponent(tokenUrl())}
    password: { file: ${secretFile} }
    caFile: ${tokens.caFile}
  dst:
    url: imap://rottgt@127.0.0.1:${dovecot.imapPort}?tls=off
    password: { env: MAIL_PASSWORD }
pairs:
  follow:
    source: src
    target: dst
    mode: mirror
    mirror: { watch: [INBOX], pollSeconds: 5 }
`);
    const env = { MAIL_PASSWORD: dovecot.password };
    const secretsIn = (daemon: Daemon) => [first, CLIENT_SECRET, ...tokens.issued.map((t) => t.token)].filter((s) => daemon.stderr().includes(s));

    const daemon = startDaemon(config, { env, timeoutMs: 60_000 });
    await waitStarted(daemon);
    await until(async () => (await inboxCount()) === 3, 20_000, 'the first daemon copies the 3 messages');
    // The server drops the daemon's connections now and then; every login after the first
    // half of a token's 4 s renews it, and every renewal rotates the refresh token.
    await until(() => {
      proxy.cutAll();
      return rotationsSoFar() >= 3;
    }, 30_000, 'three rotations of the refresh token', 1500);
    const stopped = await stopDaemon(daemon);
    expect(stopped.code, stopped.stderr.slice(-3000)).toBe(143);

    const kept = await storedRefreshToken(secretFile);
    expect(kept).not.toBe(first);
    expect(await readFile(secretFile, 'utf8')).toBe(format(kept)); // client_secret, key order, indentation, newline
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    expect(await readdir(secrets)).toEqual(['rotsrc.json']); // no temporary file left
    // The newest token is in the file: the service never answered it, and every older one is spent.
    expect(tokens.refreshTokenState(kept)).toBe('active');
    expect(tokens.refreshTokenState(first)).toBe('spent');
    expect(await redeem(first)).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(daemon.logs.filter((l) => l['level'] === 40 && /refresh token|OAuth/.test(String(l['msg'])))).toEqual([]);
    expect(secretsIn(daemon)).toEqual([]);
    expect(stopped.stderr).not.toContain(kept);

    // A new message while no daemon runs; the next daemon starts from the file.
    await loadMessages(account('rotsrc'), [mime('four')]);
    const restarted = startDaemon(config, { env, timeoutMs: 60_000 });
    await waitStarted(restarted);
    await until(async () => (await inboxCount()) === 4, 20_000, 'the restarted daemon logs in and copies the new message');
    const again = await stopDaemon(restarted);
    expect(again.code, again.stderr.slice(-3000)).toBe(143);
    expect(restarted.logs.filter((l) => Number(l['level']) >= 40 && /refresh token|OAuth|AUTH/.test(String(l['msg'])))).toEqual([]);
    expect(tokens.refreshTokenState(kept)).toBe('spent');
    expect(tokens.refreshTokenState(await storedRefreshToken(secretFile))).toBe('active');
    expect(secretsIn(restarted)).toEqual([]);
    expect(again.stderr).not.toContain(kept);
  }, 90_000);
});
