/**
 * The Graph test server (test/support/graph) driven by the official clients the Graph
 * connector uses: @microsoft/microsoft-graph-client 3.0.7 over HTTPS trusting the test CA
 * (test/support/graph/sdk-client.ts), with app-only tokens from msal-node's
 * ConfidentialClientApplication (client secret and certificate credentials). Every answer
 * the connector will see must be accepted by them; each fault switch is exercised once.
 * Shapes against the docs' samples: graph-fixtures.test.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ResponseType, type Client } from '@microsoft/microsoft-graph-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeClientCertificate, type ClientCertificate } from '../support/certificate.js';
import { startGraphServer, type GraphServerOptions, type GraphTestServer } from '../support/graph/index.js';
import { rawRequest } from '../support/graph/raw-http.js';
import { WINDOW_END_TOLERANCE_MS } from '../support/graph/traffic.js';
import { msalApp, sdkClient, type AppCredential } from '../support/graph/sdk-client.js';

const TENANT = '9c4e2a7b-1f3d-4b8e-a6c5-3d7f9e1b2c40';
const APP = '3f9a1c7e-5b2d-4e8f-9a6c-1d4b7e2f8a50';
const SECRET = 'S3cret-graph';
const CERT_APP = '7b2e9d4f-1a6c-4f3e-8d5b-9c2a6e1f4b70';
const NO_ROLES_APP = 'e1d4c7b2-8f5a-4c3e-9b6d-2a7f1e4c8d90';
const ALICE = 'alice@contoso.com';
const BOB = 'bob@contoso.com';

let certDir: string;
let certificate: ClientCertificate;
const servers: GraphTestServer[] = [];

beforeAll(async () => {
  certDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailferry-graph-cert-'));
  certificate = await makeClientCertificate(certDir);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await fs.rm(certDir, { recursive: true, force: true });
});

async function start(options: Partial<GraphServerOptions> = {}): Promise<GraphTestServer> {
  const graph = await startGraphServer({
    tenant: TENANT,
    clients: {
      [APP]: { secret: SECRET },
      [CERT_APP]: { certificatePem: certificate.certificatePem },
      [NO_ROLES_APP]: { secret: SECRET, roles: [] },
    },
    users: [
      { mail: ALICE, displayName: 'Alice Adams', groups: ['sales'] },
      { mail: BOB, displayName: 'Bob Brown', groups: ['sales', 'support'] },
      { mail: 'carol@contoso.com', displayName: 'Carol Clark', accountEnabled: false },
      { mail: 'dave@fabrikam.com', displayName: 'Dave Davis' },
    ],
    ...options,
  });
  servers.push(graph);
  return graph;
}

function connect(graph: GraphTestServer, clientId = APP, credential: AppCredential = { secret: SECRET }): Client {
  return sdkClient({ url: graph.url, authority: graph.authority, ca: graph.ca, clientId, credential }).client;
}

async function token(graph: GraphTestServer, clientId = APP): Promise<string> {
  const result = await msalApp(graph.authority, graph.ca, clientId, { secret: SECRET }).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
  return result!.accessToken;
}

function mime(subject: string, extra = ''): Buffer {
  return Buffer.from(`From: Dana Swope <danas@contoso.com>\r\nTo: Alice <alice@contoso.com>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@contoso.com>\r\nDate: Tue, 5 Sep 2017 10:00:00 +0000\r\n\r\nBody of ${subject}\r\n${extra}`);
}

/** The SDK's GraphError as a plain record (status and code), or the error itself when it is something else. */
async function failure(promise: Promise<unknown>): Promise<{ statusCode: number; code: string; headers?: Headers }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode: number; code: string; headers?: Headers };
  }
  throw new Error('expected the request to fail');
}

/** Follows @odata.nextLink to the end, returning every page. */
async function allPages(client: Client, first: string, prefer?: string): Promise<Array<Record<string, any>>> {
  const pages: Array<Record<string, any>> = [];
  let next: string | undefined = first;
  while (next !== undefined) {
    const request = client.api(next);
    if (prefer) request.header('Prefer', prefer);
    const page = (await request.get()) as Record<string, any>;
    pages.push(page);
    next = page['@odata.nextLink'];
  }
  return pages;
}

describe('mail folders', () => {
  it('lists the well-known folders, hidden ones on request, child folders page by page, and folders by well-known name', async () => {
    const graph = await start();
    const alice = graph.mailbox(ALICE);
    for (let i = 1; i <= 12; i += 1) alice.addFolder(`Inbox/Project ${String(i).padStart(2, '0')}`);
    alice.addFolder(['Inbox', 'a/b']);
    alice.addFolder('Inbox/Secret', { hidden: true });
    alice.addMessage('Inbox', mime('one'));
    alice.addMessage('Inbox', mime('two'), { isRead: true });
    const client = connect(graph);

    const top = await client.api(`/users/${ALICE}/mailFolders`).get();
    expect(top.value.map((f: { displayName: string }) => f.displayName)).toEqual([
      'Archive', 'Conversation History', 'Deleted Items', 'Drafts', 'Inbox', 'Junk Email', 'Outbox', 'Sent Items', 'Sync Issues',
    ]);
    const withHidden = await client.api(`/users/${ALICE}/mailFolders`).query({ includeHiddenFolders: 'true' }).get();
    expect(withHidden.value.find((f: { isHidden: boolean }) => f.isHidden)?.displayName).toBe('Conversation Action Settings');

    const inbox = await client.api(`/users/${ALICE}/mailFolders/inbox`).get();
    const root = await client.api(`/users/${graph.userId(ALICE)}/mailFolders/msgfolderroot`).get();
    expect(inbox).toMatchObject({ id: alice.folderId('Inbox'), displayName: 'Inbox', parentFolderId: root.id, childFolderCount: 14, totalItemCount: 2, unreadItemCount: 1 });
    expect(root.displayName).toBe('Top of Information Store');
    // v1.0 has no wellKnownName property (beta only): Graph's URI parser refuses it.
    expect(await failure(client.api(`/users/${ALICE}/mailFolders/inbox`).select('wellKnownName').get())).toMatchObject({ statusCode: 400, code: 'RequestBroker--ParseUri' });

    const pages = await allPages(client, `/users/${ALICE}/mailFolders/${inbox.id}/childFolders?includeHiddenFolders=true&$select=displayName,isHidden`);
    expect(pages.map((p) => p.value.length)).toEqual([10, 4]);
    const names = pages.flatMap((p) => p.value.map((f: { displayName: string }) => f.displayName));
    expect(names).toEqual(['a/b', ...Array.from({ length: 12 }, (_, i) => `Project ${String(i + 1).padStart(2, '0')}`), 'Secret']);
    expect(Object.keys(pages[0]!.value[0]).sort()).toEqual(['displayName', 'id', 'isHidden']);
    const visibleChildren = await client.api(`/users/${ALICE}/mailFolders/${inbox.id}/childFolders`).top(50).get();
    expect(visibleChildren.value).toHaveLength(13);

    const syncIssues = await client.api(`/users/${ALICE}/mailFolders('syncissues')/childFolders`).get();
    expect(syncIssues.value.map((f: { displayName: string }) => f.displayName)).toEqual(['Conflicts', 'Local Failures', 'Server Failures']);
    expect(await failure(client.api(`/users/${ALICE}/mailFolders/not-an-id`).get())).toMatchObject({ statusCode: 400, code: 'ErrorInvalidIdMalformed' });
    expect(await failure(client.api(`/users/${ALICE}/mailFolders/${graph.mailbox(BOB).folderId('Inbox')}`).get())).toMatchObject({ statusCode: 404, code: 'ErrorItemNotFound' });
    expect(await failure(client.api('/users/nobody@contoso.com/mailFolders').get())).toMatchObject({ statusCode: 404, code: 'ErrorInvalidUser' });
    // /me is delegated-only; an app-only token gets Graph's 400.
    expect(await failure(client.api('/me/mailFolders').get())).toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });
});

describe('message delta', () => {
  it('pages a round with Prefer: odata.maxpagesize=2, keeps $select and $expand in the tokens, then reports only the changes', async () => {
    const graph = await start();
    const alice = graph.mailbox(ALICE);
    alice.addFolder('Inbox/Work');
    const raws = [1, 2, 3, 4, 5].map((n) => mime(`Work ${n}`, 'x'.repeat(n * 100)));
    const ids = raws.map((raw, n) => alice.addMessage('Inbox/Work', raw, { isRead: n === 0, categories: n === 1 ? ['Blue'] : [] }));
    const folder = alice.folderId('Inbox/Work');
    const client = connect(graph);
    const prefer = 'odata.maxpagesize=2';

    const first = `/users/${ALICE}/mailFolders/${folder}/messages/delta?$select=subject,isRead,flag,categories&$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')`;
    const round1 = await allPages(client, first, prefer);
    expect(round1.map((p) => p.value.length)).toEqual([2, 2, 1]);
    expect(round1.slice(0, 2).every((p) => p['@odata.nextLink']?.includes('$skiptoken=') && p['@odata.deltaLink'] === undefined)).toBe(true);
    const deltaLink = round1[2]!['@odata.deltaLink'] as string;
    expect(deltaLink).toContain('$deltatoken=');
    const messages = round1.flatMap((p) => p.value);
    expect(messages.map((m) => m.id)).toEqual(ids);
    expect(messages[0]).toEqual({
      '@odata.type': '#microsoft.graph.message', '@odata.etag': expect.stringMatching(/^W\/"/), id: ids[0], subject: 'Work 1', isRead: true,
      flag: { flagStatus: 'notFlagged' }, categories: [], singleValueExtendedProperties: [{ id: 'Integer 0xe08', value: String(raws[0]!.length) }],
    });
    expect(messages[1].categories).toEqual(['Blue']);

    // Nothing changed: an empty page with a new deltaLink.
    const idle = await client.api(deltaLink).header('Prefer', prefer).get();
    expect(idle.value).toEqual([]);

    alice.updateMessage(ids[2]!, { isRead: true });
    alice.updateMessage(ids[2]!, { flag: 'flagged', categories: ['Red'] });
    alice.deleteMessage(ids[3]!);
    const moved = alice.moveMessage(ids[4]!, 'Archive');
    const added = alice.addMessage('Inbox/Work', mime('Work 6'));
    const round2 = await allPages(client, idle['@odata.deltaLink'], prefer);
    const changes = round2.flatMap((p) => p.value);
    // One entry per message, current state, in change order; $select and $expand still apply.
    expect(changes).toEqual([
      expect.objectContaining({ id: ids[2], isRead: true, flag: { flagStatus: 'flagged' }, categories: ['Red'], singleValueExtendedProperties: expect.any(Array) }),
      { '@odata.type': '#microsoft.graph.message', id: ids[3], '@removed': { reason: 'deleted' } },
      { '@odata.type': '#microsoft.graph.message', id: ids[4], '@removed': { reason: 'deleted' } },
      expect.objectContaining({ id: added, subject: 'Work 6', isRead: false }),
    ]);
    expect(Object.keys(changes[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'categories', 'flag', 'id', 'isRead', 'singleValueExtendedProperties', 'subject']);
    expect(alice.messages('Archive').map((m) => m.id)).toEqual([moved]);

    // changeType=created: later rounds report only new messages.
    const created = await allPages(client, `/users/${ALICE}/mailFolders/${folder}/messages/delta?changeType=created&$select=subject`, prefer);
    alice.updateMessage(ids[0]!, { isRead: false });
    const createdLater = alice.addMessage('Inbox/Work', mime('Work 7'));
    const next = await allPages(client, created.at(-1)!['@odata.deltaLink'], prefer);
    expect(next.flatMap((p) => p.value.map((m: { id: string }) => m.id))).toEqual([createdLater]);
  });

  it('caps pages at maxPageSize whatever Prefer asks, and takes the $filter and $orderby delta documents', async () => {
    const graph = await start({ maxPageSize: 3 });
    const alice = graph.mailbox(ALICE);
    const ids = Array.from({ length: 7 }, (_, i) => alice.addMessage('Inbox', mime(`d${i}`), { receivedDateTime: new Date(Date.UTC(2024, 0, 1 + i)) }));
    const client = connect(graph);
    const bearer = await token(graph);
    const first = await rawRequest(`${graph.url}/users/${ALICE}/mailFolders/inbox/messages/delta?$select=subject`, { ca: graph.ca, token: bearer, headers: { Prefer: 'odata.maxpagesize=50' } });
    expect(first.json.value).toHaveLength(3);
    expect(first.headers['preference-applied']).toBe('odata.maxpagesize=3');
    expect((await allPages(client, `/users/${ALICE}/mailFolders/inbox/messages?$top=10`)).map((p) => p.value.length)).toEqual([3, 3, 1]);

    const recent = await allPages(client, `/users/${ALICE}/mailFolders/inbox/messages/delta?$select=subject&$filter=receivedDateTime ge 2024-01-05T00:00:00Z&$orderby=receivedDateTime desc`);
    expect(recent.flatMap((p) => p.value.map((m: { id: string }) => m.id))).toEqual([ids[6], ids[5], ids[4]]);
    expect(await failure(client.api(`/users/${ALICE}/mailFolders/inbox/messages/delta?$filter=isRead eq false`).get())).toMatchObject({ statusCode: 400 });
  });

  it('answers an expired, forged or foreign delta token with 410 SyncStateNotFound', async () => {
    const graph = await start();
    const alice = graph.mailbox(ALICE);
    alice.addMessage('Inbox', mime('a'));
    alice.addMessage('Drafts', mime('b'), { isDraft: true });
    const client = connect(graph);
    const inbox = await allPages(client, `/users/${ALICE}/mailFolders/inbox/messages/delta`);
    const deltaLink = inbox.at(-1)!['@odata.deltaLink'] as string;
    const drafts = await allPages(client, `/users/${ALICE}/mailFolders/drafts/messages/delta?$select=isDraft`);
    expect(drafts[0]!.value[0].isDraft).toBe(true);

    const foreign = deltaLink.replace(alice.folderId('Inbox'), alice.folderId('Drafts'));
    expect(await failure(client.api(foreign).get())).toMatchObject({ statusCode: 410, code: 'SyncStateNotFound' });
    const forged = deltaLink.replace(/\$deltatoken=.*/, '$deltatoken=GwcBoTmPuoGNlgXgF1nyUNMXY');
    expect(await failure(client.api(forged).get())).toMatchObject({ statusCode: 410, code: 'SyncStateNotFound' });
    expect((await client.api(deltaLink).get()).value).toEqual([]);

    graph.faults.expireDeltaTokens(ALICE);
    expect(await failure(client.api(deltaLink).get())).toMatchObject({ statusCode: 410, code: 'SyncStateNotFound' });
    // A fresh initial round works again.
    const again = await allPages(client, `/users/${ALICE}/mailFolders/inbox/messages/delta`);
    expect(again.flatMap((p) => p.value)).toHaveLength(1);
  });
});

describe('messages', () => {
  it('returns the stored MIME bytes exactly from $value (NUL, 8-bit, bare CR and LF), with Content-Length', async () => {
    const graph = await start();
    const raw = Buffer.concat([
      Buffer.from('Subject: bytes\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
      Buffer.from([0x00, 0x01, 0xe9, 0xff, 0x0d, 0x0a, 0x0a, 0x0d, 0x80, 0x00]),
      Buffer.from('caf\u00e9 na\u00efve\n', 'latin1'),
    ]);
    const id = graph.mailbox(ALICE).addMessage('Inbox', raw);
    const client = connect(graph);
    const bytes = Buffer.from(await client.api(`/users/${ALICE}/messages/${id}/$value`).responseType(ResponseType.ARRAYBUFFER).get() as ArrayBuffer);
    expect(bytes.equals(raw)).toBe(true);
    const plain = await rawRequest(`${graph.url}/users/${graph.userId(ALICE)}/mailFolders/inbox/messages/${id}/$value`, { ca: graph.ca, token: await token(graph) });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/plain');
    expect(plain.headers['content-length']).toBe(String(raw.length));
    expect(plain.body.equals(raw)).toBe(true);
  });

  it('lists messages newest first with $top/$skip paging, $count and /$count, and gets one with $select', async () => {
    const graph = await start();
    const alice = graph.mailbox(ALICE);
    const ids = Array.from({ length: 12 }, (_, i) => alice.addMessage('Inbox', mime(`m${i}`), { receivedDateTime: new Date(Date.UTC(2024, 0, 1 + i)) }));
    alice.addMessage('Sent Items', mime('sent'));
    const client = connect(graph);
    const pages = await allPages(client, `/users/${ALICE}/mailFolders/inbox/messages?$select=subject,receivedDateTime&$count=true&$top=5`);
    expect(pages.map((p) => p.value.length)).toEqual([5, 5, 2]);
    expect(pages[0]!['@odata.count']).toBe(12);
    expect(pages[0]!['@odata.nextLink']).toContain('$skip=5');
    expect(pages.flatMap((p) => p.value.map((m: { id: string }) => m.id))).toEqual([...ids].reverse());
    // /$count answers text/plain (user-list.md, "Get only a count"): the SDK hands back the text.
    expect(await client.api(`/users/${ALICE}/messages/$count`).get()).toBe('13');
    expect(await client.api(`/users/${ALICE}/mailFolders/sentitems/messages/$count`).get()).toBe('1');
    const one = await client.api(`/users/${ALICE}/messages/${ids[0]}`).select(['subject', 'isRead', 'parentFolderId']).get();
    expect(one).toMatchObject({ id: ids[0], subject: 'm0', isRead: false, parentFolderId: alice.folderId('Inbox') });
    expect(await failure(client.api(`/users/${ALICE}/mailFolders/sentitems/messages/${ids[0]}`).get())).toMatchObject({ statusCode: 404, code: 'ErrorItemNotFound' });
    expect(await failure(client.api(`/users/${ALICE}/messages/${ids[0]}`).select('bogus').get())).toMatchObject({ statusCode: 400, code: 'RequestBroker--ParseUri' });
  });

  it('streams a 50 MB $value without buffering it (bytes and completion checked by hash)', async () => {
    const graph = await start();
    const raw = Buffer.alloc(50 * 1024 * 1024, 'A');
    raw.write('Subject: big\r\n\r\n', 0);
    for (let at = 17; at < raw.length; at += 4099) raw[at] = at & 0xff;
    const id = graph.mailbox(ALICE).addMessage('Inbox', raw);
    const expected = createHash('sha256').update(raw).digest('hex');
    const client = connect(graph);
    const stream = (await client.api(`/users/${ALICE}/messages/${id}/$value`).responseType(ResponseType.STREAM).get()) as ReadableStream<Uint8Array>;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(raw.length);
    expect(hash.digest('hex')).toBe(expected);
    const record = graph.requests.find((r) => r.path.endsWith('/$value'));
    // The server records the answer once its last byte is handed to the socket, which may be just after the client read it.
    await vi.waitFor(() => expect(record).toMatchObject({ status: 200, mailbox: ALICE }));
    expect(record!.answeredAt).toBeGreaterThan(record!.at);
  });
});

describe('$batch', () => {
  it('runs 20 dependent requests in order, refuses 21, and fails the dependents of a failed one with 424', async () => {
    const graph = await start();
    const alice = graph.mailbox(ALICE);
    const ids = Array.from({ length: 20 }, (_, i) => alice.addMessage('Inbox', mime(`b${i}`)));
    const client = connect(graph);
    const requests = ids.map((id, i) => ({
      id: String(i + 1), method: 'GET', url: `/users/${ALICE}/messages/${id}?$select=subject`, ...(i > 0 ? { dependsOn: [String(i)] } : {}),
    }));
    const answer = await client.api('/$batch').post({ requests });
    expect(answer.responses.map((r: { id: string; status: number; body: { subject: string } }) => [r.id, r.status, r.body.subject])).toEqual(
      ids.map((_, i) => [String(i + 1), 200, `b${i}`]),
    );
    const subRequests = graph.requests.filter((r) => r.batchId !== undefined);
    expect(subRequests.map((r) => r.batchId)).toEqual(requests.map((r) => r.id));
    // Sequential: each arrived after the one before was answered, so never two in flight.
    expect(Math.max(...subRequests.map((r) => r.inFlightForMailbox))).toBe(1);

    const tooMany = await failure(client.api('/$batch').post({ requests: [...requests, { id: '21', method: 'GET', url: '/users' }] }));
    expect(tooMany).toMatchObject({ statusCode: 400, code: 'BadRequest' });

    const chained = await client.api('/$batch').post({ requests: [
      { id: 'a', method: 'GET', url: `/users/${ALICE}/messages/AAMkAGVmMDEzM=` },
      { id: 'b', method: 'GET', url: `/users/${ALICE}/mailFolders/inbox`, dependsOn: ['a'] },
      { id: 'c', method: 'GET', url: '/users?$select=mail', headers: { ConsistencyLevel: 'eventual' } },
      { id: 'd', method: 'GET', url: `/users/${ALICE}/messages/${ids[0]}/$value` },
    ] });
    const byId = Object.fromEntries(chained.responses.map((r: { id: string }) => [r.id, r]));
    expect([byId.a.status, byId.b.status, byId.c.status, byId.d.status]).toEqual([400, 424, 200, 200]);
    expect(byId.a.body.error.code).toBe('ErrorInvalidIdMalformed');
    expect(Buffer.from(byId.d.body, 'base64').equals(mime('b0'))).toBe(true);
  });

  it('admits parallel entries together against the per-mailbox limit: 4 of 20 for one mailbox pass, 16 get 429 with Retry-After', async () => {
    const graph = await start();
    const alice = graph.mailbox(ALICE);
    const id = alice.addMessage('Inbox', mime('p'));
    const client = connect(graph);
    const requests = Array.from({ length: 20 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/users/${ALICE}/messages/${id}?$select=id` }));
    const answer = await client.api('/$batch').post({ requests });
    const statuses = answer.responses.map((r: { status: number }) => r.status);
    expect(statuses.filter((s: number) => s === 200)).toHaveLength(4);
    const throttled = answer.responses.filter((r: { status: number }) => r.status === 429);
    expect(throttled).toHaveLength(16);
    expect(throttled[0]).toMatchObject({ headers: { 'Retry-After': '1' }, body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } } });
    expect(graph.maxInFlight(ALICE)).toBe(20);
    // The batch itself is not throttled.
    expect(graph.requests.find((r) => r.path === '/v1.0/$batch')?.status).toBe(200);
  });
});

describe('throttling', () => {
  it('the SDK RetryHandler waits Retry-After and succeeds; nothing reaches the mailbox inside the window', async () => {
    const graph = await start();
    graph.mailbox(ALICE).addMessage('Inbox', mime('t'));
    const client = connect(graph);
    graph.faults.throttle(1, { retryAfterSeconds: 1, mailbox: ALICE });
    const started = Date.now();
    const folders = await client.api(`/users/${ALICE}/mailFolders/inbox`).get();
    expect(folders.totalItemCount).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const mine = graph.requests.filter((r) => r.mailbox === ALICE);
    expect(mine.map((r) => r.status)).toEqual([429, 200]);
    expect(graph.throttleWindows).toHaveLength(1);
    expect(mine[1]!.at - mine[0]!.at).toBeGreaterThanOrEqual(1000 - WINDOW_END_TOLERANCE_MS);
    expect(graph.requestsInsideWindows()).toEqual([]);
  });

  it('goes on throttling a client that ignores Retry-After, for that mailbox only, and a 503 works the same way', async () => {
    const graph = await start();
    const bearer = await token(graph);
    const get = (user: string) => rawRequest(`${graph.url}/users/${user}/mailFolders/inbox`, { ca: graph.ca, token: bearer });
    graph.faults.throttle(1, { retryAfterSeconds: 2, status: 503, mailbox: ALICE });
    const first = await get(ALICE);
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('2');
    const ignored = await get(ALICE);
    expect(ignored.status).toBe(429);
    expect(ignored.json.error.code).toBe('TooManyRequests');
    expect(Number(ignored.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await get(BOB)).status).toBe(200);
    expect(graph.requestsInsideWindows().map((r) => [r.mailbox, r.status])).toEqual([[ALICE, 429]]);
  });

  it('refuses more than 4 concurrent requests for one mailbox with 429 ApplicationThrottled, and records the concurrency', async () => {
    const graph = await start();
    const bearer = await token(graph);
    const get = () => rawRequest(`${graph.url}/users/${ALICE}/mailFolders`, { ca: graph.ca, token: bearer });
    // Long enough for two more TLS connections on a loaded machine while the four are held.
    graph.faults.delayMs = 2000;
    const admitted = Array.from({ length: 4 }, get);
    await vi.waitFor(() => expect(graph.requests.filter((r) => r.mailbox === ALICE && r.status === 0)).toHaveLength(4), { timeout: 5000 });
    // A fifth and a sixth while four are in flight: each is refused at once (and so leaves at once).
    for (let i = 0; i < 2; i += 1) {
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(refused.json.error).toMatchObject({ code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' });
      expect(refused.headers['retry-after']).toBe('1');
    }
    expect((await Promise.all(admitted)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(graph.requests.filter((r) => r.mailbox === ALICE).map((r) => r.inFlightForMailbox)).toEqual([1, 2, 3, 4, 5, 5]);
    expect(graph.maxInFlight(ALICE)).toBe(5);
    graph.faults.delayMs = 0;
    expect((await rawRequest(`${graph.url}/users/${ALICE}/mailFolders`, { ca: graph.ca, token: bearer })).status).toBe(200);
  });

  it('failNext answers the next matching requests with the given error', async () => {
    const graph = await start();
    const client = connect(graph);
    graph.faults.failNext(1, { status: 500, code: 'ErrorInternalServerError', message: 'boom', path: '/mailFolders' });
    expect((await client.api('/users').get()).value).toHaveLength(4);
    expect(await failure(client.api(`/users/${ALICE}/mailFolders`).get())).toMatchObject({ statusCode: 500, code: 'ErrorInternalServerError' });
    expect((await client.api(`/users/${ALICE}/mailFolders`).get()).value.length).toBeGreaterThan(0);
  });
});

describe('authentication and permissions', () => {
  it('takes certificate credentials from msal-node (x5t#S256/PS256 and x5t/RS256) and refuses another key', async () => {
    const graph = await start();
    graph.mailbox(ALICE).addMessage('Inbox', mime('c'));
    const sha256 = connect(graph, CERT_APP, { privateKey: certificate.privateKeyPem, thumbprintSha256: certificate.thumbprintSha256 });
    expect((await sha256.api(`/users/${ALICE}/mailFolders/inbox`).get()).totalItemCount).toBe(1);
    const sha1 = connect(graph, CERT_APP, { privateKey: certificate.privateKeyPem, thumbprint: certificate.thumbprintSha1 });
    expect((await sha1.api('/users').get()).value).toHaveLength(4);
    const assertions = graph.tokens.requests.filter((r) => r.clientId === CERT_APP);
    expect(assertions.map((r) => r.status)).toEqual([200, 200]);

    const other = await makeClientCertificate(path.join(certDir, 'other'));
    const wrong = msalApp(graph.authority, graph.ca, CERT_APP, { privateKey: other.privateKeyPem, thumbprintSha256: other.thumbprintSha256 });
    await expect(wrong.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })).rejects.toMatchObject({ errorCode: 'invalid_client' });
    expect(graph.tokens.requests.at(-1)?.error).toBe('invalid_client');
  });

  it('answers a missing or bad token 401 InvalidAuthenticationToken and a token without the role 403', async () => {
    const graph = await start();
    const none = await rawRequest(`${graph.url}/users/${ALICE}/mailFolders`, { ca: graph.ca });
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('InvalidAuthenticationToken');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    const forged = await rawRequest(`${graph.url}/users`, { ca: graph.ca, token: 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln' });
    expect(forged.status).toBe(401);

    const weak = connect(graph, NO_ROLES_APP);
    expect(await failure(weak.api(`/users/${ALICE}/mailFolders`).get())).toMatchObject({ statusCode: 403, code: 'ErrorAccessDenied' });
    expect(await failure(weak.api('/users').get())).toMatchObject({ statusCode: 403, code: 'Authorization_RequestDenied' });
  });
});

describe('directory', () => {
  it('filters users (advanced queries need ConsistencyLevel: eventual and $count), pages them, and lists group members', async () => {
    const graph = await start();
    const client = connect(graph);
    const advanced = await failure(client.api('/users').filter("endswith(mail,'@contoso.com')").get());
    expect(advanced).toMatchObject({ statusCode: 400, code: 'Request_UnsupportedQuery' });
    const contoso = await client.api('/users').header('ConsistencyLevel', 'eventual').filter("endswith(mail,'@contoso.com')").count(true).select('mail,accountEnabled').get();
    expect(contoso['@odata.count']).toBe(3);
    expect(contoso.value.map((u: { mail: string; accountEnabled: boolean }) => [u.mail, u.accountEnabled])).toEqual([[ALICE, true], [BOB, true], ['carol@contoso.com', false]]);
    const enabled = await client.api('/users').filter('accountEnabled eq true').select(['id', 'mail']).get();
    expect(enabled.value.map((u: { mail: string }) => u.mail)).toEqual([ALICE, BOB, 'dave@fabrikam.com']);
    expect(enabled.value[0].id).toBe(graph.userId(ALICE));

    const pages = await allPages(client, '/users?$top=3&$select=displayName');
    expect(pages.map((p) => p.value.length)).toEqual([3, 1]);
    expect(pages[0]!['@odata.nextLink']).toContain('$skiptoken=');
    const alice = await client.api(`/users/${ALICE}`).get();
    expect(alice).toMatchObject({ id: graph.userId(ALICE), displayName: 'Alice Adams', mail: ALICE, userPrincipalName: ALICE });
    expect(await failure(client.api('/users/nobody@contoso.com').get())).toMatchObject({ statusCode: 404, code: 'Request_ResourceNotFound' });

    const groups = await client.api('/groups').filter("displayName eq 'sales'").get();
    expect(groups.value.map((g: { displayName: string }) => g.displayName)).toEqual(['sales']);
    const members = await client.api(`/groups/${groups.value[0].id}/members`).get();
    expect(members.value.map((m: { '@odata.type': string; mail: string }) => [m['@odata.type'], m.mail])).toEqual([
      ['#microsoft.graph.user', ALICE], ['#microsoft.graph.user', BOB],
    ]);
  });

  it('counts events, contacts and To Do tasks', async () => {
    const graph = await start();
    const alice = graph.mailbox(ALICE);
    alice.addCalendarEvents(3);
    alice.addContacts(12);
    alice.addTasks(2);
    const client = connect(graph);
    expect((await client.api(`/users/${ALICE}/events`).count(true).top(1).select('id').get())['@odata.count']).toBe(3);
    expect(await client.api(`/users/${ALICE}/contacts/$count`).get()).toBe('12');
    const contacts = await allPages(client, `/users/${ALICE}/contacts?$select=id`);
    expect(contacts.flatMap((p) => p.value)).toHaveLength(12);
    const lists = await client.api(`/users/${ALICE}/todo/lists`).get();
    expect(lists.value).toEqual([expect.objectContaining({ displayName: 'Tasks', wellknownListName: 'defaultList' })]);
    const tasks = await client.api(`/users/${ALICE}/todo/lists/${lists.value[0].id}/tasks`).count(true).get();
    expect(tasks['@odata.count']).toBe(2);
    expect(tasks.value.map((t: { title: string }) => t.title)).toEqual(['Task 1', 'Task 2']);
  });
});
