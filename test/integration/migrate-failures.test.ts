/**
 * What a user sees when something is wrong: a refused message is quarantined with the
 * server's reason while the run goes on; bad credentials and bad input stop at once
 * with one clear message and a documented exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { bigMessage, buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { countMessages, loadMessages, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { imapUrl, migrate, total } from './migrate-cli.js';

let dovecot: DovecotServer;
/** A target that refuses big messages. */
let limited: DovecotServer;
let redis: RedisServer;

// Messages over 300 kB are refused on APPEND: Dovecot answers NO [LIMIT].
const LIMIT_CONFIG = 'plugin {\n  quota_max_mail_size = 300k\n}\n';

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

beforeAll(async () => {
  [dovecot, limited, redis] = await Promise.all([
    startDovecot({ users: ['src', 'dst2', 'dst3'] }),
    startDovecot({ users: ['dst'], extraConfig: LIMIT_CONFIG }),
    startRedis(),
  ]);
  const small = buildCorpus({ seed: 5, count: 10, folders: ['INBOX'] });
  const big = { folder: 'INBOX', raw: bigMessage(600_000, 3), flags: ['\\Seen'], internalDate: new Date('2021-03-04T05:06:07Z') };
  await loadMessages(account('src'), [...small.slice(0, 5), big, ...small.slice(5)]);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), limited?.stop(), redis?.destroy()]);
});

describe('a message the target refuses', () => {
  it('is quarantined with the server reason, the rest is copied, and the exit code is 1', async () => {
    const run = await migrate(dovecot, 'src', 'dst', { redisUrl: redis.url, json: false, targetServer: limited });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^INBOX\s+10\s+0\s+0\s+0\s+1\s+ok/m);
    expect(run.stdout).toMatch(/Quarantined \(not on the target.*\n\s+INBOX UID 6 \(\d+ bytes\): .*(size|large|LIMIT)/i);
    expect(run.stdout).toContain('Incomplete: 1 message(s) quarantined');
    expect(await countMessages({ ...account('dst'), port: limited.imapPort }, 'INBOX')).toBe(10);
  });

  it('stays quarantined (and the exit code stays 1) on a re-run until it gets across', async () => {
    const run = await migrate(dovecot, 'src', 'dst', { redisUrl: redis.url, targetServer: limited });
    expect(run.code).toBe(1);
    expect(total(run, 'copied')).toBe(0);
    expect(run.summary?.runs[0]?.folders[0]?.quarantine).toHaveLength(1);
    expect(await countMessages({ ...account('dst'), port: limited.imapPort }, 'INBOX')).toBe(10);
  });
});

describe('bad credentials', () => {
  it('fail fast with one clear message and exit code 3, without retrying', async () => {
    const started = Date.now();
    const run = await migrate(dovecot, 'src', 'dst2', { redisUrl: redis.url, json: false, env: { MAILFERRY_TARGET_PASSWORD: 'wrong' } });
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/Run failed: login to dst2@127\.0\.0\.1:\d+: authentication failed .*check the user name and password/);
    // Retries would take 2+4+8+16 s of backoff.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.stderr.match(/authentication failed/g)?.length ?? 0).toBeLessThanOrEqual(2);
  });
});

describe('bad input', () => {
  const base = () => ['migrate', '--source', imapUrl(dovecot, 'src'), '--target', imapUrl(dovecot, 'dst3'), '--redis', redis.url];

  it.each([
    ['a missing password variable', [], { MAILFERRY_SOURCE_PASSWORD: '' }, /MAILFERRY_SOURCE_PASSWORD is not set/],
    ['a password in the URL', ['--source', 'imaps://alice:secret@example.com'], {}, /do not put the password in the URL/],
    ['an unknown scheme', ['--target', 'pop4://bob@example.com'], {}, /unsupported scheme "pop4:"/],
    ['a missing password file', ['--source-password-file', '/nonexistent/pw'], {}, /cannot read password file \/nonexistent\/pw/],
    ['no source at all', ['--source', ''], {}, /give --source URL and --target URL/],
  ])('%s exits 2 naming what to fix', async (_name, extra, env, message) => {
    const args = [...base(), ...extra];
    const run = await runCli(args, { env: { MAILFERRY_SOURCE_PASSWORD: 'x', MAILFERRY_TARGET_PASSWORD: 'x', ...env }, timeoutMs: 20_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('a Redis that may evict keys is refused', async () => {
    const evicting = await startRedis({ maxmemoryPolicy: 'allkeys-lru' });
    try {
      const run = await migrate(dovecot, 'src', 'dst3', { redisUrl: evicting.url });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/maxmemory-policy is "allkeys-lru", but mailferry needs "noeviction"/);
    } finally {
      await evicting.destroy();
    }
  });
});
