/**
 * Every byte, NUL bytes included (RFC 3516), through the real CLI: messages stored on the
 * source with a NUL in a header, in a body, and in a `Content-Transfer-Encoding: binary`
 * part (appended as literal8) arrive byte for byte through a migrate, a mirror, and a
 * Maildir backup and its restore; a target without BINARY gets them quarantined with a
 * reason instead of altered; and `verify` tells a NUL turned into 0x80 from the original.
 *
 * "The bytes an account stored" are read here without mailferry: BINARY.PEEK[] where
 * Dovecot's BODY[] shows 0x80 (it would show a NUL so), else BODY.PEEK[] (BINARY[] would
 * decode encoded parts). Dovecot converts a binary part to base64 when it is appended, so
 * that message's stored bytes are the converted ones on every Dovecot account alike.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type RunResult } from '../support/cli.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { RawImap } from '../support/imap-raw.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { imapUrl, migrateUrls } from './migrate-cli.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const MESSAGES = {
  nulInHeader: latin1('Subject: a\x00b\r\nFrom: x@example.org\r\nMessage-ID: <nul-header@example.org>\r\n\r\nplain body\r\n'),
  nulInBody: latin1('Subject: body\r\nFrom: x@example.org\r\nMessage-ID: <nul-body@example.org>\r\n\r\nbody\x00with a NUL\r\n'),
  binaryPart: latin1('Subject: part\r\nMessage-ID: <nul-part@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BB"\r\n\r\n'
    + '--BB\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n'
    + '--BB\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\nab\x00\x01\x02\xffcd\r\n--BB--\r\n'),
  plain: latin1('Subject: plain\r\nMessage-ID: <plain@example.org>\r\n\r\nnothing special\r\n'),
};
const NUL_MESSAGES = 2;

let dovecot: DovecotServer;
let noBinary: DovecotServer;
let redis: RedisServer;
let dir: string;

/** Dovecot 2.3's capabilities without BINARY (set with imap_capability). */
const WITHOUT_BINARY = `protocol imap {\n  imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH LIST-STATUS MOVE STATUS=SIZE LITERAL+\n}\n`;

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const env = () => ({ MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password });

/** The bytes each message of INBOX is stored with, as sorted SHA-256s (a multiset). */
async function storedHashes(server: DovecotServer, user: string): Promise<string[]> {
  const imap = await RawImap.login(server.imapPort, user, server.password);
  try {
    const bodies = await imap.fetchAll('INBOX', 'BODY.PEEK[]');
    const binaries = await imap.fetchAll('INBOX', 'BINARY.PEEK[]');
    return [...bodies].map(([uid, body]) => sha(body.includes(0x80) ? (binaries.get(uid) as Buffer) : body)).sort();
  } finally {
    await imap.logout();
  }
}

/** The messages of a Maildir folder, as sorted SHA-256s of its files. */
async function maildirHashes(folder: string): Promise<string[]> {
  const names = await readdir(path.join(folder, 'cur'));
  return (await Promise.all(names.map(async (name) => sha(await readFile(path.join(folder, 'cur', name)))))).sort();
}

let source: string[];

beforeAll(async () => {
  [dovecot, noBinary, redis, dir] = await Promise.all([
    startDovecot({ users: ['src', 'migrated', 'mirrored', 'restored', 'altered'] }),
    startDovecot({ users: ['old'], extraConfig: WITHOUT_BINARY }),
    startRedis(), makeTempDir('nul-e2e'),
  ]);
  const imap = await RawImap.login(dovecot.imapPort, 'src', dovecot.password);
  for (const raw of Object.values(MESSAGES)) await imap.appendLiteral8('INBOX', raw);
  await imap.logout();
  source = await storedHashes(dovecot, 'src');
  // The NULs are stored: BODY[] alone (what a careless copy reads) would differ from what the source holds.
  expect(source).toContain(sha(MESSAGES.nulInHeader));
  expect(source).toContain(sha(MESSAGES.nulInBody));
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), noBinary?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('messages with NUL bytes', () => {
  it('survive a migrate byte for byte, and verify calls the copy identical', async () => {
    const run = await migrateUrls(dovecot, imapUrl(dovecot, 'src'), imapUrl(dovecot, 'migrated'), { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(await storedHashes(dovecot, 'migrated')).toEqual(source);
    const verify = await runCli(['verify', '--source', imapUrl(dovecot, 'src'), '--target', imapUrl(dovecot, 'migrated')], { env: env() });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('survive a mirror pass byte for byte', async () => {
    const run = await runCli(['mirror', '--once', '--source', imapUrl(dovecot, 'src'), '--target', imapUrl(dovecot, 'mirrored'), '--redis', redis.url], { env: env() });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await storedHashes(dovecot, 'mirrored')).toEqual(source);
  });

  it('survive a Maildir backup (the files hold the exact bytes) and its restore', async () => {
    const archive = path.join(dir, 'archive');
    const backup = await migrateUrls(dovecot, imapUrl(dovecot, 'src'), `maildir://${archive}`, { redisUrl: redis.url });
    expect(backup.code, backup.stderr).toBe(0);
    expect(await maildirHashes(archive)).toEqual(source);
    const restore = await migrateUrls(dovecot, `maildir://${archive}`, imapUrl(dovecot, 'restored'), { redisUrl: redis.url });
    expect(restore.code, restore.stderr).toBe(0);
    expect(await storedHashes(dovecot, 'restored')).toEqual(source);
  });

  it('are quarantined with a reason by a target without BINARY, never stored altered; the rest is copied', async () => {
    const run = await migrateUrls(dovecot, imapUrl(dovecot, 'src'), imapUrl(noBinary, 'old'), { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(1);
    const inbox = run.summary?.runs[0]?.folders.find((f) => f.sourcePath === 'INBOX');
    expect(inbox?.quarantine).toHaveLength(NUL_MESSAGES);
    for (const q of inbox?.quarantine ?? []) expect(q.reason).toMatch(/NUL bytes.*BINARY/);
    expect(inbox?.copied).toBe(Object.keys(MESSAGES).length - NUL_MESSAGES);
    const stored = await storedHashes(noBinary, 'old');
    expect(stored).toHaveLength(Object.keys(MESSAGES).length - NUL_MESSAGES);
    for (const hash of stored) expect(source).toContain(hash);
  });

  it('verify reports a NUL turned into 0x80 as a difference', async () => {
    const imap = await RawImap.login(dovecot.imapPort, 'altered', dovecot.password);
    for (const raw of Object.values(MESSAGES)) {
      const altered = raw === MESSAGES.nulInBody ? Buffer.from(raw.map((byte) => (byte === 0 ? 0x80 : byte))) : raw;
      await imap.appendLiteral8('INBOX', altered);
    }
    await imap.logout();
    const verify: RunResult = await runCli(['verify', '--source', imapUrl(dovecot, 'src'), '--target', imapUrl(dovecot, 'altered'), '--json'], { env: env() });
    expect(verify.code, verify.stdout + verify.stderr).toBe(1);
    const report = JSON.parse(verify.stdout) as { result: string; pairs: Array<{ folders: Array<{ sourcePath: string; missing: number; extra: number }> }> };
    expect(report.result).toBe('differs');
    const inbox = report.pairs[0]?.folders.find((f) => f.sourcePath === 'INBOX');
    expect(inbox).toMatchObject({ missing: 1, extra: 1 });
  });
});
