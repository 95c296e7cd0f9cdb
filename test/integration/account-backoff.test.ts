/**
 * A server's "back off" applies to the whole account (ARCHITECTURE.md, "Queues and
 * jobs"): with four folders copying in parallel, once the server answered one request
 * with a back-off, no new request of any connection to that account reaches it until the
 * window ends. Test servers record the arrival time of every request: an IMAP proxy in
 * front of Dovecot that answers one FETCH with `NO [THROTTLED]` (Gmail's form, no time
 * given: mailferry waits 30 s), and the EWS test server answering ErrorServerBusy with
 * BackOffMilliseconds. Requests already in flight when the fault was written do not
 * count (their first byte arrived before it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLED_WAIT_MS } from '../../src/connectors/imap/imap-errors.js';
import { arrivedInWindow } from '../support/arrivals.js';
import { startCli } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/index.js';
import { countMessages, loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy.js';

const FOLDERS = ['INBOX', 'Archive', 'Projects', 'Receipts'];
/**
 * Between the server writing its answer and the client reading it, another connection
 * may still send a request in good faith: on loopback that is the client's event-loop
 * latency, a few ms. A loaded CI machine (two test files and their servers on two cores)
 * was seen to take 56-70 ms; the rest of the window (3 s, 30 s) must stay silent.
 */
const GRACE_MS = 250;
const EWS_PASSWORD = 'exchange-pw';
const EWS_BACKOFF_MS = 3000;

let dovecot: DovecotServer;
let redis: RedisServer;
let ews: EwsTestServer;
let proxy: ThrottleProxy;

const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `ready()` holds (or fails the test after `ms`). */
async function until(ready: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

beforeAll(async () => {
  const users = { 'busy@example.com': EWS_PASSWORD };
  [dovecot, redis, ews] = await Promise.all([startDovecot({ users: ['src', 'dst', 'fromews'] }), startRedis(), startEwsServer({ users, maxSyncChanges: 10 })]);
  proxy = await startThrottleProxy(dovecot.imapPort);
  await loadMessages(account('src'), buildCorpus({ seed: 71, count: 240, folders: FOLDERS }));
  const box = ews.mailbox('busy@example.com');
  const corpus = buildCorpus({ seed: 72, count: 160, folders: ['INBOX'] });
  const ewsFolders = ['Inbox', 'Inbox/Archive', 'Inbox/Projects', 'Inbox/Receipts'];
  for (const folder of ewsFolders.slice(1)) box.addFolder(folder);
  corpus.forEach((message, i) => box.addMessage(ewsFolders[i % ewsFolders.length] as string, message.raw, { received: new Date(Date.UTC(2024, 0, 1 + i)) }));
});

afterAll(async () => {
  await Promise.all([proxy?.close(), dovecot?.stop(), redis?.destroy(), ews?.stop()]);
});

describe('a back-off is the whole account\'s', () => {
  it('IMAP NO [THROTTLED]: no new request of any connection arrives inside the window, and the run completes', async () => {
    const source = `imap://src@127.0.0.1:${proxy.port}?tls=off`;
    const target = `imap://dst@127.0.0.1:${dovecot.imapPort}?tls=off`;
    const cli = startCli(['migrate', '--source', source, '--target', target, '--redis', redis.url, '--concurrency', '4', '--page-size', '5', '--json'], {
      env: { MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password }, timeoutMs: 110_000,
    });
    // Strike while several folders are being read at once.
    await until(() => new Set(proxy.requests.filter((r) => r.command === 'UID FETCH').map((r) => r.connection)).size >= 3);
    proxy.throttleNext({ command: 'UID FETCH' }, 'NO [THROTTLED] Too many requests, slow down');
    await until(() => proxy.faults.length > 0);
    const run = await cli.result;
    expect(run.code, run.stderr).toBe(0);

    const fault = proxy.faults[0]!;
    const inside = arrivedInWindow(proxy.requests, fault.at, THROTTLED_WAIT_MS, { graceMs: GRACE_MS });
    expect(inside.map((r) => `${r.command} on connection ${r.connection}, ${Math.round(r.at - fault.at)} ms after the fault`)).toEqual([]);
    // The run went on after the window, and nothing was lost or doubled.
    expect(proxy.requests.some((r) => r.at >= fault.at + THROTTLED_WAIT_MS)).toBe(true);
    expect(await snapshotAccount(account('dst'))).toEqual(await snapshotAccount(account('src')));
  });

  it('EWS ErrorServerBusy: no new request arrives inside BackOffMilliseconds, and the run completes', async () => {
    const source = `ews://${encodeURIComponent('busy@example.com')}@127.0.0.1:${ews.port}/EWS/Exchange.asmx?tls=off&auth=basic`;
    const target = `imap://fromews@127.0.0.1:${dovecot.imapPort}?tls=off`;
    const cli = startCli(['migrate', '--source', source, '--target', target, '--redis', redis.url, '--concurrency', '4', '--page-size', '5', '--json'], {
      env: { MAILFERRY_SOURCE_PASSWORD: EWS_PASSWORD, MAILFERRY_TARGET_PASSWORD: dovecot.password }, timeoutMs: 110_000,
    });
    await until(() => ews.arrivals.filter((a) => a.operation === 'GetItem').length >= 6);
    ews.faults.serverBusy(1, EWS_BACKOFF_MS);
    await until(() => ews.requestFaults.length > 0);
    const run = await cli.result;
    expect(run.code, run.stderr).toBe(0);

    const fault = ews.requestFaults[0]!;
    const inside = arrivedInWindow(ews.arrivals, fault.at, EWS_BACKOFF_MS, { graceMs: GRACE_MS });
    expect(inside.map((a) => `${a.operation}, ${Math.round(a.at - fault.at)} ms after the fault`)).toEqual([]);
    expect(ews.arrivals.some((a) => a.at >= fault.at + EWS_BACKOFF_MS)).toBe(true);
    // Every message once: the folder job that was told to back off resumed where it stood.
    for (const folder of ['INBOX', 'Archive', 'INBOX/Projects', 'INBOX/Receipts']) expect(await countMessages(account('fromews'), folder)).toBe(40);
  });
});
