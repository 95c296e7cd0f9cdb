/**
 * IMAP -> IMAP through the real CLI, a real Dovecot and a real Redis: the target is
 * checked by content (SHA-256 of every message, flags, keywords, INTERNALDATE).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigMessage, buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { migrate, total } from './migrate-cli.js';

let dovecot: DovecotServer;
let redis: RedisServer;
let users = 0;
const corpus = buildCorpus({ seed: 11, count: 48 });

/** A fresh mail user (cheap: Dovecot picks it up at once). */
async function newUser(): Promise<string> {
  users += 1;
  const name = `u${users}`;
  await dovecot.addUser(name);
  return name;
}

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

async function sourceWith(messages: CorpusMessage[]): Promise<string> {
  const user = await newUser();
  await loadMessages(account(user), messages);
  return user;
}

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy()]);
});

describe('mailferry migrate (IMAP -> IMAP)', () => {
  it('copies every message byte-exact with flags, keywords and INTERNALDATE; a re-run copies nothing', async () => {
    const source = await sourceWith(corpus);
    const target = await newUser();

    const first = await migrate(dovecot, source, target, { redisUrl: redis.url });
    expect(first.code, first.stderr).toBe(0);
    expect(total(first, 'copied')).toBe(corpus.length);
    expect(await snapshotAccount(account(target))).toEqual(await snapshotAccount(account(source)));

    const again = await migrate(dovecot, source, target, { redisUrl: redis.url });
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(0);
    expect(await snapshotAccount(account(target))).toEqual(await snapshotAccount(account(source)));

    // Each folder's checkpoint: UIDVALIDITY, last copied UID, UIDNEXT and HIGHESTMODSEQ.
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('mailferry:pair:*:folder:*:ckpt');
      const checkpoints = await Promise.all(keys.map((key) => client.hgetall(key)));
      const inbox = checkpoints.find((c) => c.sourcePath === 'INBOX');
      expect(inbox).toMatchObject({ uidValidity: expect.stringMatching(/^\d+$/), highestModseq: expect.stringMatching(/^\d+$/) });
      expect(Number(inbox?.lastUid)).toBe(Number(inbox?.sourceUidNext) - 1);
    } finally {
      client.disconnect();
    }
  });

  it('copies large messages (streamed from the source) byte-exact, next to small ones', async () => {
    const large = [3_000_000, 5_500_000].map((size, i) => ({
      folder: 'Attachments', raw: bigMessage(size, 40 + i), flags: ['\\Seen'], internalDate: new Date(Date.UTC(2020, i, 2, 3, 4, 5)),
    }));
    const source = await sourceWith([...large, ...corpus.slice(0, 6).map((m) => ({ ...m, folder: 'Attachments' }))]);
    const target = await newUser();
    const run = await migrate(dovecot, source, target, { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(await snapshotAccount(account(target))).toEqual(await snapshotAccount(account(source)));
  });

  it('prints a per-folder summary and says every message is on the target', async () => {
    const source = await sourceWith(corpus.slice(0, 12));
    const target = await newUser();
    const run = await migrate(dovecot, source, target, { redisUrl: redis.url, json: false });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Folder\s+Copied\s+Already there\s+Flags updated\s+Skipped\s+Quarantined/);
    expect(run.stdout).toMatch(/^Total\s+12\s+0\s+0\s+0/m);
    expect(run.stdout).toContain('Done: every selected message is on the target');
  });

  it('after the Redis state is wiped, adds nothing to a target that already holds the mail', async () => {
    const source = await sourceWith(corpus);
    const target = await newUser();
    expect((await migrate(dovecot, source, target, { redisUrl: redis.url })).code).toBe(0);

    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();

    const run = await migrate(dovecot, source, target, { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(total(run, 'copied')).toBe(0);
    expect(total(run, 'alreadyThere')).toBe(corpus.length);
    expect(await snapshotAccount(account(target))).toEqual(await snapshotAccount(account(source)));
  });

  it('on a target pre-filled by another tool, copies only what is missing (duplicates included)', async () => {
    const source = await sourceWith(corpus);
    const target = await newUser();
    // Every other message, including one of each exact-duplicate pair at most.
    await loadMessages(account(target), corpus.filter((_, i) => i % 2 === 0));

    const run = await migrate(dovecot, source, target, { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(total(run, 'alreadyThere')).toBe(Math.ceil(corpus.length / 2));
    expect(total(run, 'copied')).toBe(Math.floor(corpus.length / 2));
    expect(await snapshotAccount(account(target))).toEqual(await snapshotAccount(account(source)));
  });

  it('when a source folder changes UIDVALIDITY, re-matches by content and copies only new mail', async () => {
    const source = await sourceWith(corpus);
    const target = await newUser();
    expect((await migrate(dovecot, source, target, { redisUrl: redis.url })).code).toBe(0);

    await dovecot.doveadm(['mailbox', 'update', '-u', source, '--uid-validity', '4242', 'INBOX']);
    const extra = buildCorpus({ seed: 99, count: 3, folders: ['INBOX'] });
    await loadMessages(account(source), extra);

    const run = await migrate(dovecot, source, target, { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    expect(total(run, 'copied')).toBe(3);
    expect(run.stderr).toContain('re-matching by content');
    expect(await snapshotAccount(account(target))).toEqual(await snapshotAccount(account(source)));
  });
});
