/**
 * Cyrus IMAP 3.6 with Debian's defaults (INBOX. namespace, "." separator, munge8bit on,
 * one POP3 login a minute) on either side of a run, with Dovecot on the other.
 * - Folders are made parents first (Cyrus refuses a parent's own CREATE once a child made
 *   it, with "NO Mailbox already exists" and no response code).
 * - munge8bit turns 8-bit header bytes into 'X': the run and verify report those copies
 *   as changed, and recovery (after kill -9, or with the state lost) finds them by
 *   Message-ID, Date and body instead of appending them again.
 * - Names: a source INBOX child goes to INBOX.<name> unless a top-level <name> is there too.
 * - POP3: [LOGIN-DELAY] is waited for, by migrate and by verify, saying so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, type CorpusMessage } from '../../support/corpus.js';
import { startDovecot, type DovecotServer } from '../../support/dovecot.js';
import { countMessages, loadMessages, snapshotAccount } from '../../support/imap-account.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { startCyrus, type CyrusServer } from '../../support/servers/cyrus.js';
import { accountOn, imapAt, migrateBetween, mirrorOnceBetween, pop3At, startMigrate, totalOf, verifyBetween } from './server-runs.js';

let cyrus: CyrusServer;
let dovecot: DovecotServer;
let redis: RedisServer;

const FOLDERS = [
  'INBOX', 'Кириллица', 'Кириллица/Входящие 2019', 'A & B', 'with space', 'dot.in name', 'Parent/Child',
  'INBOX/Receipts', 'INBOX/Bills', 'Bills',
];
/** Raw UTF-8 in headers (as many mailers send): what munge8bit rewrites. */
function eightBitHeaders(count: number): CorpusMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    folder: FOLDERS[i % FOLDERS.length] as string,
    raw: Buffer.from(
      `From: Jürgen Müller <jm${i}@example.org>\r\nTo: team@example.org\r\nSubject: Привет, отчёт ${i}\r\n` +
        `Date: Mon, 7 Dec 2026 10:${String(i % 60).padStart(2, '0')}:00 +0100\r\nMessage-ID: <eight-bit-${i}@example.org>\r\n` +
        `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nТело письма ${i}\r\n`,
      'utf8',
    ),
    flags: i % 2 === 0 ? ['\\Seen'] : [],
    internalDate: new Date(Date.UTC(2026, 11, 7, 9, i % 60)),
  }));
}

const EIGHT_BIT = 24;
const corpus = [...buildCorpus({ seed: 77, count: 160, folders: FOLDERS }), ...eightBitHeaders(EIGHT_BIT)];

beforeAll(async () => {
  [cyrus, dovecot, redis] = await Promise.all([
    startCyrus({ users: ['src', 'dst', 'crashdst', 'mirrordst', 'pop'] }),
    startDovecot({ users: ['src', 'dst', 'popdst'] }),
    startRedis(),
  ]);
  await loadMessages(accountOn(dovecot, 'src'), corpus);
});

afterAll(async () => {
  await Promise.all([cyrus?.stop(), dovecot?.stop(), redis?.destroy()]);
});

const fromDovecot = (user: string, redisUrl = redis.url, args: string[] = []) =>
  migrateBetween(dovecot, imapAt(dovecot, 'src'), cyrus, imapAt(cyrus, user), { redisUrl, args });
const verifyInto = (user: string) => verifyBetween(dovecot, imapAt(dovecot, 'src'), cyrus, imapAt(cyrus, user));

/** Every source folder has as many messages on the target as on the source: nothing lost, nothing doubled. */
async function expectSameCounts(user: string): Promise<void> {
  const verify = await verifyInto(user);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toMatch(/^VERIFY (identical|changed): .* missing=0 extra=0/m);
}

describe('Dovecot -> Cyrus', () => {
  it('creates the tree parents first, names INBOX children as Cyrus users see them, and reports what munge8bit changed', async () => {
    const run = await fromDovecot('dst');
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(corpus.length);
    const targets = new Map((run.json?.runs?.[0]?.folders ?? []).map((f) => [f.sourcePath, f.targetPath]));
    expect(Object.fromEntries(targets)).toMatchObject({
      INBOX: 'INBOX',
      'Кириллица': 'INBOX.Кириллица',
      'Кириллица/Входящие 2019': 'INBOX.Кириллица.Входящие 2019',
      'A & B': 'INBOX.A & B',
      'dot.in name': 'INBOX.dot_in name',
      'Parent/Child': 'INBOX.Parent.Child',
      'INBOX/Receipts': 'INBOX.Receipts',
      'INBOX/Bills': 'INBOX.INBOX.Bills',
      Bills: 'INBOX.Bills',
    });
    expect(totalOf(run, 'changedByTarget')).toBe(EIGHT_BIT);
    expect(JSON.stringify(run.json)).toContain("8-bit bytes in headers replaced by 'X'");

    const verify = await verifyInto('dst');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^VERIFY changed: .* missing=0 extra=0 changed=(\d+) flags=0 dates=0$/m);
    expect(Number(/changed=(\d+)/.exec(verify.stdout)?.[1])).toBe(EIGHT_BIT);
    expect(verify.stdout).toContain("8-bit bytes in headers replaced by 'X'");

    const again = await fromDovecot('dst');
    expect(again.code, again.stderr).toBe(0);
    expect(totalOf(again, 'copied')).toBe(0);
  });

  it('with the state lost, a re-run into the filled target finds every copy, rewritten or not', async () => {
    const freshState = await startRedis();
    try {
      const run = await fromDovecot('dst', freshState.url);
      expect(run.code, run.stderr).toBe(0);
      expect(totalOf(run, 'copied')).toBe(0);
      expect(totalOf(run, 'alreadyThere')).toBe(corpus.length);
      expect(totalOf(run, 'changedByTarget')).toBe(EIGHT_BIT);
    } finally {
      await freshState.destroy();
    }
    await expectSameCounts('dst');
  });

  it('after kill -9 between append and commit, the resumed run doubles nothing', async () => {
    const killed = await startMigrate(dovecot, imapAt(dovecot, 'src'), cyrus, imapAt(cyrus, 'crashdst'), {
      redisUrl: redis.url, extraEnv: { MAILFERRY_CRASH_AT: 'after-append:45' },
    }).result;
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await fromDovecot('crashdst');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(totalOf(resumed, 'copied') + totalOf(resumed, 'alreadyThere')).toBeGreaterThan(0);
    await expectSameCounts('crashdst');
  });

  it('a mirror pass leaves the target as the source', async () => {
    const run = await mirrorOnceBetween(dovecot, imapAt(dovecot, 'src'), cyrus, imapAt(cyrus, 'mirrordst'), redis.url);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    await expectSameCounts('mirrordst');
  });
});

describe('Cyrus -> Dovecot', () => {
  it('copies what Cyrus holds, byte for byte', async () => {
    await loadMessages(accountOn(cyrus, 'src'), corpus.map((m) => ({ ...m, folder: m.folder === 'INBOX' ? 'INBOX' : `INBOX/${m.folder}` })));
    const run = await migrateBetween(cyrus, imapAt(cyrus, 'src'), dovecot, imapAt(dovecot, 'dst'), { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(corpus.length);
    expect(totalOf(run, 'changedByTarget')).toBe(0);
    const verify = await verifyBetween(cyrus, imapAt(cyrus, 'src'), dovecot, imapAt(dovecot, 'dst'));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^VERIFY identical: /m);
    const [source, target] = await Promise.all([snapshotAccount(accountOn(cyrus, 'src')), snapshotAccount(accountOn(dovecot, 'dst'))]);
    expect([...target.values()].flat().length).toBe([...source.values()].flat().length);
  });
});

describe('Cyrus pop3d as the source', () => {
  it('copies and deletes every message; verify right after waits out [LOGIN-DELAY], saying so', async () => {
    await loadMessages(accountOn(cyrus, 'pop'), corpus.slice(0, 20).map((m) => ({ ...m, folder: 'INBOX' })));
    const run = await migrateBetween(cyrus, pop3At(cyrus, 'pop'), dovecot, imapAt(dovecot, 'popdst'), {
      redisUrl: redis.url, args: ['--pop3-delete', 'after-copy'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(20);
    expect(totalOf(run, 'deletedFromSource')).toBe(20);
    expect(await countMessages(accountOn(dovecot, 'popdst'), 'INBOX')).toBe(20);
    // Right after the run's login: verify waits for the next allowed one instead of giving up (exit 3).
    const verify = await verifyBetween(cyrus, pop3At(cyrus, 'pop'), dovecot, imapAt(dovecot, 'popdst'));
    expect(verify.stderr).toMatch(/waiting until \d\d:\d\d:\d\d: .*LOGIN-DELAY/);
    expect(verify.stdout).toMatch(/^VERIFY differs: folders=1 messages=0 missing=0 extra=20 /m);
  }, 240_000);
});
