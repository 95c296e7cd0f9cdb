/**
 * Interruptions while a run works: SIGTERM stops at a page boundary and a re-run
 * resumes; Redis killed and restarted, or every mail connection dropped, under a running
 * migration loses nothing and doubles nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { imapUrl, migrate } from './migrate-cli.js';

let dovecot: DovecotServer;
let redis: RedisServer;
const corpus = buildCorpus({ seed: 8, count: 300, folders: ['INBOX', 'Archive'] });
// Small pages and one folder at a time make the run long enough to interrupt.
const SLOW = ['--page-size', '5', '--concurrency', '1'];

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

function startMigrate(target: string) {
  return startCli(['migrate', '--source', imapUrl(dovecot, 'src'), '--target', imapUrl(dovecot, target), '--redis', redis.url, ...SLOW], {
    env: { MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password },
    timeoutMs: 90_000,
  });
}

/** Resolves once the first folder is done: the second one is being copied then (one folder at a time). */
function whenCopying(child: ReturnType<typeof startCli>['child']): Promise<void> {
  return new Promise((resolve) => {
    child.stderr.on('data', (chunk: Buffer | string) => {
      if (String(chunk).includes('"msg":"folder done"')) resolve();
    });
  });
}

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: ['src', 'a', 'b'] }), startRedis({ appendfsync: 'always' })]);
  await loadMessages(account('src'), corpus);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy()]);
});

describe('interrupting a run', () => {
  it('SIGTERM stops at a page boundary with exit code 143; the next run completes the copy', async () => {
    const run = startMigrate('a');
    await whenCopying(run.child);
    run.child.kill('SIGTERM');
    const stopped = await run.result;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toContain('run the same command again to resume');

    const resumed = await migrate(dovecot, 'src', 'a', { redisUrl: redis.url, args: SLOW });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await snapshotAccount(account('a'))).toEqual(await snapshotAccount(account('src')));
  });

  it('Redis killed and restarted mid-run: the run carries on by itself and the target ends up exact', async () => {
    const run = startMigrate('b');
    await whenCopying(run.child);
    await redis.kill9();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await redis.start();
    const finished = await run.result;
    expect(finished.code, finished.stderr).toBe(0);
    expect(await snapshotAccount(account('b'))).toEqual(await snapshotAccount(account('src')));
  });
});

describe('a dropped connection', () => {
  it('mid-run: the run reconnects and carries on, and the target ends up exact with nothing doubled', async () => {
    const proxy = await startTcpProxy(dovecot.imapPort);
    try {
      await dovecot.addUser('c');
      const url = (user: string) => `imap://${user}@127.0.0.1:${proxy.port}?tls=off`;
      // Pages of 2: the second folder takes over a second, so the cut lands while it copies.
      const run = startCli(['migrate', '--source', url('src'), '--target', url('c'), '--redis', redis.url, '--page-size', '2', '--concurrency', '1'], {
        env: { MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password },
        timeoutMs: 90_000,
      });
      await whenCopying(run.child);
      // The second folder is being copied now (one folder at a time, pages of 5).
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(proxy.cutAll()).toBeGreaterThan(0);
      const acceptedAtCut = proxy.accepted;
      const finished = await run.result;
      expect(finished.code, finished.stderr).toBe(0);
      // It logged in again: between commands a session reconnects by itself; a command
      // cut in flight fails the folder job, which is retried from its checkpoint.
      expect(proxy.accepted).toBeGreaterThan(acceptedAtCut);
      expect(await snapshotAccount(account('c'))).toEqual(await snapshotAccount(account('src')));
    } finally {
      await proxy.close();
    }
  });
});
