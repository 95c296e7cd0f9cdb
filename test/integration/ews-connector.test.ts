/**
 * The EWS connector (source and target) against the EWS test server, through the real
 * ews-javascript-api and @ewsjs/xhr stack: folder listing with content kinds, paged
 * SyncFolderItems that resumes, exact 8-bit bytes and item state, the failure modes
 * (stale sync state, ErrorServerBusy, HTTP 503, wrong password, impersonation denied,
 * connection refused), NTLM, and the target side (folders, CreateItem properties,
 * per-item results, markers).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { inspect, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import { categoryToKeyword, EwsSource, EwsTarget, type EwsAccountOptions } from '../../src/connectors/ews/index.js';
import { MAILFERRY_PROPERTY_SET, MARKER_PROPERTY_NAME } from '../../src/connectors/ews/item-properties.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const CRLF = '\r\n';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const SVC = 'svc@example.com';
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice-secret', [BOB]: 'bob-secret', [SVC]: 'svc-secret' };
const MARKER_KEY = `name:${MAILFERRY_PROPERTY_SET}:${MARKER_PROPERTY_NAME}`;

function mime(subject: string, body: Buffer | string, date = 'Mon, 01 Jan 2024 09:00:00 +0000'): Buffer {
  const head = [
    'From: "Alice" <alice@example.com>',
    'To: bob@example.org',
    `Subject: ${subject}`,
    `Date: ${date}`,
    `Message-ID: <${subject.replace(/[^A-Za-z0-9]/g, '')}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ].join(CRLF);
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);
}

/** Latin-1 in a header and the body, and bytes that are invalid UTF-8: must arrive byte for byte. */
const EIGHT_BIT = mime('Gr\xfc\xdfe aus M\xfcnchen', Buffer.from(`Caf\xe9, \xe0 bient\xf4t. \xa9 \xbd \xff\x80\x00${CRLF}`, 'latin1'));

function account(server: EwsTestServer, user: string, extra: Partial<EwsAccountOptions> = {}): EwsAccountOptions {
  return { url: server.url, user, password: PASSWORDS[user] as string, auth: 'basic', ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

async function syncAll(source: EwsSource, path: string, state: string | null, max: number) {
  const pages: Array<Awaited<ReturnType<EwsSource['syncItems']>>> = [];
  let cursor = state;
  for (;;) {
    const page = await source.syncItems(path, cursor, max);
    pages.push(page);
    cursor = page.state;
    if (!page.more) break;
    if (pages.length > 100) throw new Error('sync does not end');
  }
  return { pages, state: cursor as string, items: pages.flatMap((p) => p.items), deleted: pages.flatMap((p) => p.deleted) };
}

describe('EwsSource', () => {
  let server: EwsTestServer;
  let source: EwsSource;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startEwsServer({ users: PASSWORDS, impersonation: { [SVC]: [ALICE] }, maxSyncChanges: 7 });
    const box = server.mailbox(ALICE);
    box.addFolder('Inbox/Projects');
    box.addFolder('Inbox/Projects/2024');
    box.addFolder('Archive');
    for (let n = 1; n <= 20; n += 1) ids[`m${n}`] = box.addMessage('Inbox', mime(`message ${n}`, `Body ${n}.${CRLF}`));
    ids.eightBit = box.addMessage('Inbox/Projects', EIGHT_BIT, {
      isRead: true, flag: 'Flagged', categories: ['Red category', 'Kunde (Ärger)'], lastVerbExecuted: 103,
      received: new Date('2024-03-04T05:06:07Z'),
    });
    ids.forwarded = box.addMessage('Inbox/Projects', mime('forwarded', 'fwd'), { lastVerbExecuted: 104, flag: 'Complete', received: new Date('2024-02-01T00:00:00Z') });
    box.addItem('Calendar', 'IPM.Appointment', 'Standup');
    box.addItem('Calendar', 'IPM.Appointment', 'Review');
    box.addItem('Contacts', 'IPM.Contact', 'Carol');
    source = new EwsSource(account(server, ALICE));
    await source.connect();
  });

  afterAll(async () => {
    await source?.close();
    await server?.stop();
  });

  it('lists every folder with its path, content and count; the Inbox is INBOX', async () => {
    const folders = await source.listFolders({ withStatus: true });
    const byPath = new Map(folders.map((f) => [f.path, f]));
    expect([...byPath.keys()].sort()).toEqual(
      ['Archive', 'Calendar', 'Contacts', 'Deleted Items', 'Drafts', 'INBOX', 'INBOX/Projects', 'INBOX/Projects/2024', 'Junk Email', 'Sent Items', 'Tasks'],
    );
    expect(byPath.get('INBOX')).toMatchObject({ content: 'mail', itemCount: 20, delimiter: '/', selectable: true, status: { uidValidity: '1', uidNext: 0, messages: 20 } });
    expect(byPath.get('INBOX/Projects')).toMatchObject({ content: 'mail', itemCount: 2 });
    expect(byPath.get('Calendar')).toMatchObject({ content: 'calendar', itemCount: 2 });
    expect(byPath.get('Contacts')).toMatchObject({ content: 'contacts', itemCount: 1 });
    expect(byPath.get('Tasks')).toMatchObject({ content: 'tasks', itemCount: 0 });
    expect(byPath.get('Sent Items')?.specialUse).toBe('\\Sent');
    expect(byPath.get('Drafts')?.specialUse).toBe('\\Drafts');
    expect(byPath.get('Deleted Items')?.specialUse).toBe('\\Trash');
    expect(byPath.get('Junk Email')?.specialUse).toBe('\\Junk');
    expect(byPath.get('INBOX')?.specialUse).toBeUndefined();
    expect(byPath.get('Archive')?.specialUse).toBeUndefined();
    expect(await source.namespace()).toEqual({ prefix: '', delimiter: '/' });
  });

  it('syncs a folder in pages the server cuts short, each item once, and resumes from the state', async () => {
    const first = await syncAll(source, 'INBOX', null, 500);
    expect(first.pages.length).toBe(3); // 20 items, at most 7 per answer
    expect(first.pages.slice(0, -1).every((p) => p.more && p.items.length === 7)).toBe(true);
    const seen = first.items.map((i) => i.id);
    expect(new Set(seen).size).toBe(20);
    expect(new Set(seen)).toEqual(new Set(Array.from({ length: 20 }, (_, n) => ids[`m${n + 1}`])));
    expect(first.items.every((i) => i.size > 0)).toBe(true);

    // Resuming from a middle page's state gives exactly the rest.
    const resumed = await syncAll(source, 'INBOX', first.pages[0]?.state ?? null, 500);
    expect(resumed.items.map((i) => i.id)).toEqual(seen.slice(7));

    // Nothing new: one empty page. Then one new item and one deletion.
    const idle = await source.syncItems('INBOX', first.state, 50);
    expect(idle).toMatchObject({ items: [], deleted: [], more: false });
    const box = server.mailbox(ALICE);
    const added = box.addMessage('INBOX', mime('late arrival', 'late'));
    box.deleteItem(ids.m3 as string);
    const next = await syncAll(source, 'INBOX', idle.state, 50);
    expect(next.items.map((i) => i.id)).toEqual([added]);
    expect(next.deleted).toEqual([ids.m3]);
  });

  it('asks for at most 512 changes whatever the caller passes', async () => {
    const page = await source.syncItems('INBOX/Projects', null, 100_000);
    expect(page.items).toHaveLength(2);
    expect(page.more).toBe(false);
  });

  it('fetches the exact bytes of an 8-bit message with its flags, categories, date and last verb', async () => {
    const [item] = await source.fetchItems('INBOX/Projects', [ids.eightBit as string]);
    expect(item).toBeDefined();
    expect(item?.raw.equals(EIGHT_BIT)).toBe(true);
    expect(item?.size).toBe(EIGHT_BIT.length);
    expect(item?.internalDate.toISOString()).toBe('2024-03-04T05:06:07.000Z');
    expect(item?.flags).toEqual(['\\Seen', '\\Answered', '\\Flagged', categoryToKeyword('Red category'), categoryToKeyword('Kunde (Ärger)')]);
    expect(item?.flags).toContain('$Cat_Red_20category');

    const [forwarded] = await source.fetchItems('INBOX/Projects', [ids.forwarded as string]);
    expect(forwarded?.flags).toEqual(['$Forwarded']); // unread, flag "Complete" is no \Flagged
  });

  it('leaves out items deleted or moved meanwhile, keeps the order of the others', async () => {
    const box = server.mailbox(ALICE);
    const gone = box.addMessage('INBOX', mime('short-lived', 'x'));
    box.deleteItem(gone);
    const wanted = [ids.m1 as string, gone, ids.m2 as string, ids.eightBit as string];
    const items = await source.fetchItems('INBOX', wanted);
    // eightBit lives in INBOX/Projects: not an item of INBOX.
    expect(items.map((i) => i.id)).toEqual([ids.m1, ids.m2]);
    expect(items[0]?.raw.toString('latin1')).toContain('Subject: message 1');
    expect(await source.fetchItems('INBOX', [])).toEqual([]);
  });

  it('reports a sync state the server no longer accepts as SYNC_STATE_INVALID', async () => {
    const { state } = await syncAll(source, 'INBOX/Projects', null, 100);
    server.faults.invalidSyncState(1);
    const error = await rejection(source.syncItems('INBOX/Projects', state, 100));
    expect(error).toMatchObject({ code: 'SYNC_STATE_INVALID', scope: 'folder', retry: 'now' });
    // From the beginning it works again.
    expect((await source.syncItems('INBOX/Projects', null, 100)).items).toHaveLength(2);
  });

  it('maps ErrorServerBusy to THROTTLED with the server\'s BackOffMilliseconds', async () => {
    server.faults.serverBusy(1, 1234);
    const error = await rejection(source.syncItems('INBOX', null, 5));
    expect(error).toMatchObject({ code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 1234 });
    expect(error.message).toMatch(/server busy \(ErrorServerBusy\)/);
    expect((await source.syncItems('INBOX', null, 5)).items).toHaveLength(5);
  });

  it('maps HTTP 503 to THROTTLED, 30 s without a Retry-After', async () => {
    server.faults.unavailable(1);
    const error = await rejection(source.fetchItems('INBOX', [ids.m1 as string]));
    expect(error).toMatchObject({ code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 30_000 });
    expect(error.message).toMatch(/HTTP 503/);
  });

  it('refuses a wrong password with AUTH_FAILED, and never puts the password in the message', async () => {
    const wrong = new EwsSource({ ...account(server, ALICE), password: 'not-the-password' });
    const error = await rejection(wrong.connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(/authentication failed \(401 Unauthorized\); check the user name and password/);
    expect(error.message).not.toContain('not-the-password');
    expect(JSON.stringify(error.cause ?? null)).not.toContain('not-the-password');
    await wrong.close();
  });

  it('acts on another mailbox by impersonation, sending X-AnchorMailbox; a denied one is AUTH_FAILED', async () => {
    const svc = new EwsSource(account(server, SVC, { impersonate: ALICE }));
    const before = server.requests.length;
    await svc.connect();
    const folders = await svc.listFolders();
    expect(folders.find((f) => f.path === 'INBOX')?.itemCount).toBe(server.mailbox(ALICE).messages('Inbox').length);
    const mine = server.requests.slice(before);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r) => r.user === SVC && r.impersonated === ALICE && r.anchorMailbox === ALICE && r.status === 200)).toBe(true);
    await svc.close();

    const denied = new EwsSource(account(server, SVC, { impersonate: BOB }));
    const error = await rejection(denied.connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(/access to bob@example\.com denied \(ErrorImpersonateUserDenied/);
    expect(error.message).toMatch(/impersonation rights/);
    await denied.close();
  });

  it('reports a refused connection as CONNECTION_LOST and a wrong path as CONNECT_FAILED', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const refused = new EwsSource({ ...account(server, ALICE), url: `http://127.0.0.1:${closed}/EWS/Exchange.asmx` });
    const error = await rejection(refused.connect());
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
    // The HTTP client's error holds the request, Authorization header included: it must not travel on.
    const basic = Buffer.from(`${ALICE}:${PASSWORDS[ALICE]}`).toString('base64');
    expect(inspect(error, { depth: 20, showHidden: true })).not.toContain(basic);
    const wrongPath = new EwsSource({ ...account(server, ALICE), url: server.url.replace('/EWS/', '/OWA/') });
    expect(await rejection(wrongPath.connect())).toMatchObject({ code: 'CONNECT_FAILED', retry: 'never' });
  });

  it('sends an OAuth token as a bearer header (with X-AnchorMailbox when impersonating) and never logs it', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const front = http.createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      response.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end();
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
    const logged: unknown[] = [];
    const logger = { debug: (o: unknown) => logged.push(o), info: (o: unknown) => logged.push(o), warn: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) };
    const token = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.sig-part';
    const oauth = new EwsSource({ url: `http://127.0.0.1:${(front.address() as net.AddressInfo).port}/EWS/Exchange.asmx`, user: SVC, auth: 'oauth', accessToken: token, impersonate: ALICE, logger });
    const error = await rejection(oauth.connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', retry: 'never' });
    expect(error.message).toMatch(/check the access token/);
    expect(seen[0]?.authorization).toBe(`Bearer ${token}`);
    expect(seen[0]?.['x-anchormailbox']).toBe(ALICE);
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toContain(token);
    front.close();
  });

  it('gives up on a server that does not answer after timeoutMs', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as net.AddressInfo;
    const slow = new EwsSource({ ...account(server, ALICE), url: `http://127.0.0.1:${port}/EWS/Exchange.asmx`, timeoutMs: 300 });
    const started = Date.now();
    expect(await rejection(slow.connect())).toMatchObject({ code: 'CONNECTION_LOST', retry: 'now' });
    expect(Date.now() - started).toBeLessThan(5_000);
    silent.close();
  });

  it('keeps at most maxConcurrency requests in flight', async () => {
    const limited = new EwsSource({ ...account(server, ALICE), maxConcurrency: 1 });
    await limited.connect();
    // Well-known folders are read in parallel; with one slot the requests line up but all succeed.
    expect((await limited.listFolders()).length).toBe(11);
    await limited.close();
  });

  it('throws FOLDER_NOT_FOUND for a path that does not exist', async () => {
    expect(await rejection(source.syncItems('No/Such/Folder', null, 10))).toMatchObject({ code: 'FOLDER_NOT_FOUND', scope: 'folder' });
  });
});

describe('EwsSource with many folders', () => {
  it('pages FindFolder (500 per page) and lists every folder once', async () => {
    const server = await startEwsServer({ users: PASSWORDS });
    const box = server.mailbox(ALICE);
    for (let n = 0; n < 620; n += 1) box.addFolder(`Projects/P${String(n).padStart(3, '0')}`);
    const source = new EwsSource(account(server, ALICE));
    const before = server.requests.length;
    const folders = await source.listFolders();
    expect(folders.filter((f) => f.path.startsWith('Projects/')).length).toBe(620);
    expect(new Set(folders.map((f) => f.path)).size).toBe(folders.length);
    expect(server.requests.slice(before).filter((r) => r.operation === 'FindFolder').length).toBe(2);
    await source.close();
    await server.stop();
  });
});

describe('EWS with NTLM', () => {
  let server: EwsTestServer;

  beforeAll(async () => {
    server = await startEwsServer({ users: PASSWORDS, auth: 'ntlm', impersonation: { [SVC]: [ALICE] } });
    server.mailbox(ALICE).addMessage('Inbox', EIGHT_BIT, { isRead: true });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('authenticates every request, also several at once, and reads the bytes', async () => {
    const source = new EwsSource({ ...account(server, ALICE), auth: 'ntlm', maxConcurrency: 4 });
    await source.connect();
    // listFolders sends six GetFolders at once: each needs its own NTLM handshake on its own socket.
    const folders = await source.listFolders();
    expect(folders.find((f) => f.path === 'INBOX')?.itemCount).toBe(1);
    const { items } = await syncAll(source, 'INBOX', null, 10);
    const fetched = await source.fetchItems('INBOX', items.map((i) => i.id));
    expect(fetched[0]?.raw.equals(EIGHT_BIT)).toBe(true);
    await source.close();
  });

  it('works with DOMAIN\\user and impersonation', async () => {
    const svc = new EwsSource({ url: server.url, user: 'EXAMPLE\\svc', password: PASSWORDS[SVC] as string, auth: 'ntlm', impersonate: ALICE });
    await svc.connect();
    expect((await svc.listFolders()).some((f) => f.path === 'INBOX')).toBe(true);
    await svc.close();
  });

  it('refuses a wrong password with AUTH_FAILED', async () => {
    const wrong = new EwsSource({ ...account(server, ALICE), auth: 'ntlm', password: 'wrong' });
    expect(await rejection(wrong.connect())).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
  });

  it('says so when the server offers no NTLM', async () => {
    const basicOnly = await startEwsServer({ users: PASSWORDS });
    const source = new EwsSource({ ...account(basicOnly, ALICE), auth: 'ntlm' });
    const error = await rejection(source.connect());
    expect(error).toMatchObject({ code: 'PROTOCOL', scope: 'account' });
    expect(error.message).toMatch(/NTLM handshake failed: .*; check that the server offers NTLM/);
    await basicOnly.stop();
  });

  it('reports a refused connection as CONNECTION_LOST, not as a handshake crash', async () => {
    const refused = new EwsSource({ ...account(server, ALICE), auth: 'ntlm', url: 'http://127.0.0.1:1/EWS/Exchange.asmx' });
    expect(await rejection(refused.connect())).toMatchObject({ code: 'CONNECTION_LOST', retry: 'now' });
  });
});

describe('EwsTarget', () => {
  let server: EwsTestServer;
  let target: EwsTarget;

  beforeAll(async () => {
    server = await startEwsServer({ users: PASSWORDS });
    target = new EwsTarget(account(server, BOB));
    await target.connect();
  });

  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('declares per-item appends: no atomic appendAtomic, recovery by marker (no UIDs), NUL-safe, a size limit', () => {
    const { features } = target;
    expect(Object.keys(features).sort()).toEqual(['appendEach', 'maxMessageBytes', 'recovery', 'storesNul']);
    expect(features.recovery.kind).toBe('marker');
    expect(features).toMatchObject({ storesNul: true, maxMessageBytes: 25 * 1024 * 1024 });
  });

  it('maps INBOX and special-use roles onto the well-known folders and creates nested folders once', async () => {
    expect(await target.ensureFolder('INBOX')).toEqual({ path: 'INBOX', created: false });
    expect(await target.ensureFolder('inbox')).toEqual({ path: 'INBOX', created: false });
    expect(await target.ensureFolder('Sent', '\\Sent')).toEqual({ path: 'Sent Items', created: false });
    expect(await target.ensureFolder('Trash', '\\Trash')).toEqual({ path: 'Deleted Items', created: false });
    expect(await target.ensureFolder('Archive/2024/Q1')).toEqual({ path: 'Archive/2024/Q1', created: true });
    expect(await target.ensureFolder('Archive/2024/Q1')).toEqual({ path: 'Archive/2024/Q1', created: false });
    expect(await target.ensureFolder('INBOX/Sub')).toEqual({ path: 'INBOX/Sub', created: true });
    expect(await target.ensureFolder('Q1\u2215Q2')).toEqual({ path: 'Q1\u2215Q2', created: true });
    const folders = server.mailbox(BOB).folders();
    expect(folders.find((f) => f.path === 'Archive/2024/Q1')?.folderClass).toBe('IPF.Note');
    expect(folders.some((f) => f.path === 'Inbox/Sub')).toBe(true);
    // The display name holds a real "/": one folder at the top, not Q1 with a child Q2.
    expect(server.mailbox(BOB).folders().filter((f) => f.path.startsWith('Q1')).length).toBe(1);
    const listed = await target.listFolders();
    expect(listed.map((f) => f.path)).toEqual(expect.arrayContaining(['INBOX', 'INBOX/Sub', 'Archive/2024/Q1', 'Q1\u2215Q2', 'Sent Items']));
    expect(listed.find((f) => f.path === 'Sent Items')?.specialUse).toBe('\\Sent');
    // The alias from ensureFolder works for appends too.
    await target.append('Sent', { raw: mime('sent alias', 'x'), flags: ['\\Seen'], internalDate: new Date('2024-01-01T09:00:00Z') });
    expect(server.mailbox(BOB).messages('Sent Items')).toHaveLength(1);
  });

  it('stores exact bytes with PR_MESSAGE_FLAGS, times, read state, flag, categories, last verb and the marker', async () => {
    const received = new Date('2024-05-06T07:08:09Z');
    const flags = ['\\Seen', '\\Flagged', '\\Answered', categoryToKeyword('Kunde (Ärger)'), 'Work'];
    const result = await target.append('INBOX', { raw: EIGHT_BIT, flags, internalDate: received, marker: 'pair1|INBOX|42' });
    expect(result.id).toMatch(/\S/);
    const unread = await target.append('INBOX', {
      raw: mime('unread forwarded', 'y', 'Tue, 02 Jan 2024 10:00:00 +0100'), flags: ['$Forwarded'], internalDate: received, marker: 'pair1|INBOX|43',
    });

    const stored = server.mailbox(BOB).messages('Inbox');
    const first = stored.find((m) => m.id === result.id);
    expect(first?.mime.equals(EIGHT_BIT)).toBe(true);
    expect(first).toMatchObject({ isRead: true, flag: 'Flagged', categories: ['Kunde (Ärger)', 'Work'], messageFlags: 1, itemClass: 'IPM.Note' });
    expect(first?.received?.toISOString()).toBe('2024-05-06T07:08:09.000Z');
    expect(first?.sent?.toISOString()).toBe('2024-01-01T09:00:00.000Z'); // the Date: header
    expect(first?.extended.get('tag:0x1081')).toBe('102');
    expect(first?.extended.get(MARKER_KEY)).toBe('pair1|INBOX|42');

    const second = stored.find((m) => m.id === unread.id);
    expect(second).toMatchObject({ isRead: false, flag: 'NotFlagged', categories: [], messageFlags: 0 });
    expect(second?.sent?.toISOString()).toBe('2024-01-02T09:00:00.000Z');
    expect(second?.extended.get('tag:0x1081')).toBe('104');

    // Read back through the source: the same flags.
    const source = new EwsSource(account(server, BOB));
    const [again] = await source.fetchItems('INBOX', [result.id as string]);
    expect(again?.flags).toEqual(['\\Seen', '\\Answered', '\\Flagged', categoryToKeyword('Kunde (Ärger)'), categoryToKeyword('Work')]);
    expect(again?.internalDate.toISOString()).toBe('2024-05-06T07:08:09.000Z');
    await source.close();
  });

  it('appendEach stores each item on its own and reports exactly which were refused', async () => {
    await target.ensureFolder('Batch');
    server.faults.rejectCreate('REJECT-ME', 'ErrorMessageSizeExceeded');
    const date = new Date('2024-06-01T00:00:00Z');
    const results = await target.appendEach('Batch', [
      { raw: mime('batch 1', 'one'), flags: [], internalDate: date, marker: 'b1' },
      { raw: mime('batch 2', 'REJECT-ME'), flags: [], internalDate: date, marker: 'b2' },
      { raw: mime('batch 3', 'three'), flags: ['\\Seen'], internalDate: date, marker: 'b3' },
    ]);
    expect(results.map((r) => r.stored)).toEqual([true, false, true]);
    const refused = results[1];
    expect(refused?.stored === false && refused.error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', scope: 'message', retry: 'never' });
    expect(refused?.stored === false && refused.error.message).toMatch(/message 2 of 3/);
    const stored = server.mailbox(BOB).messages('Batch');
    expect(stored.map((m) => m.extended.get(MARKER_KEY))).toEqual(['b1', 'b3']);

    // findByMarker finds exactly the stored ones, with the ids appendEach reported.
    const found = await target.findByMarker('Batch', ['b1', 'b2', 'b3', 'nope']);
    expect(found).toEqual(new Map([
      ['b1', results[0]?.stored ? results[0].result.id : ''],
      ['b3', results[2]?.stored ? results[2].result.id : ''],
    ]));
    server.faults.clear();
  });

  it('append throws a message-scoped error for a refused item only', async () => {
    server.faults.rejectCreate('BAD-MIME', 'ErrorMimeContentConversionFailed');
    const error = await rejection(target.append('Batch', { raw: mime('bad', 'BAD-MIME'), flags: [], internalDate: new Date() }));
    expect(error).toMatchObject({ code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never' });
    expect(error.message).toMatch(/ErrorMimeContentConversionFailed/);
    server.faults.rejectCreate('FULL', 'ErrorQuotaExceeded');
    expect(await rejection(target.append('Batch', { raw: mime('full', 'FULL'), flags: [], internalDate: new Date() }))).toMatchObject({ code: 'OVER_QUOTA', scope: 'account' });
    server.faults.clear();
    // A message above the limit never leaves the client.
    const small = new EwsTarget({ ...account(server, BOB), maxMessageBytes: 100 });
    expect(await rejection(small.append('Batch', { raw: mime('big', 'x'.repeat(200)), flags: [], internalDate: new Date() }))).toMatchObject({ code: 'MESSAGE_TOO_LARGE', scope: 'message' });
    await small.close();
  });

  it('finds a folder another connector created after this one listed', async () => {
    await target.listFolders();
    const other = new EwsTarget(account(server, BOB));
    expect(await other.ensureFolder('Made/Elsewhere')).toEqual({ path: 'Made/Elsewhere', created: true });
    await other.close();
    await target.append('Made/Elsewhere', { raw: mime('late folder', 'x'), flags: [], internalDate: new Date() });
    expect(server.mailbox(BOB).messages('Made/Elsewhere')).toHaveLength(1);
    expect(await rejection(target.status('Never/Made'))).toMatchObject({ code: 'FOLDER_NOT_FOUND', scope: 'folder' });
  });

  it('finds many markers across several searches and pages', async () => {
    await target.ensureFolder('Many');
    const items = Array.from({ length: 120 }, (_, n) => ({ raw: mime(`many ${n}`, `n=${n}`), flags: [], internalDate: new Date(Date.UTC(2024, 0, 1, 0, n)), marker: `key-${n}` }));
    const results = await target.appendEach('Many', items);
    expect(results.every((r) => r.stored)).toBe(true);
    const found = await target.findByMarker('Many', items.map((i) => i.marker));
    expect(found.size).toBe(120);
    expect(found.get('key-77')).toBe(results[77]?.stored ? results[77].result.id : undefined);
  });

  it('reports status with a stable UIDVALIDITY per folder and refuses mail in a calendar', async () => {
    const a = await target.status('Batch');
    const b = await target.status('Batch');
    expect(a).toEqual(b);
    expect(a).toMatchObject({ uidNext: 0, messages: 2 });
    expect((await target.status('INBOX')).uidValidity).not.toBe(a.uidValidity);
    expect(await target.flagPolicy('INBOX')).toEqual({ permanent: ['\\Seen', '\\Flagged', '\\Answered', '$Forwarded'], newKeywords: true });
    expect(await rejection(target.append('Calendar', { raw: mime('meeting?', 'x'), flags: [], internalDate: new Date() }))).toMatchObject({ code: 'FOLDER_FAILED', scope: 'folder' });
    expect(await rejection(target.ensureFolder('Calendar'))).toMatchObject({ code: 'FOLDER_FAILED', scope: 'folder', retry: 'never' });
    // No UIDs (uidNext 0): copies are found again by marker, never in a UID window.
    expect(target.features.recovery.kind).toBe('marker');
  });
});

describe('EWS over TLS', () => {
  let server: EwsTestServer;
  let front: tls.Server;
  let dir: string;
  let ca: Buffer;
  let url: string;

  beforeAll(async () => {
    server = await startEwsServer({ users: PASSWORDS, auth: 'ntlm' });
    dir = await makeTempDir('ews-tls');
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
    ]);
    ca = await fs.readFile(certFile);
    // TLS in front of the HTTP server, one upstream connection per client connection (NTLM needs that).
    front = tls.createServer({ key: await fs.readFile(keyFile), cert: ca }, (client) => {
      const upstream = net.connect(server.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
    url = `https://127.0.0.1:${(front.address() as net.AddressInfo).port}/EWS/Exchange.asmx`;
  });

  afterAll(async () => {
    front?.close();
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  it('refuses a certificate it cannot verify with TLS_FAILED', async () => {
    const source = new EwsSource({ url, user: ALICE, password: PASSWORDS[ALICE] as string, auth: 'ntlm' });
    const error = await rejection(source.connect());
    expect(error).toMatchObject({ code: 'TLS_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(/TLS failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/);
  });

  it('trusts the given CA, also for the NTLM handshake', async () => {
    const source = new EwsSource({ url, user: ALICE, password: PASSWORDS[ALICE] as string, auth: 'ntlm', ca });
    await source.connect();
    expect((await source.listFolders()).some((f) => f.path === 'INBOX')).toBe(true);
    await source.close();
  });
});
