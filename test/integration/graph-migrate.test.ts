/**
 * Microsoft 365 (the project's Graph test server) -> IMAP (Dovecot) through the real CLI
 * and a private Redis: 520 messages in nested and awkwardly named folders (a "/" inside a
 * name, "&", an emoji, a hidden folder that holds mail), each copied once and byte-exact
 * with its read/flag/category state and receivedDateTime; a re-run copies nothing; a mirror
 * pass follows new, re-flagged and deleted messages; 429s are waited out with no request
 * inside any window and never more than 4 requests in flight; an expired delta token
 * doubles nothing; a 50 MB message arrives whole; certificate credentials work.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryToKeyword } from '../../src/connectors/exchange/category-keywords.js';
import { runCli } from '../support/cli.js';
import { makeClientCertificate } from '../support/certificate.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startGraphServer, type GraphMailbox, type GraphTestServer } from '../support/graph/index.js';
import { sha256, snapshotAccount, type AccountRef, type AccountSnapshot } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { imapUrl, migrateUrls, total, type MigrateOptions, type MigrateRun } from './migrate-cli.js';

const TENANT = '5e0c1d2b-8f3a-4c6e-9b1d-7a2f3e4d5c6b';
const APP = '11111111-2222-3333-4444-555555555555';
const CERT_APP = '22222222-3333-4444-5555-666666666666';
const SECRET = 'graph-app-secret';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((name) => `${name}@contoso.com`);

/** Folder -> how many of the corpus go there; nested, with "/", "&", an emoji, a hidden one. */
const FOLDERS: ReadonlyArray<readonly [readonly string[], number, boolean?]> = [
  [['Inbox'], 200],
  [['Inbox', 'Projects'], 80],
  [['Archive', '2019'], 60],
  [['Clients', 'A/B Corp'], 60],
  [['R&D'], 40],
  [['📁 Fotos'], 40],
  [['Hidden Stuff'], 40, true],
];

let graph: GraphTestServer;
let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
let targets = 0;

interface Planted {
  readonly raw: Buffer;
  readonly flags: string[];
  readonly date: Date;
}

/** Fills a mailbox; returns what each message must look like on the target. */
function fill(box: GraphMailbox, seed: number): Planted[] {
  const count = FOLDERS.reduce((sum, [, n]) => sum + n, 0);
  const corpus = buildCorpus({ seed, count, folders: ['INBOX'] });
  const planted: Planted[] = [];
  let i = 0;
  for (const [path, n, hidden] of FOLDERS) {
    if (path.length > 1 || path[0] !== 'Inbox') box.addFolder(path, hidden ? { hidden: true } : {});
    for (let k = 0; k < n; k++, i++) {
      const raw = corpus[i]!.raw;
      const isRead = i % 2 === 0;
      const flag = i % 5 === 0 ? 'flagged' as const : i % 7 === 0 ? 'complete' as const : 'notFlagged' as const;
      const categories = i % 6 === 0 ? ['Red category'] : i % 11 === 0 ? ['ProjectX', 'Kunde (Ärger)'] : [];
      const date = new Date(Date.UTC(2023, 0, 1) + i * 3_600_000);
      box.addMessage(path, raw, { isRead, flag, categories, receivedDateTime: date });
      planted.push({ raw, flags: expectedFlags(isRead, flag === 'flagged', categories), date });
    }
  }
  box.addFolder(['Empty hidden'], { hidden: true });
  box.addCalendarEvents(3);
  box.addContacts(2);
  box.addTasks(4);
  return planted;
}

function expectedFlags(isRead: boolean, flagged: boolean, categories: readonly string[]): string[] {
  return [...(isRead ? ['\\Seen'] : []), ...(flagged ? ['\\Flagged'] : []), ...categories.map(categoryToKeyword)].sort();
}

/** Every message of the account as "sha256 flags date", sorted: equal lists mean each message once, exact, with its state. */
function prints(snapshot: AccountSnapshot): string[] {
  return [...snapshot.values()].flat().map((m) => `${m.sha256} ${[...m.flags].sort().join(',')} ${m.internalDate}`).sort();
}

function plantedPrints(planted: readonly Planted[]): string[] {
  return planted.map((p) => `${sha256(p.raw)} ${p.flags.join(',')} ${p.date.toISOString()}`).sort();
}

function graphUrl(address: string, extra = ''): string {
  return `graph://${address}?tenant=${TENANT}&client=${APP}&endpoint=${encodeURIComponent(graph.url)}&authority=${encodeURIComponent(graph.authority)}${extra}`;
}

async function imapTarget(): Promise<string> {
  targets += 1;
  const name = `g${targets}`;
  await dovecot.addUser(name);
  return name;
}

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

function run(address: string, target: string, options: MigrateOptions & { url?: string } = {}): Promise<MigrateRun> {
  return migrateUrls(dovecot, options.url ?? graphUrl(address), imapUrl(dovecot, target), {
    redisUrl: redis.url, timeoutMs: 120_000, ...options,
    args: ['--source-ca', graph.caFile, ...(options.args ?? [])],
    env: { MAILFERRY_SOURCE_PASSWORD: SECRET, ...options.env },
  });
}

beforeAll(async () => {
  dir = await makeTempDir('graph-migrate');
  const cert = await makeClientCertificate(dir);
  [graph, dovecot, redis] = await Promise.all([
    startGraphServer({
      tenant: TENANT,
      clients: { [APP]: { secret: SECRET }, [CERT_APP]: { certificatePem: cert.certificatePem } },
      users: USERS.map((mail) => ({ mail })),
    }),
    startDovecot(),
    startRedis(),
  ]);
  await writeFile(`${dir}/app.pem`, `${cert.certificatePem}${cert.privateKeyPem}`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await Promise.all([graph?.stop(), dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('mailferry migrate --source graph://', () => {
  it('copies 520 messages once, byte-exact, with state and dates, from nested and awkward folders; skips the rest with counts; a re-run copies nothing', async () => {
    const planted = fill(graph.mailbox(USERS[0]!), 61);
    const target = await imapTarget();
    const first = await run(USERS[0]!, target);
    expect(first.code, first.stderr).toBe(0);
    const snapshot = await snapshotAccount(account(target));
    expect(prints(snapshot)).toEqual(plantedPrints(planted));
    expect([...snapshot.keys()].sort()).toEqual(expect.arrayContaining(['INBOX', 'INBOX/Projects', 'Archive/2019', 'Clients/A∕B Corp', 'R&D', '📁 Fotos', 'Hidden Stuff']));
    expect([...snapshot.keys()]).not.toContain('Empty hidden');
    expect(snapshot.get('INBOX')).toHaveLength(200);
    const skipped = (first.summary?.runs[0]?.folders ?? []).filter((f) => f.outcome === 'skipped').map((f) => `${f.sourcePath}: ${JSON.stringify(f)}`);
    expect(skipped.join('\n')).toMatch(/Calendar: .*calendar folder with 3 item\(s\): only mail is migrated/);
    expect(skipped.join('\n')).toMatch(/Contacts: .*contacts folder with 2 item\(s\)/);
    expect(skipped.join('\n')).toMatch(/Tasks: .*tasks folder with 4 item\(s\)/);

    // Never more than Graph's 4 requests in flight for the mailbox, and no 429 met.
    expect(graph.maxInFlight(USERS[0]!)).toBeLessThanOrEqual(4);

    const again = await run(USERS[0]!, target);
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(0);
    expect(prints(await snapshotAccount(account(target)))).toEqual(plantedPrints(planted));
  }, 180_000);

  it('waits out 429 and 503 with Retry-After for the whole mailbox: no request inside any window', async () => {
    fill(graph.mailbox(USERS[1]!), 62);
    const target = await imapTarget();
    graph.faults.throttle(2, { retryAfterSeconds: 2, mailbox: USERS[1]! });
    graph.faults.throttle(1, { retryAfterSeconds: 1, status: 503, mailbox: USERS[1]! });
    const started = Date.now();
    const result = await run(USERS[1]!, target, { args: ['--concurrency', '4'] });
    expect(result.code, result.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(graph.throttleWindows.filter((w) => w.mailbox === USERS[1])).not.toHaveLength(0);
    expect(graph.requestsInsideWindows().filter((r) => r.mailbox === USERS[1])).toEqual([]);
    expect(graph.maxInFlight(USERS[1]!)).toBeLessThanOrEqual(4);
    expect([...(await snapshotAccount(account(target))).values()].flat()).toHaveLength(520);
  }, 180_000);

  it('a mirror pass follows new, re-flagged and deleted messages; an expired delta token doubles nothing', async () => {
    const box = graph.mailbox(USERS[2]!);
    fill(box, 63);
    const target = await imapTarget();
    const mirrorOnce = () => runCli(['mirror', '--once', '--json', '--source', graphUrl(USERS[2]!), '--target', imapUrl(dovecot, target), '--source-ca', graph.caFile, '--redis', redis.url], {
      env: { MAILFERRY_SOURCE_PASSWORD: SECRET, MAILFERRY_TARGET_PASSWORD: dovecot.password }, timeoutMs: 120_000,
    });
    const first = await mirrorOnce();
    expect(first.code, first.stderr).toBe(0);

    const inbox = box.messages('Inbox');
    const added = box.addMessage('Inbox', Buffer.from('From: new@contoso.com\r\nSubject: new one\r\nMessage-ID: <new.1@contoso.com>\r\n\r\nhello\r\n'), { isRead: false, receivedDateTime: new Date('2026-12-01T10:00:00Z') });
    box.updateMessage(inbox[1]!.id, { isRead: true, flag: 'flagged', categories: ['Green category'] });
    box.deleteMessage(inbox[2]!.id);
    const second = await mirrorOnce();
    expect(second.code, second.stderr).toBe(0);
    const after = (await snapshotAccount(account(target))).get('INBOX') ?? [];
    expect(after).toHaveLength(200);
    const byHash = (raw: Buffer) => after.filter((m) => m.sha256 === sha256(raw));
    expect(byHash(box.messages('Inbox').find((m) => m.id === added)!.raw)).toHaveLength(1);
    expect([...(byHash(inbox[1]!.raw)[0]?.flags ?? [])].sort()).toEqual(expectedFlags(true, true, ['Green category']));
    expect(byHash(inbox[2]!.raw).length).toBe(inbox.filter((m) => m.raw.equals(inbox[2]!.raw)).length - 1);

    // Every stored delta link now fails with 410 SyncStateNotFound: enumerated again, nothing doubled.
    graph.faults.expireDeltaTokens(USERS[2]!);
    const third = await mirrorOnce();
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/no longer accepts the stored sync state/);
    const snapshot = await snapshotAccount(account(target));
    expect([...snapshot.values()].flat()).toHaveLength(520);
  }, 240_000);

  it('a 50 MB message arrives byte-exact', async () => {
    const box = graph.mailbox(USERS[4]!);
    const body = Buffer.alloc(50 * 1024 * 1024, 'A');
    for (let i = 76; i < body.length; i += 78) body.write('\r\n', i - 2);
    const raw = Buffer.concat([Buffer.from('From: big@contoso.com\r\nSubject: 50 MB\r\nMessage-ID: <big@contoso.com>\r\n\r\n'), body]);
    box.addFolder('Big');
    box.addMessage('Big', raw, { isRead: true });
    const target = await imapTarget();
    const result = await run(USERS[4]!, target, { args: ['--include', 'Big'] });
    expect(result.code, result.stderr).toBe(0);
    expect((await snapshotAccount(account(target))).get('Big')?.map((m) => m.sha256)).toEqual([sha256(raw)]);
  }, 120_000);

  it('certificate credentials (&cert=FILE.pem): no password needed', async () => {
    const box = graph.mailbox(USERS[3]!);
    box.addMessage('Inbox', Buffer.from('From: a@contoso.com\r\nSubject: by certificate\r\n\r\nbody\r\n'), { isRead: true });
    const target = await imapTarget();
    const url = `graph://${USERS[3]}?tenant=${TENANT}&client=${CERT_APP}&endpoint=${encodeURIComponent(graph.url)}&authority=${encodeURIComponent(graph.authority)}&cert=${encodeURIComponent(`${dir}/app.pem`)}`;
    const result = await run(USERS[3]!, target, { url, env: { MAILFERRY_SOURCE_PASSWORD: '' } });
    expect(result.code, result.stderr).toBe(0);
    expect(total(result, 'copied')).toBe(1);
  }, 120_000);

  it('a wrong client secret is one clear error naming the fix, exit 3', async () => {
    const target = await imapTarget();
    const result = await run(USERS[5]!, target, { env: { MAILFERRY_SOURCE_PASSWORD: 'wrong' } });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/refused the client credentials.*check the tenant id, client id and client secret/);
    expect(result.stderr).not.toContain('wrong');
  }, 120_000);
});
