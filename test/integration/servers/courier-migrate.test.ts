/**
 * Courier IMAP 5.0 and Courier POP3 with Debian's defaults (INBOX. namespace, "."
 * separator, no UNSELECT, no UIDNEXT in SELECT) on either side of a run, with Dovecot on
 * the other; and POP3 from Courier, which hands out a message with 8-bit headers as a
 * "Cannot display Unicode content" notice unless the client enables UTF8 (RFC 6856).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, type CorpusMessage } from '../../support/corpus.js';
import { startDovecot, type DovecotServer } from '../../support/dovecot.js';
import { countMessages, loadMessages, sha256, snapshotAccount } from '../../support/imap-account.js';
import { startPop3Proxy, type Pop3Proxy } from '../../support/pop3-proxy.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { startCourier, type CourierServer } from '../../support/servers/courier.js';
import { accountOn, imapAt, migrateBetween, mirrorOnceBetween, pop3At, startMigrate, totalOf, verifyBetween } from './server-runs.js';

let courier: CourierServer;
let dovecot: DovecotServer;
let redis: RedisServer;
let proxy: Pop3Proxy | undefined;

const FOLDERS = ['INBOX', 'Кириллица', 'Кириллица/Входящие 2019', 'A & B', 'with space', 'dot.in name', 'Parent/Child', 'INBOX/Receipts'];
const corpus = buildCorpus({ seed: 93, count: 120, folders: FOLDERS });

/** Messages with raw UTF-8 in their headers, for the POP3 maildrop. */
function eightBitHeaders(count: number): CorpusMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    folder: 'INBOX',
    raw: Buffer.from(
      `From: Jürgen Müller <jm${i}@example.org>\r\nTo: team@example.org\r\nSubject: Привет ${i}\r\nMessage-ID: <courier-8bit-${i}@example.org>\r\n` +
        `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nТело ${i}\r\n`,
      'utf8',
    ),
    flags: [],
    internalDate: new Date(Date.UTC(2026, 10, 1, 8, i)),
  }));
}

beforeAll(async () => {
  [courier, dovecot, redis] = await Promise.all([
    startCourier({ users: ['src', 'dst', 'crashdst', 'mirrordst', 'pop', 'popnotice'] }),
    startDovecot({ users: ['src', 'dst', 'popdst', 'noticedst'] }),
    startRedis(),
  ]);
  await loadMessages(accountOn(dovecot, 'src'), corpus);
});

afterAll(async () => {
  await Promise.all([courier?.stop(), dovecot?.stop(), redis?.destroy(), proxy?.close()]);
});

const fromDovecot = (user: string) => migrateBetween(dovecot, imapAt(dovecot, 'src'), courier, imapAt(courier, user), { redisUrl: redis.url });

async function expectIdentical(user: string): Promise<void> {
  const verify = await verifyBetween(dovecot, imapAt(dovecot, 'src'), courier, imapAt(courier, user));
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toMatch(/^VERIFY identical: .* missing=0 extra=0 flags=0 dates=0$/m);
}

describe('Dovecot -> Courier', () => {
  it('copies the tree byte for byte (INBOX children under INBOX.), and a re-run copies nothing', async () => {
    const run = await fromDovecot('dst');
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(corpus.length);
    const targets = Object.fromEntries((run.json?.runs?.[0]?.folders ?? []).map((f) => [f.sourcePath, f.targetPath]));
    expect(targets).toMatchObject({ 'Кириллица/Входящие 2019': 'INBOX.Кириллица.Входящие 2019', 'dot.in name': 'INBOX.dot_in name', 'INBOX/Receipts': 'INBOX.Receipts' });
    await expectIdentical('dst');
    const again = await fromDovecot('dst');
    expect(again.code, again.stderr).toBe(0);
    expect(totalOf(again, 'copied')).toBe(0);
  });

  it('after kill -9 between append and commit, the resumed run doubles nothing', async () => {
    const killed = await startMigrate(dovecot, imapAt(dovecot, 'src'), courier, imapAt(courier, 'crashdst'), {
      redisUrl: redis.url, extraEnv: { MAILFERRY_CRASH_AT: 'after-append:35' },
    }).result;
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await fromDovecot('crashdst');
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectIdentical('crashdst');
  });

  it('a mirror pass leaves the target as the source', async () => {
    const run = await mirrorOnceBetween(dovecot, imapAt(dovecot, 'src'), courier, imapAt(courier, 'mirrordst'), redis.url);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    await expectIdentical('mirrordst');
  });
});

describe('Courier -> Dovecot', () => {
  it('copies what Courier holds, byte for byte', async () => {
    await loadMessages(accountOn(courier, 'src'), corpus.map((m) => ({ ...m, folder: m.folder === 'INBOX' ? 'INBOX' : `INBOX/${m.folder}` })));
    const run = await migrateBetween(courier, imapAt(courier, 'src'), dovecot, imapAt(dovecot, 'dst'), { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(corpus.length);
    const verify = await verifyBetween(courier, imapAt(courier, 'src'), dovecot, imapAt(dovecot, 'dst'));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const [source, target] = await Promise.all([snapshotAccount(accountOn(courier, 'src')), snapshotAccount(accountOn(dovecot, 'dst'))]);
    expect([...target.values()].flat().length).toBe([...source.values()].flat().length);
  });
});

describe('Courier POP3 as the source', () => {
  it('enables UTF8, so messages with 8-bit headers come as they are; copies and deletes them all', async () => {
    const messages = [...eightBitHeaders(6), ...corpus.slice(0, 10).map((m) => ({ ...m, folder: 'INBOX' }))];
    await loadMessages(accountOn(courier, 'pop'), messages);
    const url = pop3At(courier, 'pop');
    const verify = await verifyBetween(courier, url, dovecot, imapAt(dovecot, 'popdst'));
    expect(verify.stdout).toMatch(/missing=16 extra=0/);
    const run = await migrateBetween(courier, url, dovecot, imapAt(dovecot, 'popdst'), { redisUrl: redis.url, args: ['--pop3-delete', 'after-copy'] });
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(16);
    expect(totalOf(run, 'deletedFromSource')).toBe(16);
    const stored = (await snapshotAccount(accountOn(dovecot, 'popdst'))).get('INBOX') ?? [];
    expect(stored.map((m) => m.sha256).sort()).toEqual(messages.map((m) => sha256(m.raw)).sort());
  });

  it('never stores nor deletes a message the server replaced by a notice (a client without UTF8)', async () => {
    const messages = [...eightBitHeaders(3), ...corpus.slice(10, 14).map((m) => ({ ...m, folder: 'INBOX' }))];
    await loadMessages(accountOn(courier, 'popnotice'), messages);
    proxy = await startPop3Proxy({ port: courier.pop3Port as number, noUtf8: true });
    const url = `pop3://popnotice@127.0.0.1:${proxy.port}?tls=off`;
    const run = await migrateBetween(courier, url, dovecot, imapAt(dovecot, 'noticedst'), { redisUrl: redis.url, args: ['--pop3-delete', 'after-copy'] });
    expect(run.code).toBe(1);
    const folder = run.json?.runs?.[0]?.folders[0];
    expect(folder?.copied).toBe(4);
    expect(folder?.deletedFromSource).toBe(4);
    expect(folder?.quarantine.map((q) => q.reason)).toEqual(Array(3).fill(expect.stringMatching(/bytes for message \d+, which it lists as \d+ bytes: not the message itself/)));
    expect(await countMessages(accountOn(dovecot, 'noticedst'), 'INBOX')).toBe(4);
    // The three stay on the server, whole.
    expect(await countMessages(accountOn(courier, 'popnotice'), 'INBOX')).toBe(3);
  });
});
