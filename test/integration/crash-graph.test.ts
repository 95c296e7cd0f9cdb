/** The crash sweep (crash-sweep.ts) for Microsoft Graph (the Graph test server) -> IMAP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { snapshotAccount, type AccountRef, type AccountSnapshot } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { sweep, WRITE_POINTS } from './crash-sweep.js';
import { imapUrl, migrateUrls } from './migrate-cli.js';

const TENANT = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const APP = '44444444-5555-6666-7777-888888888888';
const SECRET = 'graph-crash-secret';
const MAILBOX = 'crash@contoso.com';
const corpus = buildCorpus({ seed: 29, count: 5, folders: ['INBOX'] });
// Only the folders with mail: every other well-known folder would add a commit point of its own.
const ARGS = ['--page-size', '2', '--concurrency', '1', '--include', 'INBOX', '--include', 'INBOX/**'];

let graph: GraphTestServer;
let dovecot: DovecotServer;
let redis: RedisServer;
let reference: AccountSnapshot;

const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });
const source = () => `graph://${MAILBOX}?tenant=${TENANT}&client=${APP}&endpoint=${encodeURIComponent(graph.url)}&authority=${encodeURIComponent(graph.authority)}`;
const run = (target: string, env?: Record<string, string>) =>
  migrateUrls(dovecot, source(), imapUrl(dovecot, target), { redisUrl: redis.url, args: [...ARGS, '--source-ca', graph.caFile], env: { MAILFERRY_SOURCE_PASSWORD: SECRET, ...env } });

beforeAll(async () => {
  [graph, dovecot, redis] = await Promise.all([
    startGraphServer({ tenant: TENANT, clients: { [APP]: { secret: SECRET } }, users: [{ mail: MAILBOX }], maxPageSize: 2 }),
    startDovecot({ users: ['ref'] }),
    startRedis(),
  ]);
  const box = graph.mailbox(MAILBOX);
  box.addFolder('Inbox/Projects');
  corpus.forEach((message, i) => box.addMessage(i % 3 === 0 ? 'Inbox/Projects' : 'Inbox', message.raw, {
    isRead: i % 2 === 0, flag: i % 4 === 0 ? 'flagged' : 'notFlagged', receivedDateTime: new Date(Date.UTC(2024, 1, 1 + i)),
  }));
  const first = await run('ref');
  expect(first.code, first.stderr).toBe(0);
  reference = await snapshotAccount(account('ref'));
  expect([...reference.values()].flat()).toHaveLength(corpus.length);
});

afterAll(async () => {
  await Promise.all([graph?.stop(), dovecot?.stop(), redis?.destroy()]);
});

describe('kill -9 at every write point of a Graph source\'s copy, then resume', () => {
  it.each(WRITE_POINTS)('%s', { timeout: 240_000 }, async (point) => {
    const tried = await sweep(point, reference, { run, dovecot });
    expect(tried).toBeGreaterThan(2);
  });
});
