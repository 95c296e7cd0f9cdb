/**
 * The throttling IMAP proxy (test/support/throttle-proxy.ts) in front of a real Dovecot:
 * it records every command with its arrival time however the client frames it (imapflow's
 * LITERAL+ and synchronizing literals, literal8 and split writes from a raw socket, IDLE's
 * DONE), and an armed back-off reaches the client as a failed command on a connection that
 * stays usable.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { arrivedInWindow, inFlightAt } from '../support/arrivals.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { connectImap } from '../support/imap-account.js';
import { connectRawImap, type RawImap } from '../support/raw-imap.js';
import { startThrottleProxy, type ImapRequestRecord, type ThrottleProxy } from '../support/throttle-proxy.js';

let dovecot: DovecotServer;
let proxy: ThrottleProxy;
const opened: Array<ImapFlow | RawImap> = [];

beforeAll(async () => {
  dovecot = await startDovecot({ users: ['flow', 'sync', 'plus', 'raw8', 'idle', 'window', 'tls', 'ms365'] });
});
afterAll(async () => {
  await dovecot?.stop();
});
afterEach(async () => {
  for (const client of opened.splice(0)) {
    if (client instanceof ImapFlow) await client.logout().catch(() => client.close());
    else client.close();
  }
  await proxy?.close();
});

async function startProxy(): Promise<ThrottleProxy> {
  proxy = await startThrottleProxy(dovecot.imapPort);
  return proxy;
}

async function flow(user: string, { starttls = false } = {}): Promise<ImapFlow> {
  const client = starttls ? await connectTls(user) : await connectImap({ port: proxy.port, user, password: dovecot.password });
  opened.push(client);
  return client;
}

/** imapflow with STARTTLS required, trusting the test Dovecot's certificate. */
async function connectTls(user: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: proxy.port,
    secure: false,
    doSTARTTLS: true,
    tls: { ca: await readFile(dovecot.caFile) },
    auth: { user, pass: dovecot.password },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function raw(user: string): Promise<RawImap> {
  const socket = await connectRawImap(proxy.port);
  opened.push(socket);
  await socket.write(`L1 LOGIN ${user} ${dovecot.password}\r\n`);
  await socket.until(/^L1 OK.*\r\n/m);
  return socket;
}

/** A message of `size` bytes (at least the headers), CRLF line ends. */
function message(subject: string, size = 0): Buffer {
  const head = `From: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000\r\n\r\n`;
  const line = 'x'.repeat(70) + '\r\n';
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))));
}

async function messageCount(user: string): Promise<number> {
  const client = await connectImap({ port: dovecot.imapPort, user, password: dovecot.password });
  try {
    const status = await client.status('INBOX', { messages: true });
    return status ? (status.messages ?? -1) : -1;
  } finally {
    await client.logout();
  }
}

const commands = (records: readonly ImapRequestRecord[]) => records.map((r) => r.command);

describe('throttle proxy: recording', () => {
  it('records imapflow commands in order with first-byte, last-byte and answer times', async () => {
    await startProxy();
    const client = await flow('flow');
    await client.mailboxOpen('INBOX');
    // imapflow logs in with AUTHENTICATE PLAIN (SASL-IR), and sends {n+} up to 4096 bytes
    // (LITERAL-, RFC 7888) and a synchronizing {n} above.
    await client.append('INBOX', message('small'), ['\\Seen']);
    await client.append('INBOX', message('large', 64 * 1024));
    const fetched = [];
    for await (const m of client.fetch('1:*', { uid: true, source: true }, { uid: true })) fetched.push(m.source?.length);
    await client.logout();
    opened.length = 0;

    expect(fetched).toHaveLength(2);
    expect(fetched[1]).toBeGreaterThan(64 * 1024 - 100);
    expect(await messageCount('flow')).toBe(2);
    const seen = commands(proxy.requests);
    const order = ['AUTHENTICATE', 'SELECT', 'APPEND', 'APPEND', 'UID FETCH', 'LOGOUT'];
    expect(seen.filter((c) => order.includes(c))).toEqual(order);
    for (const [i, r] of proxy.requests.entries()) {
      expect(r).toMatchObject({ connection: 1, throttled: false });
      expect(r.tag).toMatch(/^[A-Z0-9]+$/);
      expect(r.endAt).toBeGreaterThanOrEqual(r.at);
      expect(r.answeredAt).toBeGreaterThanOrEqual(r.endAt!);
      if (i > 0) expect(r.at).toBeGreaterThanOrEqual(proxy.requests[i - 1]!.answeredAt!);
    }
    expect(proxy.requests[0]!.at).toBeGreaterThan(Date.now() - 60_000);
    expect(proxy.faults).toEqual([]);
  });

  it('handles literal8 (~{n} and ~{n+}), a command split over many writes, and IDLE/DONE from a raw socket', async () => {
    await startProxy();
    const socket = await raw('raw8');
    const binary = Buffer.concat([message('binary'), Buffer.from([0, 1, 2, 0, 13, 10])]);

    // literal8, synchronizing: the server's "+" comes back through the proxy.
    await socket.write(`B1 APPEND INBOX ~{${binary.length}}\r\n`);
    await socket.until(/^\+.*\r\n/m);
    await socket.write(Buffer.concat([binary, Buffer.from('\r\n')]));
    await socket.until(/^B1 OK.*\r\n/m);
    // Dovecot refuses a synchronizing literal for a missing mailbox before its "+": no literal follows.
    await socket.write('R1 APPEND Missing {5}\r\n');
    await socket.until(/^R1 NO \[TRYCREATE\].*\r\n/m);
    // literal8, non-synchronizing, whose data holds a line that looks like a command.
    await socket.write(Buffer.concat([Buffer.from(`B2 APPEND INBOX (\\Seen) ~{${binary.length + 9}+}\r\n`), binary, Buffer.from('X1 NOOP\r\n\r\n')]));
    await socket.until(/^B2 OK.*\r\n/m);

    await socket.write('E1 EXAMINE INBOX\r\n');
    await socket.until(/^E1 OK.*\r\n/m);
    // One byte per write, with a pause inside: still one record, timed from its first byte.
    const split = `S1 UID FETCH 1:* (FLAGS)\r\n`;
    for (const [i, byte] of [...split].entries()) {
      if (i === 6) await new Promise((resolve) => setTimeout(resolve, 30));
      await socket.write(byte);
    }
    await socket.until(/^S1 OK.*\r\n/m);

    // IDLE (RFC 2177): DONE is not a command.
    await socket.write('I1 IDLE\r\n');
    await socket.until(/^\+.*\r\n/m);
    await socket.write('DONE\r\n');
    await socket.until(/^I1 OK.*\r\n/m);
    await socket.write('N1 NOOP\r\n');
    await socket.until(/^N1 OK.*\r\n/m);

    expect(proxy.requests.map((r) => `${r.tag} ${r.command}`)).toEqual(['L1 LOGIN', 'B1 APPEND', 'R1 APPEND', 'B2 APPEND', 'E1 EXAMINE', 'S1 UID FETCH', 'I1 IDLE', 'N1 NOOP']);
    const fetch = proxy.requests[5]!;
    expect(fetch.endAt! - fetch.at).toBeGreaterThanOrEqual(25);
    const refused = proxy.requests[2]!;
    expect(refused.endAt).toBe(refused.answeredAt);
    expect(await messageCount('raw8')).toBe(2);
  });

  it('stops recording, and relays untouched, after STARTTLS succeeds', async () => {
    await startProxy();
    const client = await flow('tls', { starttls: true });
    expect((await client.mailboxOpen('INBOX')).path).toBe('INBOX');
    const seen = commands(proxy.requests);
    expect(seen.at(-1)).toBe('STARTTLS');
    expect(seen).not.toContain('LOGIN');
    expect(proxy.requests.at(-1)!.answeredAt).toBeDefined();
  });
});

describe('throttle proxy: answering in the server\'s place', () => {
  it('NO [THROTTLED] on a plain command reaches imapflow as a failed command; the connection stays usable', async () => {
    await startProxy();
    const client = await flow('flow');
    proxy.throttleNext({ command: 'select' }, 'NO [THROTTLED] Too many requests');
    const error = (await client.mailboxOpen('INBOX').catch((e: unknown) => e)) as { responseStatus?: string; responseText?: string };
    expect(error.responseStatus).toBe('NO');
    expect(error.responseText).toMatch(/Too many requests/);
    expect((await client.mailboxOpen('INBOX')).path).toBe('INBOX');

    const select = proxy.requests.filter((r) => r.command === 'SELECT');
    expect(select.map((r) => r.throttled)).toEqual([true, false]);
    expect(proxy.faults).toEqual([{ connection: 1, tag: select[0]!.tag, command: 'SELECT', at: select[0]!.answeredAt, answer: 'NO [THROTTLED] Too many requests' }]);
    expect(proxy.faults[0]!.at).toBeLessThanOrEqual(select[1]!.at);
  });

  it('refuses a synchronizing-literal APPEND before its "+" (RFC 3501 7.5) and swallows a LITERAL+ one; neither reaches Dovecot', async () => {
    await startProxy();
    const client = await flow('sync');
    proxy.throttleNext({ command: /^APPEND$/, count: 2 }, 'NO [THROTTLED] Slow down');
    // 64 KiB: imapflow sends {n} and waits for "+", which never comes; it gets the NO instead.
    await expect(client.append('INBOX', message('large', 64 * 1024))).rejects.toMatchObject({ responseStatus: 'NO' });
    // Small: {n+}, the bytes follow the line at once and the proxy drops them.
    await expect(client.append('INBOX', message('small'))).rejects.toMatchObject({ responseStatus: 'NO' });
    await client.append('INBOX', message('through'));
    expect(await messageCount('sync')).toBe(1);

    const appends = proxy.requests.filter((r) => r.command === 'APPEND');
    expect(appends.map((r) => r.throttled)).toEqual([true, true, false]);
    expect(proxy.faults.map((f) => f.tag)).toEqual([appends[0]!.tag, appends[1]!.tag]);
    // The refused one ended where it was answered: its literal never came.
    expect(appends[0]!.endAt).toBeLessThanOrEqual(appends[0]!.answeredAt!);
  });

  it('swallows a whole MULTIAPPEND with LITERAL+ (RFC 3502), every literal included', async () => {
    await startProxy();
    const socket = await raw('plus');
    const one = message('one', 10_000);
    const two = message('two', 300);
    const multiappend = (tag: string) =>
      Buffer.concat([Buffer.from(`${tag} APPEND INBOX {${one.length}+}\r\n`), one, Buffer.from(` (\\Seen) {${two.length}+}\r\n`), two, Buffer.from('\r\n')]);
    proxy.throttleNext({ command: 'APPEND' }, 'NO [THROTTLED] not now');
    // Both in one write: the second starts right after the first one's last literal.
    await socket.write(Buffer.concat([multiappend('M1'), multiappend('M2')]));
    await socket.until(/^M1 NO \[THROTTLED\] not now\r\n/m);
    await socket.until(/^M2 OK.*\r\n/m);
    expect(proxy.requests.map((r) => `${r.tag} ${r.command} ${r.throttled}`)).toEqual(['L1 LOGIN false', 'M1 APPEND true', 'M2 APPEND false']);
    expect(await messageCount('plus')).toBe(2);
  });

  it("an MS365-style answer ('BAD Request is throttled. Suggested Backoff Time: N milliseconds') makes imapflow wait and fail with ETHROTTLE", async () => {
    await startProxy();
    const client = await flow('ms365');
    proxy.throttleNext({ command: 'SELECT' }, 'BAD Request is throttled. Suggested Backoff Time: 300 milliseconds');
    const started = performance.now();
    await expect(client.mailboxOpen('INBOX')).rejects.toMatchObject({ code: 'ETHROTTLE', throttleReset: 300 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect((await client.mailboxOpen('INBOX')).exists).toBe(0);
  });

  it('answers only on the connection asked for', async () => {
    await startProxy();
    const first = await flow('idle');
    const second = await flow('idle');
    proxy.throttleNext({ command: 'SELECT', connection: 2 }, 'NO [THROTTLED] later');
    await first.mailboxOpen('INBOX');
    await expect(second.mailboxOpen('INBOX')).rejects.toMatchObject({ responseStatus: 'NO' });
    await second.mailboxOpen('INBOX');
    expect(proxy.faults.map((f) => [f.connection, f.command])).toEqual([[2, 'SELECT']]);
    expect(proxy.requests.filter((r) => r.command === 'SELECT').map((r) => [r.connection, r.throttled])).toEqual([[1, false], [2, true], [2, false]]);
  });

  it('holds its answer until a server response carrying a literal is complete', async () => {
    // A scripted server, so the response can stop half-way through its literal.
    let releaseFake = () => {};
    const released = new Promise<void>((resolve) => (releaseFake = resolve));
    const fake = net.createServer((socket) => {
      socket.write('* OK fake ready\r\n');
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.toString().startsWith('F1 ')) return;
        socket.write('* 1 FETCH (BODY[] {10}\r\n01234');
        void released.then(() => socket.write('56789)\r\nF1 OK done\r\n'));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      proxy = await startThrottleProxy((fake.address() as net.AddressInfo).port);
      const socket = await connectRawImap(proxy.port);
      opened.push(socket);
      await socket.write('F1 FETCH 1 BODY[]\r\n');
      const head = await socket.until(/01234/);
      proxy.throttleNext({ command: 'NOOP' }, 'NO [THROTTLED] wait');
      await socket.write('T1 NOOP\r\n');
      await until(() => proxy.requests.some((r) => r.tag === 'T1'));
      expect(proxy.faults).toEqual([]); // not yet: the literal is open
      releaseFake();
      const rest = await socket.until(/^T1 .*\r\n/m);
      // Right after the response that carried the literal, not inside it.
      expect(head + rest).toContain('* 1 FETCH (BODY[] {10}\r\n0123456789)\r\nT1 NO [THROTTLED] wait\r\n');
      expect(proxy.faults.map((f) => f.tag)).toEqual(['T1']);
    } finally {
      releaseFake();
      await proxy.close();
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});

describe('throttle proxy: what a back-off test computes', () => {
  it('requests inside the window, without those already in flight when the back-off was answered', async () => {
    await startProxy();
    const throttled = await raw('window');
    const other = await raw('window');
    const body = message('in flight', 8 * 1024);

    // Connection 2 starts a LITERAL+ APPEND and sends half of it...
    await other.write(Buffer.concat([Buffer.from(`A1 APPEND INBOX {${body.length}+}\r\n`), body.subarray(0, 4096)]));
    await until(() => proxy.requests.some((r) => r.tag === 'A1'));
    // ...connection 1 is told to back off...
    proxy.throttleNext({ command: 'NOOP' }, 'NO [THROTTLED] back off');
    await throttled.write('T1 NOOP\r\n');
    await throttled.until(/^T1 NO \[THROTTLED\].*\r\n/m);
    const fault = proxy.faults[0]!;
    // ...then connection 2 finishes its APPEND and sends a new command inside the window.
    await other.write(Buffer.concat([body.subarray(4096), Buffer.from('\r\n')]));
    await other.until(/^A1 OK.*\r\n/m);
    await other.write('A2 NOOP\r\n');
    await other.until(/^A2 OK.*\r\n/m);

    const append = proxy.requests.find((r) => r.tag === 'A1')!;
    expect(append.at).toBeLessThan(fault.at);
    expect(append.endAt).toBeGreaterThan(fault.at);
    expect(inFlightAt(proxy.requests, fault.at).map((r) => r.tag)).toEqual(['A1']);
    // The throttled NOOP and the APPEND arrived before the fault: only A2 is a new request.
    expect(arrivedInWindow(proxy.requests, fault.at, 60_000).map((r) => `${r.connection} ${r.tag}`)).toEqual(['2 A2']);
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
