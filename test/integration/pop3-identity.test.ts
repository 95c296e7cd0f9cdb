/**
 * When a POP3 server's UIDLs cannot be trusted, when the box is large, and when the
 * connection drops: messages are recognised by content instead (and never deleted), a
 * 10,000-message box killed mid-way resumes where it stopped, and a cut connection is
 * retried without losing or doubling a message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { countMessages, sha256, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { fillInbox, smallMessage } from '../support/maildir-fill.js';
import { startPop3Proxy, type Pop3Proxy } from '../support/pop3-proxy.js';
import { startCli } from '../support/cli.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { imapUrl, migrateUrls, pop3Url, total, type MigrateOptions, type MigrateRun } from './migrate-cli.js';

/** Every message gets the same UIDL (the mailbox's UIDVALIDITY): Dovecot's documented way to get duplicates. */
const SAME_UIDL = 'pop3_uidl_format = %v\npop3_uidl_duplicates = allow\n';

let plain: DovecotServer;
let sharedUidl: DovecotServer;
let redis: RedisServer;
let proxy: Pop3Proxy;

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Ten distinct messages and an exact duplicate of the first. */
const BOX = [...range(0, 10).map(smallMessage), smallMessage(0)];

function account(server: DovecotServer, user: string): AccountRef {
  return { port: server.imapPort, user, password: server.password };
}

async function hashes(server: DovecotServer, user: string): Promise<string[]> {
  return ((await snapshotAccount(account(server, user))).get('INBOX') ?? []).map((m) => m.sha256).sort();
}

function run(server: DovecotServer, sourceUrl: string, target: string, options: MigrateOptions = {}): Promise<MigrateRun> {
  return migrateUrls(server, sourceUrl, imapUrl(server, target), { redisUrl: redis.url, timeoutMs: 120_000, ...options });
}

beforeAll(async () => {
  [plain, sharedUidl, redis] = await Promise.all([
    startDovecot({ users: ['nouidl', 'nouidl-dst', 'big', 'big-dst', 'cut', 'cut-dst', 'term', 'term-dst'] }),
    startDovecot({ users: ['dup', 'dup-dst'], extraConfig: SAME_UIDL }),
    startRedis(),
  ]);
  proxy = await startPop3Proxy({ port: plain.pop3Port, noUidl: true });
});

afterAll(async () => {
  await Promise.all([proxy?.close(), plain?.stop(), sharedUidl?.stop(), redis?.destroy()]);
});

describe('untrusted UIDLs', () => {
  it('duplicate UIDLs: every message copied once, re-run copies nothing, a new one is found, none deleted', async () => {
    await fillInbox(sharedUidl, 'dup', BOX);
    const args = ['--pop3-delete', 'after-copy'];
    const first = await run(sharedUidl, pop3Url(sharedUidl, 'dup'), 'dup-dst', { args });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/same UIDL to several messages/);
    expect(await hashes(sharedUidl, 'dup-dst')).toEqual(BOX.map(sha256).sort());
    expect(total(first, 'deletedFromSource')).toBe(0);
    expect(await countMessages(account(sharedUidl, 'dup'), 'INBOX')).toBe(BOX.length);

    await fillInbox(sharedUidl, 'dup', [smallMessage(10)]);
    const second = await run(sharedUidl, pop3Url(sharedUidl, 'dup'), 'dup-dst', { args });
    expect(second.code, second.stderr).toBe(0);
    expect(total(second, 'copied')).toBe(1);
    expect(await hashes(sharedUidl, 'dup-dst')).toEqual([...BOX, smallMessage(10)].map(sha256).sort());
  });

  it('no UIDL at all (the server answers -ERR): recognised by content, never deleted', async () => {
    await fillInbox(plain, 'nouidl', BOX);
    const url = `pop3://nouidl@127.0.0.1:${proxy.port}?tls=off`;
    const args = ['--pop3-delete', 'after-copy'];
    const first = await run(plain, url, 'nouidl-dst', { args });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/gives no UIDL/);
    expect(await hashes(plain, 'nouidl-dst')).toEqual(BOX.map(sha256).sort());
    const again = await run(plain, url, 'nouidl-dst', { args });
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(0);
    expect(await countMessages(account(plain, 'nouidl'), 'INBOX')).toBe(BOX.length);
  });
});

describe('a large POP box', () => {
  it('10,000 messages: killed mid-way, the next run copies only the rest, nothing doubled', async () => {
    const messages = range(0, 10_000).map(smallMessage);
    await fillInbox(plain, 'big', messages);
    const args = ['--page-size', '500'];
    const crashed = await run(plain, pop3Url(plain, 'big'), 'big-dst', { args, env: { MAILFERRY_CRASH_AT: 'after-commit:8' } });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    expect(await countMessages(account(plain, 'big-dst'), 'INBOX')).toBe(4000);

    const resumed = await run(plain, pop3Url(plain, 'big'), 'big-dst', { args });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(total(resumed, 'copied')).toBe(6000);
    expect(await hashes(plain, 'big-dst')).toEqual(messages.map(sha256).sort());
  }, 180_000);
});

/** Resolves once `user`'s INBOX holds at least `count` messages (the run is copying). */
async function whenTargetHas(server: DovecotServer, user: string, count: number): Promise<void> {
  while ((await countMessages(account(server, user), 'INBOX').catch(() => 0)) < count) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('SIGTERM mid-run', () => {
  it('stops at a page boundary with exit 143, deletes nothing, and the same command resumes exactly', async () => {
    const messages = range(0, 2000).map(smallMessage);
    await fillInbox(plain, 'term', messages);
    const args = ['migrate', '--source', pop3Url(plain, 'term'), '--target', imapUrl(plain, 'term-dst'), '--redis', redis.url,
      '--page-size', '100', '--pop3-delete', 'after-copy', '--json'];
    const env = { MAILFERRY_SOURCE_PASSWORD: plain.password, MAILFERRY_TARGET_PASSWORD: plain.password };
    const run = startCli(args, { env, timeoutMs: 120_000 });
    await whenTargetHas(plain, 'term-dst', 300);
    run.child.kill('SIGTERM');
    const stopped = await run.result;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(await countMessages(account(plain, 'term'), 'INBOX')).toBe(messages.length);

    const resumed = await migrateUrls(plain, pop3Url(plain, 'term'), imapUrl(plain, 'term-dst'), {
      redisUrl: redis.url, timeoutMs: 120_000, args: ['--page-size', '100', '--pop3-delete', 'after-copy'],
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(total(resumed, 'copied')).toBeLessThan(messages.length);
    expect(await hashes(plain, 'term-dst')).toEqual(messages.map(sha256).sort());
    expect(await countMessages(account(plain, 'term'), 'INBOX')).toBe(0);
  }, 150_000);
});

describe('a dropped POP3 connection', () => {
  it('mid-run: the folder job is retried in a new session and the target ends up exact', async () => {
    const messages = range(0, 2000).map(smallMessage);
    await fillInbox(plain, 'cut', messages);
    const cutter = await startTcpProxy(plain.pop3Port);
    try {
      const run = startCli([
        'migrate', '--source', `pop3://cut@127.0.0.1:${cutter.port}?tls=off`, '--target', imapUrl(plain, 'cut-dst'),
        '--redis', redis.url, '--page-size', '100', '--json',
      ], { env: { MAILFERRY_SOURCE_PASSWORD: plain.password, MAILFERRY_TARGET_PASSWORD: plain.password }, timeoutMs: 120_000 });
      // Cut once a few pages are on the target, while the rest is still being read.
      await whenTargetHas(plain, 'cut-dst', 300);
      expect(cutter.cutAll()).toBeGreaterThan(0);
      const acceptedAtCut = cutter.accepted;
      const finished = await run.result;
      expect(finished.code, finished.stderr).toBe(0);
      expect(cutter.accepted).toBeGreaterThan(acceptedAtCut);
      expect(await hashes(plain, 'cut-dst')).toEqual(messages.map(sha256).sort());
    } finally {
      await cutter.close();
    }
  }, 150_000);
});
