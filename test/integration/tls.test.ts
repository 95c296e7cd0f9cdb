/**
 * TLS as the URL says it: imaps:// is implicit TLS, imap:// requires STARTTLS, and the
 * server certificate is verified (here against the test CA given with --*-ca).
 */
import net from 'node:net';
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

/**
 * A man in the middle that strips STARTTLS from the server's capabilities: the client
 * must stop with an error, never fall back to sending its password in plaintext.
 */
describe('TLS: a stripped STARTTLS', () => {
  it('stops the run with exit code 3 naming STARTTLS, and no password crosses the wire', async () => {
    const sent: Buffer[] = [];
    const proxy = net.createServer((client) => {
      const upstream = net.connect(dovecot.imapPort, '127.0.0.1');
      upstream.on('data', (data: Buffer) => client.write(data.toString('latin1').replace(/ STARTTLS/g, ''), 'latin1'));
      client.on('data', (data: Buffer) => { sent.push(data); upstream.write(data); });
      const end = () => { client.destroy(); upstream.destroy(); };
      upstream.on('error', end).on('close', end);
      client.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      const result = await run(`imap://src@127.0.0.1:${port}`, `imap://tls2@127.0.0.1:${dovecot.imapPort}?tls=off`, ['--source-ca', dovecot.caFile]);
      expect(result.code, result.stdout + result.stderr).toBe(3);
      expect(result.stdout + result.stderr).toMatch(/STARTTLS/);
      const wire = Buffer.concat(sent).toString('latin1');
      expect(wire).not.toContain(dovecot.password);
      expect(wire).not.toContain(Buffer.from(`\0src\0${dovecot.password}`).toString('base64'));
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
