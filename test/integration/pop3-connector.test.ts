/**
 * The POP3 connector against a real Dovecot POP3: exact bytes through node-pop3's broken
 * data path, pipelined RETR (RFC 2449) and its fallback, deletion semantics (QUIT commits,
 * a drop rolls back), TLS in both styles, APOP, and failures that must end in an error
 * instead of a hang. Messages are loaded over IMAP (independent of the connector).
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import { Pop3Source, type Pop3AccountOptions, type Pop3Logger } from '../../src/connectors/pop3/index.js';
import type { CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { countMessages, loadMessages, sha256 } from '../support/imap-account.js';
import { startPop3Proxy, type Pop3Proxy, type Pop3ProxyOptions } from '../support/pop3-proxy.js';
import { freePort } from '../support/ports.js';
import { Prng } from '../support/prng.js';

const CRLF = '\r\n';
const RECEIVED_AT = new Date('2024-01-02T10:00:00Z');

function message(subject: string, body: Buffer): Buffer {
  const head = [
    'Received: from mx.example.com by pop.example.com; Tue, 02 Jan 2024 10:00:00 +0000',
    'From: "Alice" <alice@example.com>',
    'To: bob@example.org',
    `Subject: ${subject}`,
    'Date: Mon, 01 Jan 2024 09:00:00 +0000',
    `Message-ID: <${sha256(Buffer.from(subject)).slice(0, 16)}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ].join(CRLF);
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Latin-1 in a header and the body: invalid as UTF-8 on purpose. */
const LATIN1 = message('Gr\xfc\xdfe aus M\xfcnchen', Buffer.from(`Caf\xe9, \xe0 bient\xf4t. \xa9 \xbd \xff\x80${CRLF}`, 'latin1'));
/** Lines that POP3 must stuff: ".", "..", ".x", "..y", "...", and "." as the very last line. */
const DOTS = message('dots', Buffer.from(['Dots below:', '.', '..', '.x', '..y', '...', ' .', 'end', '.'].join(CRLF) + CRLF, 'latin1'));
/** Over 1 MiB of 8-bit lines, many starting with "." or "..", never NUL/CR/LF inside a line. */
const BIG = (() => {
  const rng = new Prng(995);
  const lines: Buffer[] = [];
  let size = 0;
  while (size < 1.5 * 1024 * 1024) {
    const line = Buffer.from(rng.bytes(rng.int(0, 200)).map((b) => (b === 0 || b === 10 || b === 13 ? 0x41 : b)));
    const prefix = rng.pick(['', '', '.', '..', '. ']);
    const full = Buffer.concat([Buffer.from(prefix, 'latin1'), line, Buffer.from(CRLF)]);
    lines.push(full);
    size += full.length;
  }
  return message('big', Buffer.concat(lines));
})();
const small = (n: number) => message(`small ${n}`, Buffer.from(`Message number ${n}.${CRLF}`, 'latin1'));
/** 45 messages (more than one pipelining window): small ones around 8-bit, dot-stuffed and >1 MiB ones. */
const PIPE_SPECIAL: Readonly<Record<number, Buffer>> = { 11: LATIN1, 12: DOTS, 21: BIG, 30: DOTS };
const PIPE_BOX = Array.from({ length: 45 }, (_, i) => PIPE_SPECIAL[i + 1] ?? small(i + 1));
const PIPE_NUMBERS = PIPE_BOX.map((_, i) => i + 1);

let dovecot: DovecotServer;
let ca: Buffer;
const proxies: Pop3Proxy[] = [];
const sources: Pop3Source[] = [];

function inbox(raws: readonly Buffer[]): CorpusMessage[] {
  return raws.map((raw) => ({ folder: 'INBOX', raw, flags: [], internalDate: RECEIVED_AT }));
}

/** A source on `user` (plain port, plaintext) unless `options` say otherwise; closed after all tests. */
function source(user: string, options: Partial<Pop3AccountOptions> = {}): Pop3Source {
  const created = new Pop3Source({
    host: '127.0.0.1', port: dovecot.pop3Port, user, password: dovecot.password, tls: 'off', timeoutMs: 10_000, ...options,
  });
  sources.push(created);
  return created;
}

async function proxy(options: Omit<Pop3ProxyOptions, 'port'> = {}): Promise<Pop3Proxy> {
  const started = await startPop3Proxy({ port: dovecot.pop3Port, ...options });
  proxies.push(started);
  return started;
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

async function readStream(stream: AsyncIterable<Buffer> | undefined): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream ?? []) chunks.push(chunk);
  return chunks;
}

/** A logger that keeps every record, to check what is (not) logged. */
function recordingLogger(): Pop3Logger & { text(): string } {
  const records: unknown[] = [];
  const keep = (obj: unknown, msg?: string) => records.push(obj, msg);
  return { debug: keep, info: keep, warn: keep, error: keep, text: () => JSON.stringify(records) };
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: ['bytes', 'dele', 'keep', 'shift', 'tls', 'pipe'] });
  ca = await fs.readFile(dovecot.caFile);
  const account = (user: string) => ({ port: dovecot.imapPort, user, password: dovecot.password });
  await loadMessages(account('bytes'), inbox([LATIN1, DOTS, BIG]));
  await loadMessages(account('dele'), inbox([1, 2, 3, 4, 5].map(small)));
  await loadMessages(account('keep'), inbox([1, 2, 3].map(small)));
  await loadMessages(account('shift'), inbox([small(1), small(2), BIG]));
  await loadMessages(account('tls'), inbox([small(1), DOTS]));
  await loadMessages(account('pipe'), inbox(PIPE_BOX));
});

afterAll(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await dovecot?.stop();
});

describe('exact bytes', () => {
  it('fetchRaw and streamRaw return 8-bit, dot-stuffed and >1 MiB messages byte for byte', async () => {
    // A UTF-8 round trip would change it: the bytes really are not UTF-8.
    expect(Buffer.from(LATIN1.toString('utf8'), 'utf8').equals(LATIN1)).toBe(false);
    const pop3 = source('bytes');
    const expected = [LATIN1, DOTS, BIG];
    const entries = await pop3.listMaildrop();
    expect(entries.map((e) => [e.number, e.size])).toEqual(expected.map((raw, i) => [i + 1, raw.length]));

    const raws = await pop3.fetchRaw('INBOX', [1, 2, 3, 99]);
    expect(raws.map((r) => r.uid)).toEqual([1, 2, 3]);
    raws.forEach((r, i) => {
      expect(r.raw.equals(expected[i] as Buffer), `message ${i + 1}`).toBe(true);
      expect(r.size).toBe(r.raw.length);
      expect(r.flags).toEqual([]);
      expect(r.internalDate).toEqual(RECEIVED_AT);
    });

    for (const [i, raw] of expected.entries()) {
      const chunks = await readStream(await pop3.streamRaw('INBOX', i + 1));
      expect(Buffer.concat(chunks).equals(raw), `streamed message ${i + 1}`).toBe(true);
      if (raw === BIG) expect(chunks.length).toBeGreaterThan(1);
    }
    expect(await pop3.streamRaw('INBOX', 99)).toBeUndefined();
    const metas = await pop3.fetchMeta('INBOX', [3, 1, 42]);
    expect(metas.map((m) => [m.uid, m.size])).toEqual([[3, BIG.length], [1, LATIN1.length]]);
  });

  it('runs concurrent calls one command at a time', async () => {
    const pop3 = source('bytes');
    const [first, streamed, second, uids] = await Promise.all([
      pop3.fetchRaw('INBOX', [1]),
      pop3.streamRaw('INBOX', 3).then(readStream),
      pop3.fetchRaw('INBOX', [2]),
      pop3.listUids('INBOX', 0),
    ]);
    expect(first[0]?.raw.equals(LATIN1)).toBe(true);
    expect(Buffer.concat(streamed).equals(BIG)).toBe(true);
    expect(second[0]?.raw.equals(DOTS)).toBe(true);
    expect(uids).toEqual([1, 2, 3]);
  });

  it('pauses for a slow reader of a stream instead of timing out or buffering the whole message', async () => {
    const pop3 = source('bytes', { timeoutMs: 200 });
    const stream = await pop3.streamRaw('INBOX', 3);
    // Longer than the timeout: the server is not the one late, so this must not fail.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((stream as NodeJS.ReadableStream & { readableLength: number }).readableLength).toBeLessThan(BIG.length);
    expect(Buffer.concat(await readStream(stream)).equals(BIG)).toBe(true);
    expect((await pop3.fetchRaw('INBOX', [2]))[0]?.raw.equals(DOTS)).toBe(true);
  });

  it('drops the connection when a stream is left half-read, and carries on in a new session', async () => {
    const counted = await proxy();
    const pop3 = source('bytes', { port: counted.port });
    const stream = await pop3.streamRaw('INBOX', 3);
    for await (const chunk of stream ?? []) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    const [dots] = await pop3.fetchRaw('INBOX', [2]);
    expect(dots?.raw.equals(DOTS)).toBe(true);
    expect(counted.accepted).toBe(2);
  });

  it('lists the UIDLs Dovecot has, in message-number order', async () => {
    // Dovecot's default pop3_uidl_format is %08Xu%08Xv: UID and UIDVALIDITY in 8-digit
    // hex (which Dovecot writes in lower case).
    const uids = (await dovecot.doveadm(['-f', 'tab', 'fetch', '-u', 'bytes', 'uid', 'mailbox', 'INBOX'])).trim().split('\n').slice(1);
    const status = await dovecot.doveadm(['mailbox', 'status', '-u', 'bytes', 'uidvalidity', 'INBOX']);
    const uidValidity = Number(/uidvalidity=(\d+)/.exec(status)?.[1]);
    const hex = (n: number) => n.toString(16).padStart(8, '0');
    expect(uids).toHaveLength(3);
    expect((await source('bytes').listMaildrop()).map((e) => e.uidl)).toEqual(uids.map((uid) => `${hex(Number(uid))}${hex(uidValidity)}`));
  });

  it('presents one folder, INBOX, and refuses any other', async () => {
    const pop3 = source('bytes');
    expect(await pop3.namespace()).toEqual({ prefix: '', delimiter: '/' });
    const [folder] = await pop3.listFolders({ withStatus: true });
    expect(folder).toEqual({
      path: 'INBOX', delimiter: null, selectable: true,
      status: { uidValidity: '1', uidNext: 4, messages: 3, bytes: LATIN1.length + DOTS.length + BIG.length },
    });
    expect(await pop3.listUids('INBOX', 1)).toEqual([2, 3]);
    const error = await failure(pop3.status('Archive'));
    expect(error).toMatchObject({ code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never' });
  });

  it('gives entries without uidl when the server has no UIDL', async () => {
    const noUidl = await proxy({ noUidl: true });
    const pop3 = source('bytes', { port: noUidl.port });
    const entries = await pop3.listMaildrop();
    expect(entries).toEqual([LATIN1, DOTS, BIG].map((raw, i) => ({ number: i + 1, size: raw.length })));
    const [first] = await pop3.fetchRaw('INBOX', [1]);
    expect(first?.raw.equals(LATIN1)).toBe(true);
  });
});

describe('pipelining (RFC 2449)', () => {
  /** How many RETRs each TCP read from the client carried (reads without RETR left out). */
  const retrsPerRead = (recorded: Pop3Proxy) => recorded.reads.map((read) => read.filter((c) => c === 'RETR').length).filter((n) => n > 0);
  /** The batch asked for: every message, with a number the listing does not have in the middle. */
  const batch = [...PIPE_NUMBERS.slice(0, 20), 99, ...PIPE_NUMBERS.slice(20)];
  const expectExact = (raws: Awaited<ReturnType<Pop3Source['fetchRaw']>>, absent: readonly number[]) => {
    expect(raws.map((r) => r.uid)).toEqual(PIPE_NUMBERS.filter((n) => !absent.includes(n)));
    for (const r of raws) expect(r.raw.equals(PIPE_BOX[r.uid - 1] as Buffer), `message ${r.uid}`).toBe(true);
  };

  it('sends a batch of RETRs ahead in a few writes and returns every message byte for byte, in order', async () => {
    // Message 13 is gone on the server's side: Dovecot answers its RETR with -ERR, in the middle of the batch.
    const recorded = await proxy({ missing: [13] });
    const pop3 = source('pipe', { port: recorded.port });
    const raws = await pop3.fetchRaw('INBOX', batch);
    expectExact(raws, [13]);
    expect(raws.find((r) => r.uid === 21)?.raw.length).toBeGreaterThan(1024 * 1024);

    const retrs = retrsPerRead(recorded);
    expect(retrs.reduce((a, b) => a + b, 0)).toBe(PIPE_NUMBERS.length);
    // Pipelined: many commands per write (not one per round trip), never more than the window of 32.
    expect(retrs.length).toBeLessThanOrEqual(4);
    expect(Math.max(...retrs)).toBeGreaterThan(1);
    expect(Math.max(...retrs)).toBeLessThanOrEqual(32);

    // The answers that followed the -ERR stayed in step, and so does the session.
    expect(await pop3.listUids('INBOX', 43)).toEqual([44, 45]);
    expect((await pop3.fetchRaw('INBOX', [12, 14]))[1]?.raw.equals(small(14))).toBe(true);
    expect(recorded.accepted).toBe(1);
  });

  it('keeps other commands out of a pipelined batch: concurrent calls run one after the other', async () => {
    const recorded = await proxy();
    const pop3 = source('pipe', { port: recorded.port });
    await pop3.listMaildrop();
    const before = recorded.reads.length;
    const [first, , second] = await Promise.all([
      pop3.fetchRaw('INBOX', PIPE_NUMBERS.slice(0, 20)),
      pop3.markDeleted([45]),
      pop3.fetchRaw('INBOX', PIPE_NUMBERS.slice(20)),
    ]);
    expect([...first, ...second].map((r) => r.uid)).toEqual(PIPE_NUMBERS.slice(0, 44));
    for (const r of [...first, ...second]) expect(r.raw.equals(PIPE_BOX[r.uid - 1] as Buffer), `message ${r.uid}`).toBe(true);
    const reads = recorded.reads.slice(before);
    expect(reads.flat()).toEqual([...Array<string>(20).fill('RETR'), 'DELE', ...Array<string>(24).fill('RETR')]);
    expect(reads.filter((read) => read.includes('DELE'))).toEqual([['DELE']]);
    // Closing drops the session without QUIT: the DELE is rolled back.
    await pop3.close();
    expect(await countMessages({ port: dovecot.imapPort, user: 'pipe', password: dovecot.password }, 'INBOX')).toBe(45);
  });

  it('reads one message at a time, as exactly, when the server does not list PIPELINING', async () => {
    const recorded = await proxy({ noPipelining: true, missing: [13] });
    const pop3 = source('pipe', { port: recorded.port });
    expectExact(await pop3.fetchRaw('INBOX', batch), [13]);
    const retrs = retrsPerRead(recorded);
    expect(retrs).toEqual(Array<number>(PIPE_NUMBERS.length).fill(1));
    // Every command waited for the answer before it.
    expect(recorded.reads.every((read) => read.length === 1)).toBe(true);
  });

  it('reads one message at a time from a server without CAPA, and refuses STLS there', async () => {
    const recorded = await proxy({ noCapa: true });
    const pop3 = source('pipe', { port: recorded.port });
    expectExact(await pop3.fetchRaw('INBOX', PIPE_NUMBERS), []);
    expect(recorded.reads.every((read) => read.length === 1)).toBe(true);
    const error = await failure(source('pipe', { port: recorded.port, tls: 'starttls', ca }).connect());
    expect(error).toMatchObject({ code: 'TLS_FAILED', retry: 'never' });
    expect(error.message).toMatch(/server does not offer STLS \(it has no CAPA command\)/);
  });

  it('rejects with CONNECTION_LOST when the connection is cut in the middle of a pipelined batch, and reconnects after', async () => {
    // In the first window of small messages, and inside the >1 MiB message 21.
    for (const cutAfterBytes of [8_000, 400_000]) {
      const cutting = await proxy({ cutAfterBytes });
      const pop3 = source('pipe', { port: cutting.port });
      await pop3.listMaildrop();
      const started = Date.now();
      const error = await failure(pop3.fetchRaw('INBOX', PIPE_NUMBERS));
      expect(error).toMatchObject({ code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
      expect(error.message).toMatch(/^fetch message \d+ from pipe@127\.0\.0\.1:\d+: connection lost/);
      expect(Date.now() - started).toBeLessThan(5_000);
      // It was pipelined: RETRs were outstanding when the connection went.
      expect(Math.max(...retrsPerRead(cutting))).toBeGreaterThan(1);
      // A new session; the cut is per connection, so read the start of the box only.
      await pop3.connect();
      const [first] = await pop3.fetchRaw('INBOX', [1]);
      expect(first?.raw.equals(small(1))).toBe(true);
    }
  });

  it('rejects with CONNECTION_LOST when the server goes silent in the middle of a pipelined batch', async () => {
    const stalling = await proxy({ stallAfterBytes: 8_000 });
    const pop3 = source('pipe', { port: stalling.port, timeoutMs: 300 });
    await pop3.listMaildrop();
    const started = Date.now();
    const error = await failure(pop3.fetchRaw('INBOX', PIPE_NUMBERS));
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', retry: 'now' });
    expect(error.message).toMatch(/connection lost \(the server sent nothing for 300 ms\)/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('deletion', () => {
  it('markDeleted + commit removes exactly the marked messages; the next call opens a new session', async () => {
    const pop3 = source('dele');
    const before = await pop3.listMaildrop();
    expect(before).toHaveLength(5);
    await pop3.markDeleted([2, 4]);
    expect((await pop3.listMaildrop()).map((e) => e.number)).toEqual([1, 3, 5]);
    await pop3.commit();
    // The numbers listed before the commit are void now: number 2 would be another message.
    expect(await failure(pop3.fetchRaw('INBOX', [2]))).toMatchObject({ code: 'CONNECTION_LOST' });
    const after = await pop3.listMaildrop();
    expect(after.map((e) => e.uidl)).toEqual([before[0], before[2], before[4]].map((e) => e?.uidl));
    expect(after.map((e) => e.number)).toEqual([1, 2, 3]);
    const raws = await pop3.fetchRaw('INBOX', [1, 2, 3]);
    expect(raws.map((r) => sha256(r.raw))).toEqual([1, 3, 5].map((n) => sha256(small(n))));
    expect(await countMessages({ port: dovecot.imapPort, user: 'dele', password: dovecot.password }, 'INBOX')).toBe(3);
  });

  it('markDeleted + close (no commit) removes nothing', async () => {
    const pop3 = source('keep');
    await pop3.listMaildrop();
    await pop3.markDeleted([1, 2, 3]);
    await pop3.close();
    expect(await source('keep').listMaildrop()).toHaveLength(3);
    expect(await countMessages({ port: dovecot.imapPort, user: 'keep', password: dovecot.password }, 'INBOX')).toBe(3);
  });

  it('refuses numbers from a lost session when the new session numbers the messages differently', async () => {
    const cutting = await proxy({ cutAfterBytes: 100_000 });
    const pop3 = source('shift', { port: cutting.port });
    const before = await pop3.listMaildrop();
    // Another client removes message 1 (its QUIT commits that)...
    const other = source('shift');
    await other.markDeleted([1]);
    await other.commit();
    // ...and this session dies: the next one numbers the remaining messages 1 and 2.
    expect(await failure(pop3.fetchRaw('INBOX', [3]))).toMatchObject({ code: 'CONNECTION_LOST' });
    const error = await failure(pop3.fetchRaw('INBOX', [2]));
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
    expect(error.message).toMatch(/message 2 is not the message it was when listed; list the maildrop again$/);
    // Listed again, the new numbers are the ones to use.
    expect((await pop3.listMaildrop()).map((e) => e.uidl)).toEqual(before.slice(1).map((e) => e.uidl));
    expect((await pop3.fetchRaw('INBOX', [1]))[0]?.raw.equals(small(2))).toBe(true);
  });
});

describe('login and TLS', () => {
  it('fails a wrong password with AUTH_FAILED, fast, after one attempt (USER/PASS and APOP)', async () => {
    for (const auth of ['user', 'auto'] as const) {
      const counted = await proxy();
      const logger = recordingLogger();
      const started = Date.now();
      const error = await failure(source('bytes', { port: counted.port, password: 'wrong-secret', auth, logger }).connect());
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
      // auto chose APOP (plaintext, the greeting has a timestamp); refused, it says what else to try.
      expect(error.message).toMatch(auth === 'user'
        ? /^login to bytes@127\.0\.0\.1:\d+: authentication failed \(.*\); check the user name and password$/
        : /^login to bytes@127\.0\.0\.1:\d+: the server refused APOP \(.*\); .*Set \?auth=user .*, or check the user name and password$/);
      expect(error.message).not.toContain('wrong-secret');
      expect(logger.text()).not.toContain('wrong-secret');
      expect(counted.accepted).toBe(1);
    }
  });

  it('refuses a password with CR or LF without connecting', async () => {
    const counted = await proxy();
    const error = await failure(source('bytes', { port: counted.port, password: 'x\r\nDELE 1' }).connect());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', retry: 'never' });
    expect(error.message).toMatch(/line break/);
    expect(error.message).not.toContain('DELE');
    expect(counted.accepted).toBe(0);
  });

  it('reads over pop3s (implicit TLS) with the CA, and refuses the certificate without it', async () => {
    const pop3 = source('tls', { port: dovecot.pop3sPort, tls: 'implicit', ca });
    const [, dots] = await pop3.fetchRaw('INBOX', [1, 2]);
    expect(dots?.raw.equals(DOTS)).toBe(true);
    const error = await failure(source('tls', { port: dovecot.pop3sPort, tls: 'implicit' }).connect());
    expect(error).toMatchObject({ code: 'TLS_FAILED', retry: 'never' });
  });

  it('upgrades the plain port with STLS and logs in with USER/PASS, the password masked in the log', async () => {
    const logger = recordingLogger();
    const pop3 = source('tls', { tls: 'starttls', ca, logger });
    const [, dots] = await pop3.fetchRaw('INBOX', [1, 2]);
    expect(dots?.raw.equals(DOTS)).toBe(true);
    const log = logger.text();
    expect(log).toContain('"command":"STLS"');
    expect(log).toContain('"command":"PASS ****"');
    expect(log).not.toContain(dovecot.password);
    const error = await failure(source('tls', { tls: 'starttls' }).connect());
    expect(error).toMatchObject({ code: 'TLS_FAILED', retry: 'never' });
  });

  it('never goes on in plaintext when the server refuses STLS', async () => {
    const noStls = await proxy({ noStls: true });
    const error = await failure(source('tls', { port: noStls.port, tls: 'starttls', ca }).connect());
    expect(error).toMatchObject({ code: 'TLS_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(/server does not offer STLS.*; use pop3s:\/\/ or \?tls=off$/);
  });

  it('logs in with APOP on plaintext', async () => {
    const logger = recordingLogger();
    const pop3 = source('tls', { auth: 'apop', logger });
    expect(await pop3.listUids('INBOX', 0)).toEqual([1, 2]);
    expect(logger.text()).toContain('"command":"APOP tls ****"');
    expect(logger.text()).not.toContain('"command":"USER');
  });

  it('fails implicit TLS against the plain port quickly', async () => {
    const started = Date.now();
    const error = await failure(source('tls', { tls: 'implicit', ca }).connect());
    expect(['TLS_FAILED', 'CONNECTION_LOST']).toContain(error.code);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('a server that fails', () => {
  it('rejects a pending RETR with CONNECTION_LOST when the server closes mid-message, and reconnects after', async () => {
    const cutting = await proxy({ cutAfterBytes: 300_000 });
    const pop3 = source('bytes', { port: cutting.port });
    await pop3.listMaildrop();
    const error = await failure(pop3.fetchRaw('INBOX', [3]));
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
    expect(error.message).toMatch(/^fetch message 3 from bytes@127\.0\.0\.1:\d+: connection lost/);

    await pop3.connect();
    const stream = await pop3.streamRaw('INBOX', 3);
    const streamed = await failure(readStream(stream));
    expect(streamed).toMatchObject({ code: 'CONNECTION_LOST' });

    await pop3.connect();
    const [first] = await pop3.fetchRaw('INBOX', [1]);
    expect(first?.raw.equals(LATIN1)).toBe(true);
    expect(cutting.accepted).toBe(3);
  });

  it('fails with CONNECTION_LOST at once when nothing listens on the port, plaintext or TLS', async () => {
    const port = await freePort();
    for (const tls of ['off', 'implicit'] as const) {
      const error = await failure(source('bytes', { port, tls, ca }).connect());
      expect(error).toMatchObject({ code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
      expect(error.message).toContain(`connect to bytes@127.0.0.1:${port}: connection failed (ECONNREFUSED`);
    }
  });

  it('gives up with CONNECTION_LOST when the server never answers', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const port = (silent.address() as net.AddressInfo).port;
      const error = await failure(source('bytes', { port, timeoutMs: 300 }).connect());
      expect(error).toMatchObject({ code: 'CONNECTION_LOST', retry: 'now' });
      expect(error.message).toMatch(/^connect to bytes@127\.0\.0\.1:\d+: connection lost \(the server sent nothing for/);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
