/**
 * Backup into a local Maildir and restore from it, through the real CLI: IMAP (Dovecot)
 * -> maildir:///DIR -> another IMAP account gives back the same bytes, flags, keywords
 * and INTERNALDATEs in every folder; a second backup copies only what is new.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { imapUrl, migrateUrls, total } from './migrate-cli.js';

let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
const corpus = buildCorpus({ seed: 61, count: 40 });

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

beforeAll(async () => {
  [dovecot, redis, dir] = await Promise.all([startDovecot({ users: ['live', 'restored'] }), startRedis(), makeTempDir('maildir-backup')]);
  await loadMessages(account('live'), corpus);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('backup to maildir:/// and restore from it', () => {
  it('restores the same bytes, flags and dates; a second backup copies only the new message', async () => {
    const maildir = `maildir://${path.join(dir, 'live')}`;
    const backup = await migrateUrls(dovecot, imapUrl(dovecot, 'live'), maildir, { redisUrl: redis.url });
    expect(backup.code, backup.stderr).toBe(0);
    expect(total(backup, 'copied')).toBe(corpus.length);

    const restore = await migrateUrls(dovecot, maildir, imapUrl(dovecot, 'restored'), { redisUrl: redis.url });
    expect(restore.code, restore.stderr).toBe(0);
    expect(await snapshotAccount(account('restored'))).toEqual(await snapshotAccount(account('live')));

    await loadMessages(account('live'), [{ ...corpus[0]!, raw: Buffer.from('Subject: later\r\n\r\nnew since the backup\r\n'), flags: ['\\Flagged'] }]);
    const again = await migrateUrls(dovecot, imapUrl(dovecot, 'live'), maildir, { redisUrl: redis.url });
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(1);
  });
});
