/**
 * TLS as the URL says it: imaps:// is implicit TLS, imap:// requires STARTTLS, and the
 * server certificate is verified (here against the test CA given with --*-ca).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';

let dovecot: DovecotServer;
let redis: RedisServer;
const corpus = buildCorpus({ seed: 31, count: 10 });

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

function run(source: string, target: string, extra: string[] = []) {
  return runCli(['migrate', '--source', source, '--target', target, '--redis', redis.url, ...extra], {
    env: { MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password },
    timeoutMs: 30_000,
  });
}

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: ['src', 'tls1', 'tls2'] }), startRedis()]);
  await loadMessages(account('src'), corpus);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy()]);
});

describe('TLS', () => {
  it('imaps:// (implicit TLS) and imap:// (STARTTLS) work with the server CA given', async () => {
    const result = await run(
      `imaps://src@127.0.0.1:${dovecot.imapsPort}`,
      `imap://tls1@127.0.0.1:${dovecot.imapPort}`,
      ['--source-ca', dovecot.caFile, '--target-ca', dovecot.caFile],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await snapshotAccount(account('tls1'))).toEqual(await snapshotAccount(account('src')));
  });

  it('an unverifiable certificate stops the run with exit code 3 and says TLS failed', async () => {
    const result = await run(`imaps://src@127.0.0.1:${dovecot.imapsPort}`, `imap://tls2@127.0.0.1:${dovecot.imapPort}?tls=off`);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/Run failed: login to src@127\.0\.0\.1:\d+: TLS failed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  });
});
