/**
 * IMAP (Dovecot) -> Exchange (the project's EWS test server) through the real CLI: every
 * message becomes an item created from its MIME that is not a draft, with its read /
 * flagged / answered state, keywords as categories and its INTERNALDATE as the received
 * time. Copies made before a crash, or before the Redis state was lost, are found by the
 * marker each item carries, so nothing is doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { loadMessages, sha256 } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { imapUrl, migrateUrls, total, type MigrateOptions, type MigrateRun } from './migrate-cli.js';

const PASSWORD = 'exchange-pw';
let ews: EwsTestServer;
let dovecot: DovecotServer;
let redis: RedisServer;
let users = 0;

const corpus = buildCorpus({ seed: 51, count: 30, folders: ['INBOX', 'Sent', 'Projects/2024'] });
const perFolder = (folder: string) => corpus.filter((m) => m.folder === folder);

async function imapSource(messages: CorpusMessage[] = corpus): Promise<string> {
  users += 1;
  const name = `s${users}`;
  await dovecot.addUser(name);
  await loadMessages({ port: dovecot.imapPort, user: name, password: dovecot.password }, messages);
  return name;
}

function run(source: string, mailbox: string, options: MigrateOptions = {}): Promise<MigrateRun> {
  const target = `ews://${encodeURIComponent(mailbox)}@127.0.0.1:${ews.port}/EWS/Exchange.asmx?tls=off&auth=basic`;
  return migrateUrls(dovecot, imapUrl(dovecot, source), target, {
    redisUrl: redis.url, ...options, env: { MAILFERRY_TARGET_PASSWORD: PASSWORD, ...options.env },
  });
}

/** SHA-256 multiset of a target folder's stored MIME. */
function hashes(mailbox: string, folder: string): string[] {
  return ews.mailbox(mailbox).messages(folder).map((m) => sha256(m.mime)).sort();
}

const expected = (folder: string) => perFolder(folder).map((m) => sha256(m.raw)).sort();

beforeAll(async () => {
  const mailboxes = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`t${i + 1}@example.com`, PASSWORD]));
  [ews, dovecot, redis] = await Promise.all([startEwsServer({ users: mailboxes }), startDovecot(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([ews?.stop(), dovecot?.stop(), redis?.destroy()]);
});

describe('mailferry migrate --target ews://', () => {
  it('creates items from MIME with their state and dates, in the mapped folders; a re-run copies nothing', async () => {
    const source = await imapSource();
    const first = await run(source, 't1@example.com');
    expect(first.code, first.stderr).toBe(0);
    expect(hashes('t1@example.com', 'Inbox')).toEqual(expected('INBOX'));
    expect(hashes('t1@example.com', 'Sent Items')).toEqual(expected('Sent'));
    expect(hashes('t1@example.com', 'Projects/2024')).toEqual(expected('Projects/2024'));

    for (const original of perFolder('INBOX')) {
      const item = ews.mailbox('t1@example.com').messages('Inbox').find((m) => sha256(m.mime) === sha256(original.raw));
      expect(item?.isRead).toBe(original.flags.includes('\\Seen'));
      expect(item?.flag).toBe(original.flags.includes('\\Flagged') ? 'Flagged' : 'NotFlagged');
      expect(item?.received?.getTime()).toBe(original.internalDate.getTime());
      // PR_MESSAGE_FLAGS is set, so no item is a draft unless it was one.
      expect(item?.messageFlags).toBeDefined();
      if (original.flags.includes('Project-X')) expect(item?.categories).toContain('Project-X');
    }

    const again = await run(source, 't1@example.com');
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(0);
    expect(hashes('t1@example.com', 'Inbox')).toEqual(expected('INBOX'));
  });

  it.each(['after-append:5', 'after-intents:1'])('killed with SIGKILL at %s: the marker finds the copies, nothing is doubled', async (point) => {
    const source = await imapSource();
    const mailbox = point.startsWith('after-append') ? 't2@example.com' : 't3@example.com';
    const crashed = await run(source, mailbox, { env: { MAILFERRY_CRASH_AT: point }, args: ['--concurrency', '1'] });
    expect(crashed.signal).toBe('SIGKILL');
    const resumed = await run(source, mailbox);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const [imap, exchange] of [['INBOX', 'Inbox'], ['Sent', 'Sent Items'], ['Projects/2024', 'Projects/2024']] as const) {
      expect(hashes(mailbox, exchange)).toEqual(expected(imap));
    }
  });

  it('after the Redis state is lost, the items already there are found by their markers', async () => {
    const source = await imapSource();
    const own = await startRedis();
    try {
      expect((await run(source, 't4@example.com', { redisUrl: own.url })).code).toBe(0);
    } finally {
      await own.destroy();
    }
    const fresh = await startRedis();
    try {
      const again = await run(source, 't4@example.com', { redisUrl: fresh.url });
      expect(again.code, again.stderr).toBe(0);
      expect(total(again, 'copied')).toBe(0);
      expect(total(again, 'alreadyThere')).toBe(corpus.length);
      expect(hashes('t4@example.com', 'Inbox')).toEqual(expected('INBOX'));
    } finally {
      await fresh.destroy();
    }
  });

  it('an item Exchange refuses is quarantined with its reason; the others of its batch are stored once', async () => {
    const refused = perFolder('INBOX')[3] as CorpusMessage;
    const marker = refused.raw.subarray(0, 200).toString('latin1').match(/Message-ID: (\S+)/)?.[1] ?? refused.raw.subarray(0, 60);
    ews.faults.rejectCreate(marker, 'ErrorMessageSizeExceeded');
    try {
      const source = await imapSource();
      const result = await run(source, 't5@example.com', { json: false });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toMatch(/Quarantined \(not on the target[\s\S]*INBOX UID \d+ .*ErrorMessageSizeExceeded/);
      const others = perFolder('INBOX').filter((m) => m !== refused).map((m) => sha256(m.raw)).sort();
      expect(hashes('t5@example.com', 'Inbox')).toEqual(others);
    } finally {
      ews.faults.clear();
    }
  });
});
