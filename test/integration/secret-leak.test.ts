/**
 * Secrets never leak: real CLI runs (IMAP -> IMAP migrate, EWS bearer -> IMAP migrate,
 * `mirror --once`, `verify`, and IMAP `?auth=oauth-refresh` migrates whose refresh token
 * rotates: written back to its file, refused by a read-only file, or from an environment
 * variable, each of the last two warned about) at MAILFERRY_LOG_LEVEL=trace, with a
 * distinctive password and access token, then every place they could have ended up is
 * searched for them, for every token and refresh token the token service issued, and for
 * their base64 forms (AUTH PLAIN and XOAUTH2 carry them base64-encoded): the Redis
 * data files after SAVE and BGREWRITEAOF, every key and value in Redis, every stdout and
 * stderr, the report files, and the command lines (argv, what `ps` shows).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type RunResult } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { loadMessages, type AccountRef } from '../support/imap-account.js';
import { startTokenService, type FakeTokenService } from '../support/oauth/index.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { imapUrl } from './migrate-cli.js';

const PASSWORD = `S3cr3t-Leak-Probe-${randomBytes(6).toString('hex')}`;
const TOKEN = `B3arer-Leak-Probe-${randomBytes(9).toString('hex')}`;
const USERS = ['leaksrc', 'leakdst', 'leakmirror', 'leakews', 'leakrotated'] as const;
const ALICE = 'alice@example.com';
const APP = 'leak-probe-app';
/** The delegated app of the refresh token runs, and its client secret. */
const DELEGATED = '4c3b2a19-0000-4000-8000-00000000beef';
const CLIENT_SECRET = `Cl1ent-Leak-Probe-${randomBytes(6).toString('hex')}`;
const TENANT = '8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586';

let dovecot: DovecotServer;
let redis: RedisServer;
let ews: EwsTestServer;
let tokens: FakeTokenService;
let dir: string;
/** Every CLI run: its argv and its output. */
const runs: Array<{ readonly args: readonly string[]; readonly result: RunResult }> = [];

/**
 * Base64 text that appears wherever `secret` is base64-encoded inside a larger buffer, at
 * each of the three byte alignments: only the groups made of the secret's bytes alone.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad, 0x41), bytes]).toString('base64');
    const start = pad === 0 ? 0 : 4;
    const end = Math.floor((pad + bytes.length) / 3) * 4;
    forms.push(encoded.slice(start, end));
  }
  return forms;
}

/** Every string that must never appear: the secrets, their base64 (and base64url) forms, and the SASL blobs themselves. */
function forbidden(): string[] {
  const sasl = [
    ...USERS.map((user) => Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')),
    Buffer.from(`user=${ALICE}\x01auth=Bearer ${TOKEN}\x01\x01`).toString('base64'),
    ...tokens.issued.map((t) => Buffer.from(`user=leaksrc\x01auth=Bearer ${t.token}\x01\x01`).toString('base64')),
  ];
  // The token service's: the client secret, every refresh token, every access token.
  const issued = [CLIENT_SECRET, ...tokens.refreshTokens, ...tokens.issued.map((t) => t.token)];
  const forms = [PASSWORD, TOKEN, ...issued].flatMap((secret) => [secret, ...base64Forms(secret)]);
  return [...new Set([...forms, ...forms.map((f) => f.replace(/\+/g, '-').replace(/\//g, '_')), ...sasl])];
}

function expectClean(where: string, text: string): void {
  for (const secret of forbidden()) {
    if (text.includes(secret)) throw new Error(`${where} contains a secret form ${JSON.stringify(secret)}`);
  }
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const result = await runCli(args, {
    env: { MAILFERRY_LOG_LEVEL: 'trace', MAILFERRY_SOURCE_PASSWORD: PASSWORD, MAILFERRY_TARGET_PASSWORD: PASSWORD, ...env },
    timeoutMs: 90_000,
  });
  runs.push({ args, result });
  return result;
}

/** Gives a test Dovecot user the probe password (its passwd-file, replaced atomically). */
function setPassword(user: string): void {
  const file = join(dovecot.dir, 'users', user);
  const line = readFileSync(file, 'utf8').replace(`{PLAIN}${dovecot.password}`, `{PLAIN}${PASSWORD}`);
  writeFileSync(`${file}.probe`, line, { mode: 0o644 });
  renameSync(`${file}.probe`, file);
}

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const full = join(root, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

beforeAll(async () => {
  tokens = await startTokenService({ tenants: [TENANT], clients: { [DELEGATED]: CLIENT_SECRET } });
  [dovecot, redis] = await Promise.all([startDovecot({ users: [...USERS], oauth2: { introspectionUrl: tokens.introspectionUrl } }), startRedis()]);
  dir = await makeTempDir('secret-leak');
  // Every account gets the probe password before its first login (no cached old one).
  for (const user of USERS) setPassword(user);
  await loadMessages({ port: dovecot.imapPort, user: 'leaksrc', password: PASSWORD } satisfies AccountRef, buildCorpus({ seed: 5, count: 30 }));
  ews = await startEwsServer({
    users: { [ALICE]: 'unused-password' },
    auth: 'oauth',
    verifyBearer: (token) => (token === TOKEN ? { principal: APP } : { error: 'invalid_token', reason: 'unknown token' }),
    impersonation: { [APP]: ['*'] },
  });
  const box = ews.mailbox(ALICE);
  box.addFolder('Inbox/Projects');
  box.addMessage('Inbox', Buffer.from('From: a@example.org\r\nSubject: one\r\nMessage-ID: <one@example.org>\r\n\r\nfirst\r\n'), { isRead: true });
  box.addMessage('Inbox/Projects', Buffer.from('From: a@example.org\r\nSubject: two\r\nMessage-ID: <two@example.org>\r\n\r\nsecond\r\n'));
}, 120_000);

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy(), ews?.stop(), tokens?.stop(), dir ? removeTempDir(dir) : undefined]);
});

describe('secrets stay secret', () => {
  it('runs migrate, an EWS bearer migrate, mirror --once and verify at trace level', async () => {
    const source = imapUrl(dovecot, 'leaksrc');
    const migrated = await cli(['migrate', '--source', source, '--target', imapUrl(dovecot, 'leakdst'), '--redis', redis.url, '--report', join(dir, 'migrate.json')]);
    expect(migrated.code, migrated.stderr.slice(-2000)).toBe(0);
    // Trace level really logs protocol chatter (else this test would prove little).
    expect(migrated.stderr).toMatch(/LOGIN|AUTHENTICATE|"level":10/);

    const ewsUrl = `ews://app@127.0.0.1:${ews.port}/EWS/Exchange.asmx?tls=off&auth=bearer&impersonate=${ALICE}`;
    const fromEws = await cli(['migrate', '--source', ewsUrl, '--target', imapUrl(dovecot, 'leakews'), '--redis', redis.url, '--report', join(dir, 'ews.json')],
      { MAILFERRY_SOURCE_PASSWORD: TOKEN });
    expect(fromEws.code, fromEws.stderr.slice(-2000)).toBe(0);

    const mirrored = await cli(['mirror', '--once', '--source', source, '--target', imapUrl(dovecot, 'leakmirror'), '--redis', redis.url, '--report', join(dir, 'mirror.json')]);
    expect(mirrored.code, mirrored.stderr.slice(-2000)).toBe(0);

    const verified = await cli(['verify', '--source', source, '--target', imapUrl(dovecot, 'leakdst')]);
    expect(verified.code, verified.stderr.slice(-2000)).toBe(0);

    // A refused password and a refused token are logged and reported without the secret too.
    const wrong = await cli(['migrate', '--source', source, '--target', imapUrl(dovecot, 'leakdst'), '--redis', redis.url], { MAILFERRY_SOURCE_PASSWORD: `${PASSWORD}-wrong` });
    expect(wrong.code).toBe(3);
    const badToken = await cli(['migrate', '--source', ewsUrl, '--target', imapUrl(dovecot, 'leakews'), '--redis', redis.url], { MAILFERRY_SOURCE_PASSWORD: `${TOKEN}x` });
    expect(badToken.code).toBe(3);
  }, 240_000);

  it('runs IMAP ?auth=oauth-refresh migrates: the rotated refresh token written back, refused by a read-only file, from a variable', async () => {
    const source = `imap://leaksrc@127.0.0.1:${dovecot.imapPort}?tls=off&auth=oauth-refresh&client=${DELEGATED}`
      + `&token-url=${encodeURIComponent(`${tokens.authority}/${TENANT}/oauth2/v2.0/token`)}`;
    const secretText = () => JSON.stringify({ refresh_token: tokens.addRefreshToken(DELEGATED, 'leaksrc'), client_secret: CLIENT_SECRET });
    const migrateFrom = (secret: string[], env: Record<string, string> = {}) => cli(
      ['migrate', '--source', source, '--source-ca', tokens.caFile, ...secret, '--target', imapUrl(dovecot, 'leakrotated'), '--redis', redis.url], env,
    );

    const writable = join(dir, 'writable.json');
    const first = secretText();
    writeFileSync(writable, first, { mode: 0o600 });
    const written = await migrateFrom(['--source-password-file', writable]);
    expect(written.code, written.stderr.slice(-2000)).toBe(0);
    expect(readFileSync(writable, 'utf8')).not.toBe(first); // rotated and written back

    const readOnly = join(dir, 'read-only.json');
    writeFileSync(readOnly, secretText());
    chmodSync(readOnly, 0o400);
    const refused = await migrateFrom(['--source-password-file', readOnly]);
    expect(refused.code, refused.stderr.slice(-2000)).toBe(0);
    expect(refused.stderr).toContain(`the rotated refresh token was not written back: cannot write ${readOnly}: the file is read-only (mode 0400)`);

    const fromVariable = await migrateFrom([], { MAILFERRY_SOURCE_PASSWORD: secretText() });
    expect(fromVariable.code, fromVariable.stderr.slice(-2000)).toBe(0);
    expect(fromVariable.stderr).toContain('its refresh token comes from the environment variable MAILFERRY_SOURCE_PASSWORD, which mailferry cannot update');
    expect(tokens.refreshTokens.length).toBe(6); // three added, three rotated
  }, 120_000);

  it('the CLI takes no secret on the command line', async () => {
    // A password in the URL is refused, and the refusal does not repeat it.
    const inUrl = await cli(['migrate', '--source', `imap://leaksrc:${PASSWORD}@127.0.0.1:${dovecot.imapPort}?tls=off`, '--target', imapUrl(dovecot, 'leakdst'), '--redis', redis.url]);
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).not.toContain(PASSWORD);
    // No option takes a password or token value: only files and environment variables.
    for (const command of ['migrate', 'mirror', 'verify', 'daemon', 'enqueue', 'worker', 'status']) {
      const help = await runCli([command, '--help'], { timeoutMs: 20_000 });
      expect(help.code).toBe(0);
      const options = [...help.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1] ?? '');
      expect(options.length).toBeGreaterThan(0);
      const secretValued = options.filter((o) => /password|secret|token|credential|pass$/i.test(o) && !o.endsWith('-file'));
      expect(secretValued, command).toEqual([]);
    }
    const guessed = await cli(['migrate', '--source-password', PASSWORD, '--source', imapUrl(dovecot, 'leaksrc'), '--target', imapUrl(dovecot, 'leakdst')]);
    expect(guessed.code).not.toBe(0);
    // Every command line the tests ran (what `ps` would show) other than the refused URL is clean.
    for (const run of runs.filter((r) => r.result !== inUrl && r.result !== guessed)) expectClean(`argv ${run.args.join(' ')}`, run.args.join('\0'));
  }, 120_000);

  it('no stdout, stderr, report, Redis key, value or data file holds a secret', async () => {
    expect(runs.length).toBeGreaterThanOrEqual(6);
    for (const [index, run] of runs.entries()) {
      expectClean(`stdout of run ${index} (${run.args[0]})`, run.result.stdout);
      expectClean(`stderr of run ${index} (${run.args[0]})`, run.result.stderr);
    }
    for (const name of ['migrate.json', 'ews.json', 'mirror.json']) expectClean(name, readFileSync(join(dir, name), 'utf8'));
    expect(tokens.refreshTokens.length).toBeGreaterThan(0); // the refresh token runs are searched for too

    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      let keys = 0;
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'COUNT', 500);
        cursor = next;
        for (const key of batch) {
          keys++;
          expectClean(`key name ${key}`, key);
          const type = await client.type(key);
          let value: unknown;
          if (type === 'string') value = await client.getBuffer(key).then((b) => b?.toString('latin1'));
          else if (type === 'hash') value = await client.hgetall(key);
          else if (type === 'list') value = await client.lrange(key, 0, -1);
          else if (type === 'set') value = await client.smembers(key);
          else if (type === 'zset') value = await client.zrange(key, 0, -1, 'WITHSCORES');
          else if (type === 'stream') value = await client.xrange(key, '-', '+');
          else value = `(unread type ${type})`;
          expectClean(`Redis key ${key} (${type})`, JSON.stringify(value));
        }
      } while (cursor !== '0');
      expect(keys).toBeGreaterThan(10);

      await client.call('SAVE');
      await client.call('BGREWRITEAOF').catch(() => undefined);
      for (let i = 0; i < 100; i++) {
        const info = await client.info('persistence');
        if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client.disconnect();
    }
    const files = filesUnder(redis.dir);
    expect(files.some((f) => f.endsWith('.rdb'))).toBe(true);
    expect(files.some((f) => f.includes('.aof'))).toBe(true);
    for (const file of files) expectClean(`Redis data file ${file}`, readFileSync(file).toString('latin1'));
  }, 120_000);
});
