/**
 * POP3 -> IMAP through the real CLI: Dovecot's POP3 as the source, Dovecot's IMAP as the
 * target, a private Redis. Every message must arrive once and byte-exact (8-bit bytes and
 * dot-stuffed lines included), with its date from its Received: header; delete mode may
 * only empty the POP box of what the target holds.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageDate } from '../../src/mapping/index.js';
import { bigMessage, buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { countMessages, loadMessages, sha256, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { runCli } from '../support/cli.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { imapUrl, migrateUrls, pop3Url, total, type MigrateOptions, type MigrateRun } from './migrate-cli.js';

let dovecot: DovecotServer;
/** A target that refuses messages over 300 kB (Dovecot answers NO [LIMIT]). */
let limited: DovecotServer;
let redis: RedisServer;
let tmp: string;
let users = 0;

/** 8-bit ISO-8859-1 bytes that are not valid UTF-8, in a header and the body. */
const EIGHT_BIT = Buffer.concat([
  Buffer.from('Received: from mx.example.org by pop.example.net; Tue, 1 Jul 2003 10:52:37 +0200\r\nFrom: a@example.org\r\nSubject: caf'),
  Buffer.from([0xe9]),
  Buffer.from('\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
  Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65, 0x20, 0xe0, 0x20, 0xff, 0x80, 0x0d, 0x0a]),
]);
/** Lines POP3 dot-stuffs on the wire: ".", "..", ".x", "..." (RFC 1939 3). */
const DOT_LINES = Buffer.from([
  'Date: Wed, 2 Jul 2003 08:00:00 +0000', 'From: b@example.org', 'Subject: dots', '',
  '.', '..', '.hidden', '...', 'end', '',
].join('\r\n'));
/** No Received:, no Date:, no Message-ID: stored with the time of the copy. */
const BARE = Buffer.from('From: c@example.org\r\nSubject: bare\r\n\r\nno date at all\r\n');

const corpus = buildCorpus({ seed: 31, count: 30, folders: ['INBOX'] });
const POP_MESSAGES: Buffer[] = [EIGHT_BIT, DOT_LINES, ...corpus.map((m) => m.raw), BARE];

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

async function newUser(): Promise<string> {
  users += 1;
  const name = `p${users}`;
  await dovecot.addUser(name);
  return name;
}

/** A POP box (the INBOX of a Dovecot user) holding `messages`. */
async function popBox(messages: readonly Buffer[]): Promise<string> {
  const user = await newUser();
  const at = new Date('2024-01-01T00:00:00Z');
  await loadMessages(account(user), messages.map((raw): CorpusMessage => ({ folder: 'INBOX', raw, flags: [], internalDate: at })));
  return user;
}

function run(source: string, target: string, options: MigrateOptions = {}): Promise<MigrateRun> {
  return migrateUrls(dovecot, pop3Url(dovecot, source), imapUrl(dovecot, target), { redisUrl: redis.url, ...options });
}

/** SHA-256 of every message in a folder of an account, sorted (a multiset). */
async function hashes(user: string, folder = 'INBOX'): Promise<string[]> {
  return ((await snapshotAccount(account(user))).get(folder) ?? []).map((m) => m.sha256).sort();
}

const expectedHashes = (messages: readonly Buffer[]) => messages.map(sha256).sort();

beforeAll(async () => {
  [dovecot, limited, redis, tmp] = await Promise.all([
    startDovecot(), startDovecot({ users: ['dst'], extraConfig: 'plugin {\n  quota_max_mail_size = 300k\n}\n' }),
    startRedis(), makeTempDir('pop3-migrate'),
  ]);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), limited?.stop(), redis?.destroy(), tmp ? removeTempDir(tmp) : undefined]);
});

describe('mailferry migrate --source pop3://', () => {
  it('copies every message once, byte-exact, unread, dated by Received:/Date:; a re-run copies nothing', async () => {
    const source = await popBox(POP_MESSAGES);
    const target = await newUser();
    const report = path.join(tmp, 'mapping.tsv');
    const before = Date.now();

    const first = await run(source, target, { args: ['--mapping-report', report] });
    expect(first.code, first.stderr).toBe(0);
    expect(total(first, 'copied')).toBe(POP_MESSAGES.length);
    const stored = (await snapshotAccount(account(target))).get('INBOX') ?? [];
    expect(stored.map((m) => m.sha256).sort()).toEqual(expectedHashes(POP_MESSAGES));
    // Flags: none (\Seen off by default). Dates: from the headers, else the time of the copy.
    expect(stored.every((m) => m.flags.length === 0)).toBe(true);
    const dateOf = new Map(stored.map((m) => [m.sha256, new Date(m.internalDate).getTime()]));
    expect(dateOf.get(sha256(EIGHT_BIT))).toBe(Date.parse('2003-07-01T08:52:37Z'));
    expect(dateOf.get(sha256(DOT_LINES))).toBe(Date.parse('2003-07-02T08:00:00Z'));
    expect(dateOf.get(sha256(BARE))).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    for (const m of corpus) expect(dateOf.get(sha256(m.raw))).toBe(messageDate(m.raw, 'received', new Date()).getTime());

    // The mapping report: one line per message, UIDL -> folder and target UID.
    const lines = (await readFile(report, 'utf8')).trim().split('\n').slice(1).map((line) => line.split('\t'));
    expect(lines).toHaveLength(POP_MESSAGES.length);
    expect(new Set(lines.map((l) => l[1])).size).toBe(POP_MESSAGES.length);
    expect(lines.every((l) => l[2] === 'INBOX' && Number(l[3]) > 0)).toBe(true);

    const again = await run(source, target);
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(0);
    expect(await hashes(target)).toEqual(expectedHashes(POP_MESSAGES));
    expect(await countMessages(account(source), 'INBOX')).toBe(POP_MESSAGES.length);
  });

  it('stores into a chosen folder, as read, and picks up a message that arrived since', async () => {
    const source = await popBox(POP_MESSAGES.slice(0, 5));
    const target = await newUser();
    const args = ['--pop3-folder', 'Imported/POP', '--pop3-seen', '--pop3-date', 'date'];
    const first = await run(source, target, { args });
    expect(first.code, first.stderr).toBe(0);
    const stored = (await snapshotAccount(account(target))).get('Imported/POP') ?? [];
    expect(stored).toHaveLength(5);
    expect(stored.every((m) => m.flags.join() === '\\Seen')).toBe(true);
    expect(stored.find((m) => m.sha256 === sha256(EIGHT_BIT))?.internalDate).not.toBe('2003-07-01T08:52:37.000Z');

    await loadMessages(account(source), [{ folder: 'INBOX', raw: BARE, flags: [], internalDate: new Date() }]);
    const second = await run(source, target, { args });
    expect(second.code, second.stderr).toBe(0);
    expect(total(second, 'copied')).toBe(1);
    expect(await hashes(target, 'Imported/POP')).toEqual(expectedHashes([...POP_MESSAGES.slice(0, 5), BARE]));
  });

  it('after the Redis state is lost, a re-run finds every message on the target and copies none', async () => {
    const source = await popBox(POP_MESSAGES.slice(0, 8));
    const target = await newUser();
    const own = await startRedis();
    try {
      expect((await run(source, target, { redisUrl: own.url })).code).toBe(0);
      await own.destroy();
      const fresh = await startRedis();
      try {
        const again = await run(source, target, { redisUrl: fresh.url });
        expect(again.code, again.stderr).toBe(0);
        expect(total(again, 'copied')).toBe(0);
        expect(total(again, 'alreadyThere')).toBe(8);
        expect(await hashes(target)).toEqual(expectedHashes(POP_MESSAGES.slice(0, 8)));
      } finally {
        await fresh.destroy();
      }
    } finally {
      await own.destroy();
    }
  });

  it.each(['after-intents:2', 'after-append:7', 'after-commit:3'])('killed with SIGKILL at %s, resumes without losing or doubling a message', async (point) => {
    const source = await popBox(POP_MESSAGES);
    const target = await newUser();
    const args = ['--page-size', '4'];
    const crashed = await run(source, target, { args, env: { MAILFERRY_CRASH_AT: point } });
    expect(crashed.signal).toBe('SIGKILL');
    const resumed = await run(source, target, { args });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await hashes(target)).toEqual(expectedHashes(POP_MESSAGES));
  });
});

describe('migrate --config with a POP3 account', () => {
  it('takes the pair\'s pop3 block: folder, \\Seen and the date source', async () => {
    const source = await popBox(POP_MESSAGES.slice(0, 4));
    const target = await newUser();
    const file = path.join(tmp, 'pop3.yaml');
    await writeFile(file, [
      `redis: ${redis.url}`,
      'accounts:',
      `  pop: { url: "pop3://${source}@127.0.0.1:${dovecot.pop3Port}", tls: off, password: { env: POP_PASSWORD } }`,
      `  imap: { url: "imap://${target}@127.0.0.1:${dovecot.imapPort}", tls: off, password: { env: IMAP_PASSWORD } }`,
      'pairs:',
      '  carol:',
      '    source: pop',
      '    target: imap',
      '    pop3: { folder: Archive/From POP, markSeen: true, date: now, delete: never }',
      '',
    ].join('\n'));
    const before = Date.now();
    const result = await runCli(['migrate', '--config', file, '--json'], { env: { POP_PASSWORD: dovecot.password, IMAP_PASSWORD: dovecot.password } });
    expect(result.code, result.stderr).toBe(0);
    const stored = (await snapshotAccount(account(target))).get('Archive/From POP') ?? [];
    expect(stored.map((m) => m.sha256).sort()).toEqual(expectedHashes(POP_MESSAGES.slice(0, 4)));
    expect(stored.every((m) => m.flags.join() === '\\Seen' && Date.parse(m.internalDate) >= Math.floor(before / 1000) * 1000)).toBe(true);
  });
});

describe('delete mode', () => {
  it('after-copy empties the POP box of exactly what is on the target', async () => {
    const source = await popBox(POP_MESSAGES);
    const target = await newUser();
    const result = await run(source, target, { args: ['--pop3-delete', 'after-copy'] });
    expect(result.code, result.stderr).toBe(0);
    expect(total(result, 'deletedFromSource')).toBe(POP_MESSAGES.length);
    expect(await countMessages(account(source), 'INBOX')).toBe(0);
    expect(await hashes(target)).toEqual(expectedHashes(POP_MESSAGES));
  });

  it('a kill between DELE and QUIT deletes nothing; the next run deletes without copying again', async () => {
    const source = await popBox(POP_MESSAGES);
    const target = await newUser();
    const args = ['--pop3-delete', 'after-copy'];
    const crashed = await run(source, target, { args, env: { MAILFERRY_CRASH_AT: 'after-dele:1' } });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await countMessages(account(source), 'INBOX')).toBe(POP_MESSAGES.length);
    expect(await hashes(target)).toEqual(expectedHashes(POP_MESSAGES));

    const resumed = await run(source, target, { args });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(total(resumed, 'copied')).toBe(0);
    expect(total(resumed, 'deletedFromSource')).toBe(POP_MESSAGES.length);
    expect(await countMessages(account(source), 'INBOX')).toBe(0);
    expect(await hashes(target)).toEqual(expectedHashes(POP_MESSAGES));
  });

  it('a message the target refuses is quarantined, reported by UIDL, and stays on the POP server', async () => {
    const big = bigMessage(600_000, 9);
    const source = await popBox([EIGHT_BIT, big, DOT_LINES]);
    const result = await migrateUrls(dovecot, pop3Url(dovecot, source), imapUrl(limited, 'dst'), {
      redisUrl: redis.url, json: false, args: ['--pop3-delete', 'after-copy'],
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/Quarantined \(not on the target.*\n\s+INBOX UIDL \S+ \(\d+ bytes\): .*(size|large|LIMIT)/i);
    expect(result.stdout).toMatch(/Deleted from the source server \(copies confirmed on the target\): 2/);
    expect(await hashes(source)).toEqual(expectedHashes([big]));
  });

  it('older-than keeps recent messages on the server', async () => {
    const recent = Buffer.from(`Received: x; ${new Date().toUTCString().replace('GMT', '+0000')}\r\nSubject: new\r\n\r\nfresh\r\n`);
    const source = await popBox([EIGHT_BIT, DOT_LINES, recent]);
    const target = await newUser();
    const result = await run(source, target, { args: ['--pop3-delete', 'older-than:30d'] });
    expect(result.code, result.stderr).toBe(0);
    expect(total(result, 'deletedFromSource')).toBe(2);
    expect(await countMessages(account(source), 'INBOX')).toBe(1);
  });
});

describe('bad input', () => {
  it('a wrong password is one clear error with exit code 3 and no retries', async () => {
    const source = await popBox([BARE]);
    const target = await newUser();
    const result = await run(source, target, { json: false, env: { MAILFERRY_SOURCE_PASSWORD: 'wrong' } });
    expect(result.code).toBe(3);
    // Plaintext: APOP (the greeting offers it); refused, the error also names ?auth=user.
    expect(result.stdout).toMatch(/Run failed: login to p\d+@127\.0\.0\.1:\d+: the server refused APOP.*Set \?auth=user.*check the user name and password/);
    const log = await readFile(path.join(dovecot.dir, 'dovecot.log'), 'utf8');
    const failures = log.split('\n').filter((line) => line.includes('pop3-login') && line.includes(`user=<${source}>`) && /auth failed/i.test(line));
    expect(failures).toHaveLength(1);
  });

  it('refuses a POP3 target and POP3 options for an IMAP source, naming the fix', async () => {
    const asTarget = await migrateUrls(dovecot, imapUrl(dovecot, 'x'), pop3Url(dovecot, 'y'), { redisUrl: redis.url, json: false });
    expect(asTarget.code).toBe(2);
    expect(asTarget.stderr).toMatch(/POP3 can only be a source/);
    const optionForImap = await migrateUrls(dovecot, imapUrl(dovecot, 'x'), imapUrl(dovecot, 'y'), { redisUrl: redis.url, json: false, args: ['--pop3-delete', 'after-copy'] });
    expect(optionForImap.code).toBe(2);
    expect(optionForImap.stderr).toMatch(/--pop3-delete only apply to a POP3 source/);
    const badPolicy = await migrateUrls(dovecot, pop3Url(dovecot, 'x'), imapUrl(dovecot, 'y'), { redisUrl: redis.url, json: false, args: ['--pop3-delete', 'sometimes'] });
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(/"sometimes" is not a deletion policy; use never, after-copy or older-than:DAYSd/);
  });
});
