/** The crash sweep (crash-sweep.ts) for an item-sync source: Exchange (the EWS test server) -> IMAP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { snapshotAccount, type AccountRef, type AccountSnapshot } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { sweep, WRITE_POINTS } from './crash-sweep.js';
import { imapUrl, migrateUrls } from './migrate-cli.js';

const PASSWORD = 'exchange-pw';
const ADDRESS = 'crash@example.com';
const corpus = buildCorpus({ seed: 23, count: 7, folders: ['INBOX'] });
// Only the folders with mail: every other well-known folder would add a commit point of its own.
const ARGS = ['--page-size', '2', '--concurrency', '1', '--include', 'INBOX', '--include', 'INBOX/**'];

let ews: EwsTestServer;
let dovecot: DovecotServer;
let redis: RedisServer;
let reference: AccountSnapshot;

const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });
const source = () => `ews://${encodeURIComponent(ADDRESS)}@127.0.0.1:${ews.port}/EWS/Exchange.asmx?tls=off&auth=basic`;
const run = (target: string, env?: Record<string, string>) =>
  migrateUrls(dovecot, source(), imapUrl(dovecot, target), { redisUrl: redis.url, args: ARGS, env: { MAILFERRY_SOURCE_PASSWORD: PASSWORD, ...env } });

beforeAll(async () => {
  [ews, dovecot, redis] = await Promise.all([startEwsServer({ users: { [ADDRESS]: PASSWORD }, maxSyncChanges: 3 }), startDovecot({ users: ['ref'] }), startRedis()]);
  const box = ews.mailbox(ADDRESS);
  box.addFolder('Inbox/Projects');
  corpus.forEach((message, i) => box.addMessage(i % 3 === 0 ? 'Inbox/Projects' : 'Inbox', message.raw, {
    isRead: i % 2 === 0, ...(i % 4 === 0 ? { flag: 'Flagged' as const } : {}), received: new Date(Date.UTC(2024, 1, 1 + i)),
  }));
  const first = await run('ref');
  expect(first.code, first.stderr).toBe(0);
  reference = await snapshotAccount(account('ref'));
  expect([...reference.values()].flat()).toHaveLength(corpus.length);
});

afterAll(async () => {
  await Promise.all([ews?.stop(), dovecot?.stop(), redis?.destroy()]);
});

describe('kill -9 at every write point of an Exchange source\'s copy, then resume', () => {
  it.each(WRITE_POINTS)('%s', { timeout: 240_000 }, async (point) => {
    const tried = await sweep(point, reference, {
      run,
      dovecot,
    });
    expect(tried).toBeGreaterThan(2);
  });
});
