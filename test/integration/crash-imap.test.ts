/** The crash sweep (crash-sweep.ts) for a UID source: IMAP (Dovecot) -> IMAP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef, type AccountSnapshot } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { sweep, WRITE_POINTS } from './crash-sweep.js';
import { migrate } from './migrate-cli.js';

const corpus = buildCorpus({ seed: 21, count: 8, folders: ['INBOX', 'Archive/2024'] });
// Small pages so that a small corpus crosses many checkpoints.
const ARGS = ['--page-size', '2', '--concurrency', '1'];

let dovecot: DovecotServer;
let redis: RedisServer;
let reference: AccountSnapshot;

const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: ['src'] }), startRedis()]);
  await loadMessages(account('src'), corpus);
  reference = await snapshotAccount(account('src'));
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy()]);
});

describe('kill -9 at every write point of an IMAP source\'s copy, then resume', () => {
  it.each(WRITE_POINTS)('%s', { timeout: 240_000 }, async (point) => {
    const tried = await sweep(point, reference, {
      run: (target, env) => migrate(dovecot, 'src', target, { redisUrl: redis.url, args: ARGS, ...(env ? { env } : {}) }),
      dovecot,
    });
    expect(tried).toBeGreaterThan(2);
  });
});
