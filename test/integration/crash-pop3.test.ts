/** The crash sweep (crash-sweep.ts) for a maildrop source: POP3 (Dovecot) -> IMAP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef, type AccountSnapshot } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { sweep, WRITE_POINTS } from './crash-sweep.js';
import { imapUrl, migrateUrls, pop3Url } from './migrate-cli.js';

const corpus = buildCorpus({ seed: 22, count: 7, folders: ['INBOX'] });
const ARGS = ['--page-size', '2', '--concurrency', '1'];

let dovecot: DovecotServer;
let redis: RedisServer;
let reference: AccountSnapshot;

const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });
const run = (target: string, env?: Record<string, string>) =>
  migrateUrls(dovecot, pop3Url(dovecot, 'box'), imapUrl(dovecot, target), { redisUrl: redis.url, args: ARGS, ...(env ? { env } : {}) });

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: ['box', 'ref'] }), startRedis()]);
  await loadMessages(account('box'), corpus);
  // POP3 keeps no flags or dates: the pair decides them, so the reference is a run's own result.
  const first = await run('ref');
  expect(first.code, first.stderr).toBe(0);
  reference = await snapshotAccount(account('ref'));
  expect([...reference.values()].flat()).toHaveLength(corpus.length);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy()]);
});

describe('kill -9 at every write point of a POP3 source\'s copy, then resume', () => {
  it.each(WRITE_POINTS)('%s', { timeout: 240_000 }, async (point) => {
    const tried = await sweep(point, reference, {
      run,
      dovecot,
    });
    expect(tried).toBeGreaterThan(2);
  });
});
