/**
 * GNU Mailutils 3.15 (imap4d, pop3d; Debian defaults) on either side of a run, with
 * Dovecot on the other: nothing lost, nothing doubled, and its quirks met.
 * - `UID SEARCH UID 1:*` answers nothing although EXISTS says otherwise: the listing is
 *   checked against EXISTS and read with UID FETCH instead (all mail copied, verify agrees).
 * - STATUS fails for an INBOX never opened: the target's INBOX is examined, never created.
 * - CREATE of an existing folder is refused without a response code.
 * - pop3d offers APOP without APOP secrets: the error says to set ?auth=user, which works.
 * - [IN-USE] at POP3 login: the run says what it waits for and until when, then goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../../support/corpus.js';
import { startDovecot, type DovecotServer } from '../../support/dovecot.js';
import { countMessages, loadMessages, snapshotAccount } from '../../support/imap-account.js';
import { holdMaildrop } from '../../support/pop3-holder.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { startMailutils, type MailutilsServer } from '../../support/servers/mailutils.js';
import { accountOn, imapAt, migrateBetween, mirrorOnceBetween, pop3At, startMigrate, totalOf, verifyBetween } from './server-runs.js';

let mailutils: MailutilsServer;
let dovecot: DovecotServer;
let redis: RedisServer;

/** Mailutils folders cannot hold both mail and subfolders (mbox files): parents stay \Noselect. */
const FOLDERS = ['INBOX', 'Archive', 'A & B', 'with space', 'Кириллица/Входящие 2019', 'Lists/dev'];
const corpus = buildCorpus({ seed: 412, count: 150, folders: FOLDERS });
const inInbox = corpus.filter((m) => m.folder === 'INBOX').length;

beforeAll(async () => {
  [mailutils, dovecot, redis] = await Promise.all([
    startMailutils({ users: ['src', 'dst', 'crashdst', 'mirrordst', 'pop', 'popbusy'] }),
    startDovecot({ users: ['src', 'dst', 'popdst', 'popbusydst'] }),
    startRedis(),
  ]);
  // A fresh Mailutils user has no INBOX (spool file) until mail is delivered: APPEND to it
  // answers NO [TRYCREATE]. Its INBOX mail comes as an MTA delivers it; folders by APPEND.
  await mailutils.deliver('src', corpus.filter((m) => m.folder === 'INBOX').map((m) => m.raw));
  // imap4d knows no keywords: APPEND with one answers "NO APPEND Unrecognized flag".
  const systemFlagsOnly = corpus.filter((m) => m.folder !== 'INBOX').map((m) => ({ ...m, flags: m.flags.filter((flag) => flag.startsWith('\\')) }));
  await Promise.all([loadMessages(accountOn(mailutils, 'src'), systemFlagsOnly), loadMessages(accountOn(dovecot, 'src'), corpus)]);
});

afterAll(async () => {
  await Promise.all([mailutils?.stop(), dovecot?.stop(), redis?.destroy()]);
});

describe('Mailutils as the source', () => {
  it('copies every message although its UID SEARCH lists none, and verify agrees', async () => {
    const run = await migrateBetween(mailutils, imapAt(mailutils, 'src'), dovecot, imapAt(dovecot, 'dst'), { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(corpus.length);
    expect(await countMessages(accountOn(dovecot, 'dst'), 'INBOX')).toBe(inInbox);
    expect(run.stderr).toContain('UID SEARCH disagreed with its EXISTS count');

    const verify = await verifyBetween(mailutils, imapAt(mailutils, 'src'), dovecot, imapAt(dovecot, 'dst'));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const again = await migrateBetween(mailutils, imapAt(mailutils, 'src'), dovecot, imapAt(dovecot, 'dst'), { redisUrl: redis.url });
    expect(again.code, again.stderr).toBe(0);
    expect(totalOf(again, 'copied')).toBe(0);
  });
});

describe('Mailutils as the target', () => {
  it('fills a fresh account (INBOX never opened) without CREATE INBOX; the headers it adds are reported, by the run and by verify', async () => {
    const run = await migrateBetween(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'dst'), { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(corpus.length);
    // imap4d stores each message with X-UID (and Status for flags) added to its headers.
    expect(totalOf(run, 'changedByTarget')).toBeGreaterThan(corpus.length / 2);
    expect(JSON.stringify(run.json)).toMatch(/headers added \(X-UID/);
    const verify = await verifyBetween(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'dst'));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^VERIFY changed: folders=\d+ messages=150 missing=0 extra=0 changed=\d+ flags=0 dates=0$/m);
    expect(verify.stdout).toMatch(/^INBOX: all there; changed by the target as it stored them: .*headers added/m);
    const again = await migrateBetween(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'dst'), { redisUrl: redis.url });
    expect(again.code, again.stderr).toBe(0);
    expect(totalOf(again, 'copied')).toBe(0);
  });

  it('after kill -9 mid-run, a resumed run leaves every message once', async () => {
    const killed = await startMigrate(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'crashdst'), {
      redisUrl: redis.url, extraEnv: { MAILFERRY_CRASH_AT: 'after-append:40' },
    }).result;
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await migrateBetween(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'crashdst'), { redisUrl: redis.url });
    expect(resumed.code, resumed.stderr).toBe(0);
    const [source, target] = await Promise.all([snapshotAccount(accountOn(dovecot, 'src')), snapshotAccount(accountOn(mailutils, 'crashdst'))]);
    for (const [folder, messages] of source) expect(target.get(folder)?.length ?? 0, folder).toBe(messages.length);
    const verify = await verifyBetween(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'crashdst'));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});

describe('Mailutils as a mirror target', () => {
  it('a mirror pass leaves every message there once (its added headers reported as changes)', async () => {
    const run = await mirrorOnceBetween(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'mirrordst'), redis.url);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const verify = await verifyBetween(dovecot, imapAt(dovecot, 'src'), mailutils, imapAt(mailutils, 'mirrordst'));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^VERIFY changed: .* missing=0 extra=0 changed=\d+ flags=0 dates=0$/m);
  });
});

describe('Mailutils pop3d as the source', () => {
  it('names ?auth=user when its APOP is refused; with it, copies and deletes every message', async () => {
    await mailutils.deliver('pop', corpus.slice(0, 30).map((m) => m.raw));
    const refused = await migrateBetween(mailutils, pop3At(mailutils, 'pop'), dovecot, imapAt(dovecot, 'popdst'), { redisUrl: redis.url });
    expect(refused.code).toBe(3);
    expect(refused.stdout + refused.stderr).toMatch(/refused APOP.*Set \?auth=user/);

    const url = pop3At(mailutils, 'pop', '&auth=user');
    const verify = await verifyBetween(mailutils, url, dovecot, imapAt(dovecot, 'popdst'));
    expect(verify.code).toBe(1);
    const run = await migrateBetween(mailutils, url, dovecot, imapAt(dovecot, 'popdst'), { redisUrl: redis.url, args: ['--pop3-delete', 'after-copy'] });
    expect(run.code, run.stderr).toBe(0);
    expect(totalOf(run, 'copied')).toBe(30);
    expect(totalOf(run, 'deletedFromSource')).toBe(30);
    expect(await countMessages(accountOn(dovecot, 'popdst'), 'INBOX')).toBe(30);
  });

  it('says what it waits for while another session holds the maildrop ([IN-USE]), then copies', async () => {
    await mailutils.deliver('popbusy', corpus.slice(0, 5).map((m) => m.raw));
    const holder = await holdMaildrop(mailutils.pop3Port, 'popbusy', mailutils.password);
    const started = startMigrate(mailutils, pop3At(mailutils, 'popbusy', '&auth=user'), dovecot, imapAt(dovecot, 'popbusydst'), { redisUrl: redis.url });
    try {
      let stderr = '';
      started.child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
      const deadline = Date.now() + 20_000;
      while (!/waiting until .*another session holds the mailbox/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(stderr).toMatch(/waiting until \d\d:\d\d:\d\d: .*another session holds the mailbox.*\[IN-USE\]/);
      await holder.release();
      const result = await started.result;
      expect(result.code, result.stderr).toBe(0);
      expect(await countMessages(accountOn(dovecot, 'popbusydst'), 'INBOX')).toBe(5);
    } finally {
      // A failed expectation must not leave the run waiting on a server that is about to stop.
      await holder.release();
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
    }
  });
});
