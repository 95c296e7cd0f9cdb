/**
 * The cut-over pass: an admin migrates the bulk days ahead, then runs `migrate` again at
 * cut-over. That re-run copies the new mail and also brings the flags and keywords of the
 * messages copied earlier up to date (read/unread, flagged, labels), with CONDSTORE's
 * CHANGEDSINCE where the source has it (RFC 7162) and by comparing flags where it has
 * not. It deletes nothing, and the summary counts the flags it updated per folder.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { connectImap, loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { imapUrl, migrateUrls, total, type MigrateRun } from './migrate-cli.js';

const FOLDERS = ['INBOX', 'Archive', 'Lists/dev'];
const ORIGINAL = 120;
const NEW = 50;
const CHANGED = 100;
/** Dovecot 2.3's capabilities without CONDSTORE and QRESYNC: flags must be compared. */
const WITHOUT_CONDSTORE = `protocol imap {\n  imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ESEARCH LIST-STATUS BINARY MOVE STATUS=SIZE LITERAL+\n}\n`;

let redis: RedisServer;
let servers: Record<'condstore' | 'plain', DovecotServer>;
let ews: EwsTestServer;

beforeAll(async () => {
  const [condstore, plain, started, exchange] = await Promise.all([
    startDovecot({ users: ['src', 'dst', 'fromews'] }), startDovecot({ users: ['src', 'dst'], extraConfig: WITHOUT_CONDSTORE }), startRedis(),
    startEwsServer({ users: { 'cutover@example.com': 'exchange-pw' } }),
  ]);
  servers = { condstore, plain };
  redis = started;
  ews = exchange;
});

afterAll(async () => {
  await Promise.all([servers?.condstore.stop(), servers?.plain.stop(), redis?.destroy(), ews?.stop()]);
});

const account = (server: DovecotServer, user: string): AccountRef => ({ port: server.imapPort, user, password: server.password });
const flagsUpdated = (run: MigrateRun) => (run.summary?.runs[0]?.folders ?? []).reduce((sum, f) => sum + ((f as { flagsUpdated?: number }).flagsUpdated ?? 0), 0);

/** Gives `count` messages, spread over the folders, new flags: \Flagged and a keyword toggled, \Seen toggled on every other one. */
async function changeFlags(client: ImapFlow, count: number): Promise<void> {
  let left = count;
  for (const folder of FOLDERS) {
    const lock = await client.getMailboxLock(folder);
    try {
      const share = Math.min(left, Math.ceil(count / FOLDERS.length));
      const messages = (await client.fetchAll('1:*', { uid: true, flags: true })).slice(0, folder === FOLDERS.at(-1) ? left : share);
      for (const [i, message] of messages.entries()) {
        const flags = new Set(message.flags ?? []);
        for (const flag of ['\\Flagged', '$Cutover', ...(i % 2 === 0 ? ['\\Seen'] : [])]) {
          if (flags.has(flag)) flags.delete(flag);
          else flags.add(flag);
        }
        await client.messageFlagsSet(String(message.uid), [...flags], { uid: true });
      }
      left -= messages.length;
    } finally {
      lock.release();
    }
  }
  expect(left).toBe(0);
}

describe.each(['condstore', 'plain'] as const)('migrate again at cut-over (%s source)', (kind) => {
  it(`copies the ${NEW} new messages and brings the flags of the ${CHANGED} changed ones up to date`, async () => {
    const server = servers[kind];
    const run = () => migrateUrls(server, imapUrl(server, 'src'), imapUrl(server, 'dst'), { redisUrl: redis.url });
    await loadMessages(account(server, 'src'), buildCorpus({ seed: 81, count: ORIGINAL, folders: FOLDERS }));
    const bulk = await run();
    expect(bulk.code, bulk.stderr).toBe(0);

    const client = await connectImap(account(server, 'src'));
    try {
      await changeFlags(client, CHANGED);
    } finally {
      await client.logout();
    }
    const later: CorpusMessage[] = buildCorpus({ seed: 82, count: NEW, folders: FOLDERS });
    await loadMessages(account(server, 'src'), later);

    const cutover = await run();
    expect(cutover.code, cutover.stderr).toBe(0);
    expect(total(cutover, 'copied')).toBe(NEW);
    expect(flagsUpdated(cutover)).toBe(CHANGED);
    expect(await snapshotAccount(account(server, 'dst'))).toEqual(await snapshotAccount(account(server, 'src')));

    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(0);
    expect(flagsUpdated(again)).toBe(0);
  });
});

describe('migrate again at cut-over (Exchange source)', () => {
  it('sets the read state of items copied before and changed since', async () => {
    const server = servers.condstore;
    const box = ews.mailbox('cutover@example.com');
    const corpus = buildCorpus({ seed: 83, count: 12, folders: ['INBOX'] });
    const ids = corpus.map((m, i) => box.addMessage('Inbox', m.raw, { isRead: false, received: new Date(Date.UTC(2024, 2, 1 + i)) }));
    const source = `ews://${encodeURIComponent('cutover@example.com')}@127.0.0.1:${ews.port}/EWS/Exchange.asmx?tls=off&auth=basic`;
    const run = () => migrateUrls(server, source, imapUrl(server, 'fromews'), { redisUrl: redis.url, env: { MAILFERRY_SOURCE_PASSWORD: 'exchange-pw' } });
    expect((await run()).code).toBe(0);
    for (const id of ids.slice(0, 5)) box.setRead(id, true);

    const cutover = await run();
    expect(cutover.code, cutover.stderr).toBe(0);
    expect(total(cutover, 'copied')).toBe(0);
    expect(flagsUpdated(cutover)).toBe(5);
    const inbox = (await snapshotAccount(account(server, 'fromews'))).get('INBOX') ?? [];
    expect(inbox.filter((m) => m.flags.includes('\\Seen'))).toHaveLength(5);
  });
});
