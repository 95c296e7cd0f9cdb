/**
 * The crash test, in the style of mbsync's run-tests.pl: kill the migration with SIGKILL
 * at every state transition in turn (write-ahead intents written, a message appended,
 * a page committed), resume, and check the target equals an uninterrupted run: every
 * message present exactly once, byte-exact, with its flags and date.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef, type AccountSnapshot } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { migrate } from './migrate-cli.js';

const corpus = buildCorpus({ seed: 21, count: 14, folders: ['INBOX', 'Archive/2024'] });
// Small pages so that a 14-message corpus crosses many checkpoints.
const ARGS = ['--page-size', '2', '--concurrency', '1'];

let dovecot: DovecotServer;
let redis: RedisServer;
let reference: AccountSnapshot;
let targets = 0;

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: ['src', 'ref'] }), startRedis()]);
  await loadMessages(account('src'), corpus);
  const run = await migrate(dovecot, 'src', 'ref', { redisUrl: redis.url, args: ARGS });
  expect(run.code, run.stderr).toBe(0);
  reference = await snapshotAccount(account('ref'));
  expect(reference).toEqual(await snapshotAccount(account('src')));
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy()]);
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
// Pages of 2 messages per folder: every page is one intents write and one commit.
const perFolder = new Map<string, number>();
for (const message of corpus) perFolder.set(message.folder, (perFolder.get(message.folder) ?? 0) + 1);
const PAGES = [...perFolder.values()].reduce((sum, n) => sum + Math.ceil(n / 2), 0);
const points = [
  ...range(corpus.length).map((n) => `after-append:${n}`),
  ...range(PAGES).map((n) => `after-intents:${n}`),
  ...range(PAGES).map((n) => `after-commit:${n}`),
];

describe('kill -9 at every crash point, then resume', () => {
  it.each(points)('%s', async (point) => {
    targets += 1;
    const target = `t${targets}`;
    await dovecot.addUser(target);

    const crashed = await migrate(dovecot, 'src', target, { redisUrl: redis.url, args: ARGS, env: { MAILFERRY_CRASH_AT: point } });
    expect(crashed.signal, `${point} should have killed the run\n${crashed.stderr}`).toBe('SIGKILL');

    const resumed = await migrate(dovecot, 'src', target, { redisUrl: redis.url, args: ARGS });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await snapshotAccount(account(target))).toEqual(reference);

    const again = await migrate(dovecot, 'src', target, { redisUrl: redis.url, args: ARGS });
    expect(again.summary?.runs[0]?.folders.reduce((sum, f) => sum + f.copied, 0)).toBe(0);
  });
});
