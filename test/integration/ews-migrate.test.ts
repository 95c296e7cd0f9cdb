/**
 * Exchange (the project's EWS test server) -> IMAP (Dovecot) through the real CLI and a
 * private Redis: mail folders with read / flagged / answered / forwarded state,
 * categories as keywords, DateTimeReceived as INTERNALDATE; calendars reported as
 * skipped; re-runs, throttling, a rejected sync state and kill -9 double nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { sha256, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { imapUrl, migrateUrls, total, type MigrateOptions, type MigrateRun } from './migrate-cli.js';

const PASSWORD = 'exchange-pw';
let ews: EwsTestServer;
let dovecot: DovecotServer;
let redis: RedisServer;
let mailboxes = 0;
let targets = 0;

/** Latin-1 8-bit body: Exchange's MimeContent is base64 on the wire, decoded to these exact bytes. */
const EIGHT_BIT = Buffer.concat([
  Buffer.from('From: a@example.org\r\nSubject: caf'), Buffer.from([0xe9]),
  Buffer.from('\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
  Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65, 0x0d, 0x0a]),
]);
const corpus = buildCorpus({ seed: 41, count: 24, folders: ['INBOX'] }).map((m) => m.raw);
const RECEIVED = new Date('2024-05-06T07:08:09Z');

interface Fixture {
  readonly address: string;
  readonly user: string;
}

/** A fresh Exchange mailbox: Inbox (27 messages, one with every kind of state), Inbox/Projects, Sent Items, a Calendar. */
function exchangeMailbox(): Fixture {
  mailboxes += 1;
  const address = `user${mailboxes}@example.com`;
  const box = ews.mailbox(address);
  box.addMessage('Inbox', EIGHT_BIT, { isRead: true, flag: 'Flagged', categories: ['Red category', 'Projekt Ü'], lastVerbExecuted: 102, received: RECEIVED });
  corpus.forEach((raw, i) => box.addMessage('Inbox', raw, { isRead: i % 2 === 0, received: new Date(Date.UTC(2023, 0, 1 + i)) }));
  box.addMessage('Inbox', corpus[0] as Buffer, { lastVerbExecuted: 104, received: RECEIVED });
  box.addFolder('Inbox/Projects');
  box.addMessage('Inbox/Projects', corpus[1] as Buffer, { received: RECEIVED });
  box.addMessage('Sent Items', corpus[2] as Buffer, { isRead: true, received: RECEIVED });
  for (const subject of ['Standup', 'Review', 'Offsite']) box.addItem('Calendar', 'IPM.Appointment', subject);
  return { address, user: address };
}

async function imapTarget(): Promise<string> {
  targets += 1;
  const name = `x${targets}`;
  await dovecot.addUser(name);
  return name;
}

function ewsUrl(address: string): string {
  return `ews://${encodeURIComponent(address)}@127.0.0.1:${ews.port}/EWS/Exchange.asmx?tls=off&auth=basic`;
}

function run(source: Fixture, target: string, options: MigrateOptions = {}): Promise<MigrateRun> {
  return migrateUrls(dovecot, ewsUrl(source.address), imapUrl(dovecot, target), {
    redisUrl: redis.url, ...options, env: { MAILFERRY_SOURCE_PASSWORD: PASSWORD, ...options.env },
  });
}

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

const inboxHashes = (extra: readonly Buffer[] = []) => [EIGHT_BIT, ...corpus, corpus[0] as Buffer, ...extra].map(sha256).sort();

beforeAll(async () => {
  const users = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`user${i + 1}@example.com`, PASSWORD]));
  [ews, dovecot, redis] = await Promise.all([startEwsServer({ users, maxSyncChanges: 5 }), startDovecot(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([ews?.stop(), dovecot?.stop(), redis?.destroy()]);
});

describe('mailferry migrate --source ews://', () => {
  it('copies mail folders with their state, skips the calendar with its count, and a re-run copies nothing', async () => {
    const source = exchangeMailbox();
    const target = await imapTarget();
    const first = await run(source, target);
    expect(first.code, first.stderr).toBe(0);
    const snapshot = await snapshotAccount(account(target));
    expect((snapshot.get('INBOX') ?? []).map((m) => m.sha256).sort()).toEqual(inboxHashes());
    expect((snapshot.get('INBOX/Projects') ?? []).map((m) => m.sha256)).toEqual([sha256(corpus[1] as Buffer)]);
    expect((snapshot.get('Sent') ?? []).map((m) => m.sha256)).toEqual([sha256(corpus[2] as Buffer)]);
    expect(snapshot.has('Calendar')).toBe(false);

    const special = (snapshot.get('INBOX') ?? []).find((m) => m.sha256 === sha256(EIGHT_BIT));
    expect(special?.flags).toEqual(expect.arrayContaining(['\\Seen', '\\Flagged', '\\Answered', '$Cat_Red_20category']));
    expect(special?.internalDate).toBe(RECEIVED.toISOString());
    const forwarded = (snapshot.get('INBOX') ?? []).filter((m) => m.sha256 === sha256(corpus[0] as Buffer));
    expect(forwarded.some((m) => m.flags.includes('$Forwarded'))).toBe(true);

    const calendar = first.summary?.runs[0]?.folders.find((f) => f.sourcePath === 'Calendar');
    expect(calendar).toMatchObject({ outcome: 'skipped' });
    expect(JSON.stringify(calendar)).toMatch(/calendar folder with 3 item\(s\): only mail is migrated/);

    const again = await run(source, target);
    expect(again.code, again.stderr).toBe(0);
    expect(total(again, 'copied')).toBe(0);
    expect(((await snapshotAccount(account(target))).get('INBOX') ?? []).map((m) => m.sha256).sort()).toEqual(inboxHashes());
  });

  it('waits out ErrorServerBusy (BackOffMilliseconds) and HTTP 503 (Retry-After) without failing the run', async () => {
    const source = exchangeMailbox();
    const target = await imapTarget();
    ews.faults.serverBusy(2, 1500);
    ews.faults.unavailable(1, 1);
    const started = Date.now();
    const result = await run(source, target, { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    // Waited, not retried at once: at least the hinted 1.5 s (and no attempt used up: exit 0).
    expect(Date.now() - started).toBeGreaterThan(1500);
    expect(result.stderr).toMatch(/THROTTLED|throttl|busy/i);
    expect(((await snapshotAccount(account(target))).get('INBOX') ?? []).map((m) => m.sha256).sort()).toEqual(inboxHashes());
  }, 60_000);

  it('a sync state the server rejects: the folder is enumerated again and only the new message is copied', async () => {
    const source = exchangeMailbox();
    const target = await imapTarget();
    expect((await run(source, target)).code).toBe(0);
    const fresh = Buffer.from('From: z@example.org\r\nSubject: new\r\n\r\narrived later\r\n');
    ews.mailbox(source.address).addMessage('Inbox', fresh, { received: RECEIVED });
    ews.faults.invalidSyncState(1);
    const second = await run(source, target);
    expect(second.code, second.stderr).toBe(0);
    expect(total(second, 'copied')).toBe(1);
    expect(second.stderr).toMatch(/no longer accepts the stored sync state/);
    expect(((await snapshotAccount(account(target))).get('INBOX') ?? []).map((m) => m.sha256).sort()).toEqual(inboxHashes([fresh]));
  });

  it.each(['after-append:7', 'after-intents:2', 'after-commit:2'])('killed with SIGKILL at %s, resumes without doubling a message', async (point) => {
    const source = exchangeMailbox();
    const target = await imapTarget();
    const crashed = await run(source, target, { env: { MAILFERRY_CRASH_AT: point }, args: ['--concurrency', '1'] });
    expect(crashed.signal).toBe('SIGKILL');
    const resumed = await run(source, target);
    expect(resumed.code, resumed.stderr).toBe(0);
    const snapshot = await snapshotAccount(account(target));
    expect((snapshot.get('INBOX') ?? []).map((m) => m.sha256).sort()).toEqual(inboxHashes());
    expect((snapshot.get('Sent') ?? [])).toHaveLength(1);
    expect((snapshot.get('INBOX/Projects') ?? [])).toHaveLength(1);
  });

  it('a wrong password is one clear error with exit code 3', async () => {
    const source = exchangeMailbox();
    const result = await run(source, await imapTarget(), { json: false, env: { MAILFERRY_SOURCE_PASSWORD: 'wrong' } });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/authentication failed.*check the user name and password/);
  });
});
