/**
 * The EWS test server's timing records (test/support/ews/request-times.ts): when each
 * authenticated request arrived and for which mailbox, and when each back-off
 * (ErrorServerBusy, 503) was answered with how long it asked for - what a test of a
 * mailbox-wide back-off reads.
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectingIdType, ExchangeService, ExchangeVersion, Folder, ImpersonatedUserId, Uri, WebCredentials, WellKnownFolderName } from 'ews-javascript-api';
import { arrivedInWindow, inFlightAt } from '../support/arrivals.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';

const ALICE = 'alice@example.com';
const SVC = 'svc@example.com';
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice-pw', [SVC]: 'svc-pw' };
const GET_FOLDER = fs.readFileSync(new URL('../fixtures/ews/getfolder-request.xml', import.meta.url), 'utf8');

const servers: EwsTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function start(): Promise<EwsTestServer> {
  const server = await startEwsServer({ users: PASSWORDS, impersonation: { [SVC]: [ALICE] } });
  servers.push(server);
  return server;
}

function connect(server: EwsTestServer, user: string, password = PASSWORDS[user] ?? ''): ExchangeService {
  const service = new ExchangeService(ExchangeVersion.Exchange2016);
  service.Credentials = new WebCredentials(user, password);
  service.Url = new Uri(server.url);
  return service;
}

const settle = (promise: Promise<unknown>) => promise.then(() => 'ok', () => 'failed');

describe('EWS test server: request times', () => {
  it('times authenticated requests (not 401s) with their mailbox, and each back-off answered', async () => {
    const server = await start();
    const svc = connect(server, SVC);
    svc.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, ALICE);

    expect(await settle(Folder.Bind(connect(server, ALICE, 'wrong'), WellKnownFolderName.Inbox))).toBe('failed');
    server.faults.serverBusy(1, 400);
    expect(await settle(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('failed');
    server.faults.unavailable(1, 2);
    expect(await settle(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('failed');
    server.faults.unavailable(1);
    expect(await settle(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('failed');
    expect(await settle(Folder.Bind(connect(server, ALICE), WellKnownFolderName.Inbox))).toBe('ok');

    expect(server.requests).toHaveLength(5); // the 401 is still in the old log
    expect(server.arrivals.map((a) => [a.operation, a.user, a.mailbox, a.status])).toEqual([
      ['GetFolder', SVC, ALICE, 500],
      ['GetFolder', SVC, ALICE, 503],
      ['GetFolder', SVC, ALICE, 503],
      ['GetFolder', ALICE, ALICE, 200],
    ]);
    for (const [i, a] of server.arrivals.entries()) {
      expect(a.answeredAt).toBeGreaterThanOrEqual(a.at);
      if (i > 0) expect(a.at).toBeGreaterThanOrEqual(server.arrivals[i - 1]!.answeredAt!);
    }
    expect(server.arrivals[0]!.at).toBeGreaterThan(Date.now() - 60_000);
    expect(server.requestFaults).toEqual([
      { at: server.arrivals[0]!.answeredAt, operation: 'GetFolder', user: SVC, mailbox: ALICE, kind: 'busy', backOffMs: 400 },
      { at: server.arrivals[1]!.answeredAt, operation: 'GetFolder', user: SVC, mailbox: ALICE, kind: 'unavailable', backOffMs: 2000 },
      { at: server.arrivals[2]!.answeredAt, operation: 'GetFolder', user: SVC, mailbox: ALICE, kind: 'unavailable' },
    ]);
  });

  it('a request whose headers came before the back-off was in flight, not new inside the window', async () => {
    const server = await start();
    // A GetFolder whose body arrives in two parts, around the back-off.
    const agent = new http.Agent({ keepAlive: false });
    const auth = `Basic ${Buffer.from(`${ALICE}:${PASSWORDS[ALICE]}`).toString('base64')}`;
    const slow = http.request(server.url, {
      method: 'POST',
      agent,
      headers: { Authorization: auth, 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(GET_FOLDER) },
    });
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      slow.on('error', reject);
    });
    slow.write(GET_FOLDER.slice(0, 100));
    await new Promise((resolve) => setTimeout(resolve, 100)); // its headers are in by now

    server.faults.serverBusy(1, 60_000);
    const busy = await post(server, auth);
    slow.end(GET_FOLDER.slice(100));
    expect(await slowAnswer).toBe(200);
    expect(busy).toBe(500);
    const after = await post(server, auth);
    expect(after).toBe(200);
    agent.destroy();

    const fault = server.requestFaults[0]!;
    const [inFlight, throttled, fresh] = [server.arrivals[0]!, server.arrivals[1]!, server.arrivals[2]!];
    expect(server.arrivals.map((a) => a.status)).toEqual([200, 500, 200]);
    expect(inFlight.at).toBeLessThan(throttled.at);
    expect(inFlight.answeredAt).toBeGreaterThan(fault.at);
    expect(inFlightAt(server.arrivals, fault.at)).toEqual([inFlight]);
    expect(arrivedInWindow(server.arrivals, fault.at, fault.backOffMs!)).toEqual([fresh]);
  });
});

async function post(server: EwsTestServer, authorization: string): Promise<number> {
  const response = await fetch(server.url, { method: 'POST', headers: { Authorization: authorization, 'Content-Type': 'text/xml; charset=utf-8' }, body: GET_FOLDER });
  await response.text();
  return response.status;
}
