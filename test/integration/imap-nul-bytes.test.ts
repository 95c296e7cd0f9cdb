/**
 * Messages with NUL bytes on a real Dovecot 2.3, appended as literal8 (RFC 3516 4.4):
 * its BODY[] shows each NUL as 0x80, so the IMAP connector must read such messages again
 * with BINARY[] and give their exact bytes, or mark them `inexact`. And our MULTIAPPEND
 * must store messages with NULs exactly (read back with BINARY.PEEK[], the only answer
 * that shows the NULs).
 *
 * What Dovecot does at APPEND, as seen here: a literal8 message is stored as sent, except
 * that a `Content-Transfer-Encoding: binary` part is converted to base64 (its header
 * rewritten; for a single-part message the final CRLF becomes part of the encoded body).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapSource, type ImapAccountOptions } from '../../src/connectors/imap/index.js';
import { NO_BINARY, UNRESOLVABLE } from '../../src/connectors/imap/exact-bytes.js';
import { multiAppend } from '../../src/connectors/imap/multi-append.js';
import type { RawMessage } from '../../src/connectors/types.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { connectImap } from '../support/imap-account.js';
import { RawImap } from '../support/imap-raw.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const USER = 'nul';
const FOLDER = 'Nul';

/** Dovecot's default capabilities (2.3.19) without the given ones; set with imap_capability. */
function capabilitiesWithout(...left: string[]): string {
  const all = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT ' +
    'MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT ' +
    'SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY QUOTA';
  const kept = all.split(' ').filter((capability) => !left.includes(capability));
  return `protocol imap {\n  imap_capability = ${kept.join(' ')}\n}\n`;
}

const MULTIPART = 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BB"\r\n\r\n';
const OCTETS_BINARY = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n';
const OCTETS_BASE64 = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';

interface Fixture {
  /** What is appended (as a literal8). */
  readonly appended: Buffer;
  /** What Dovecot stores, hence what fetchRaw must give; undefined: it must mark the message inexact. */
  readonly stored: Buffer | undefined;
  /** The part of the `inexact` reason expected. */
  readonly inexact?: string | RegExp;
}

const FIXTURES = {
  nulInHeaderAndBody: {
    appended: latin1('Subject: a\x00b\r\nFrom: x@y\r\n\r\nbody\x00with nul\r\n'),
    stored: latin1('Subject: a\x00b\r\nFrom: x@y\r\n\r\nbody\x00with nul\r\n'),
  },
  binaryPartSingle: {
    appended: latin1(`Subject: bin\r\n${OCTETS_BINARY}ab\x00\x01\x02\xffcd\r\n`),
    // base64 of "ab\0\1\2\xffcd\r\n": the message's last CRLF is encoded too, none follows.
    stored: latin1(`Subject: bin\r\n${OCTETS_BASE64}YWIAAQL/Y2QNCg==`),
  },
  binaryPartAndNulText: {
    appended: latin1(`Subject: parts\r\n${MULTIPART}--BB\r\nContent-Type: text/plain\r\n\r\nhi\x00x\r\n--BB\r\n${OCTETS_BINARY}ab\x00\x01\x02\xffcd\r\n--BB--\r\n`),
    stored: latin1(`Subject: parts\r\n${MULTIPART}--BB\r\nContent-Type: text/plain\r\n\r\nhi\x00x\r\n--BB\r\n${OCTETS_BASE64}YWIAAQL/Y2Q=\r\n--BB--\r\n`),
  },
  nulInHeaderAndBase64Part: {
    appended: latin1(`Subject: a\x00b\r\n${MULTIPART}pre\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BB\r\n${OCTETS_BASE64}AAECgAQF\r\n--BB--\r\nepi\r\n`),
    stored: latin1(`Subject: a\x00b\r\n${MULTIPART}pre\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BB\r\n${OCTETS_BASE64}AAECgAQF\r\n--BB--\r\nepi\r\n`),
  },
  cp1252EuroAndBase64Part: {
    appended: latin1(`Subject: price\r\n${MULTIPART}--BB\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\n5 \x80\r\n--BB\r\n${OCTETS_BASE64}AAEC\r\n--BB--\r\n`),
    stored: latin1(`Subject: price\r\n${MULTIPART}--BB\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\n5 \x80\r\n--BB\r\n${OCTETS_BASE64}AAEC\r\n--BB--\r\n`),
  },
  utf8Quotes: {
    appended: Buffer.from('Subject: \u201cquoted\u201d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\u201cHello\u201d \u2026\r\n', 'utf8'),
    stored: Buffer.from('Subject: \u201cquoted\u201d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\u201cHello\u201d \u2026\r\n', 'utf8'),
  },
  base64SingleNulHeader: {
    appended: latin1(`Subject: a\x00b\r\n${OCTETS_BASE64}AAEC\r\n`),
    stored: undefined,
    inexact: UNRESOLVABLE,
  },
  uuencodeNulHeader: {
    appended: latin1('Subject: u\x00\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\nend\r\n'),
    stored: undefined,
    inexact: /refused BINARY\[\] \(RFC 3516\) for it: .*\[UNKNOWN-CTE\]/,
  },
} satisfies Record<string, Fixture>;

type FixtureName = keyof typeof FIXTURES;

let dovecot: DovecotServer;
let noLiteralPlus: DovecotServer;
let noBinary: DovecotServer;
const uids = new Map<FixtureName, number>();

beforeAll(async () => {
  [dovecot, noLiteralPlus, noBinary] = await Promise.all([
    startDovecot({ users: [USER] }),
    startDovecot({ users: [USER], extraConfig: capabilitiesWithout('LITERAL+') }),
    startDovecot({ users: [USER], extraConfig: capabilitiesWithout('BINARY') }),
  ]);
  const imap = await RawImap.login(dovecot.imapPort, USER, dovecot.password);
  try {
    await imap.command(`CREATE ${FOLDER}`);
    for (const [name, fixture] of Object.entries(FIXTURES) as Array<[FixtureName, Fixture]>) {
      uids.set(name, await imap.appendLiteral8(FOLDER, fixture.appended));
    }
  } finally {
    await imap.logout();
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([dovecot?.stop(), noLiteralPlus?.stop(), noBinary?.stop()]);
});

function account(server: DovecotServer): ImapAccountOptions {
  return { host: '127.0.0.1', port: server.imapPort, user: USER, password: server.password, tls: 'off' };
}

/** UID -> BINARY.PEEK[] (`binary`) or BODY.PEEK[] as imapflow reads them, independently of the connector. */
async function readBack(server: DovecotServer, folder: string, uidList: readonly number[], binary: boolean): Promise<Map<number, Buffer>> {
  const client = await connectImap({ port: server.imapPort, user: USER, password: server.password });
  try {
    await client.mailboxOpen(folder, { readOnly: true });
    const messages = await client.fetchAll(uidList.join(','), { uid: true, source: true }, { uid: true, binary });
    const result = new Map<number, Buffer>();
    for (const message of messages) {
      if (!message.source) throw new Error(`no ${binary ? 'BINARY' : 'BODY'}[] for UID ${message.uid}`);
      result.set(message.uid, message.source);
    }
    if (result.size !== uidList.length) throw new Error(`read back ${result.size} of ${uidList.length} messages`);
    return result;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function withSource<T>(server: DovecotServer, fn: (source: ImapSource) => Promise<T>): Promise<T> {
  const source = new ImapSource(account(server));
  await source.connect();
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

function uidOf(name: FixtureName): number {
  const uid = uids.get(name);
  if (uid === undefined) throw new Error(`${name} was not appended`);
  return uid;
}

describe('ImapSource.fetchRaw on Dovecot (BINARY)', () => {
  let fetched: Map<FixtureName, RawMessage>;

  beforeAll(async () => {
    // All in one fetchRaw: one refused BINARY FETCH (the x-uuencode message) must not spoil the others.
    const names = Object.keys(FIXTURES) as FixtureName[];
    const raws = await withSource(dovecot, (source) => source.fetchRaw(FOLDER, names.map(uidOf)));
    fetched = new Map(names.flatMap((name) => raws.filter((raw) => raw.uid === uidOf(name)).map((raw) => [name, raw] as const)));
    expect(fetched.size).toBe(names.length);
  });

  it.each(Object.entries(FIXTURES).filter(([, f]) => f.stored !== undefined) as Array<[FixtureName, Fixture]>)(
    '%s: the stored bytes, not marked',
    (name, fixture) => {
      const message = fetched.get(name);
      expect(message?.inexact).toBeUndefined();
      expect(message?.raw.toString('latin1')).toBe(fixture.stored?.toString('latin1'));
      expect(message?.raw.length).toBe(message?.size);
    },
  );

  it('the messages without encoded parts are what BINARY.PEEK[] gives, which BODY.PEEK[] is not', async () => {
    const plain: FixtureName[] = ['nulInHeaderAndBody', 'utf8Quotes'];
    const binaries = await readBack(dovecot, FOLDER, plain.map(uidOf), true);
    for (const name of plain) {
      expect(fetched.get(name)?.raw).toEqual(binaries.get(uidOf(name)));
    }
    const [body] = (await readBack(dovecot, FOLDER, [uidOf('nulInHeaderAndBody')], false)).values();
    expect(body?.toString('latin1')).toBe('Subject: a\x80b\r\nFrom: x@y\r\n\r\nbody\x80with nul\r\n');
  });

  it('the messages with an encoded part are what BODY.PEEK[] gives with the NULs put back, not what BINARY.PEEK[] gives', async () => {
    const encoded: FixtureName[] = ['binaryPartSingle', 'binaryPartAndNulText', 'nulInHeaderAndBase64Part'];
    const bodies = await readBack(dovecot, FOLDER, encoded.map(uidOf), false);
    const binaries = await readBack(dovecot, FOLDER, encoded.map(uidOf), true);
    for (const name of encoded) {
      const raw = fetched.get(name)?.raw;
      const body = bodies.get(uidOf(name));
      // Where BODY[] has no 0x80 in place of a NUL it is the stored bytes itself.
      if (body?.includes(0x80)) expect(raw?.equals(body)).toBe(false);
      else expect(raw).toEqual(body);
      expect(raw?.length).toBe(body?.length);
      expect(raw?.equals(binaries.get(uidOf(name)) ?? Buffer.alloc(0))).toBe(false);
    }
  });

  it.each(Object.entries(FIXTURES).filter(([, f]) => f.stored === undefined) as Array<[FixtureName, Fixture]>)(
    '%s: marked inexact with the reason, with the BODY[] bytes',
    async (name, fixture) => {
      const message = fetched.get(name);
      expect(message?.inexact).toMatch(fixture.inexact ?? /./);
      const [body] = (await readBack(dovecot, FOLDER, [uidOf(name)], false)).values();
      expect(message?.raw).toEqual(body);
      expect(message?.raw.includes(0x80)).toBe(true);
    },
  );
});

describe('ImapSession.fetchLarge on Dovecot', () => {
  const mib = 1024 * 1024;
  // 3 MiB with NULs spread over more than one 1 MiB piece, and one that cannot be told.
  const large = latin1(`Subject: large\x00\r\n\r\n${'line with a \x00 and text\r\n'.repeat(Math.ceil((3 * mib) / 25))}`);
  const largeBase64 = latin1(`Subject: large\x00\r\n${OCTETS_BASE64}${'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\r\n'.repeat(Math.ceil((2 * mib) / 66))}`);

  it('reads a large message with NULs in 1 MiB pieces and gives its exact bytes; marks the one it cannot tell', async () => {
    const imap = await RawImap.login(dovecot.imapPort, USER, dovecot.password);
    let uid: number;
    let uidBase64: number;
    try {
      uid = await imap.appendLiteral8(FOLDER, large);
      uidBase64 = await imap.appendLiteral8(FOLDER, largeBase64);
    } finally {
      await imap.logout();
    }
    const [exact, unresolvable] = await withSource(dovecot, async (source) => {
      const metas = await source.fetchMeta(FOLDER, [uid, uidBase64]);
      return Promise.all([uid, uidBase64].map(async (u) => {
        const meta = metas.find((m) => m.uid === u);
        if (!meta) throw new Error(`no meta for UID ${u}`);
        return source.fetchLarge(FOLDER, meta);
      }));
    });
    expect(exact?.inexact).toBeUndefined();
    expect(exact?.raw.equals(large)).toBe(true);
    expect(unresolvable?.inexact).toBe(UNRESOLVABLE);
    expect(unresolvable?.raw.length).toBe(largeBase64.length);
    const gone = await withSource(dovecot, (source) => source.fetchLarge(FOLDER, { uid: 999_999, size: 10, flags: [], internalDate: new Date() }));
    expect(gone).toBeUndefined();
  });
});

describe('a server without BINARY', () => {
  it('gives a message whose BODY[] may hide NULs marked inexact (never its BODY[] as exact), and the others as they are', async () => {
    const imap = await RawImap.login(noBinary.imapPort, USER, noBinary.password);
    let nul: number;
    let utf8: number;
    try {
      nul = await imap.appendLiteral8('INBOX', FIXTURES.nulInHeaderAndBody.appended);
      utf8 = await imap.appendLiteral8('INBOX', FIXTURES.utf8Quotes.appended);
    } finally {
      await imap.logout();
    }
    const raws = await withSource(noBinary, (source) => source.fetchRaw('INBOX', [nul, utf8]));
    expect(raws.map((m) => [m.uid, m.inexact])).toEqual([[nul, NO_BINARY], [utf8, undefined]]);
    expect(raws[1]?.raw).toEqual(FIXTURES.utf8Quotes.stored);
  });
});

describe('multiAppend (MULTIAPPEND, RFC 3502) of messages with NULs', () => {
  const items = [
    latin1('Subject: n\x00\r\n\r\nb\x00\r\n'),
    latin1('Subject: plain\r\n\r\nhi\r\n'),
    // Over imapflow's 4096-byte limit for non-synchronizing literals.
    latin1(`Subject: big\x00\r\n\r\n${'z\x00'.repeat(5000)}\r\n`),
    Buffer.from('Subject: \u201cutf8\u201d\r\n\r\n\u201cx\u201d\x00\r\n', 'utf8'),
    latin1('Subject: cp1252\r\n\r\n5 \x80 and a \x00\r\n'),
  ];

  it.each([
    ['with LITERAL+ (bodies written after the placeholders)', () => dovecot],
    ['without LITERAL+ (synchronizing literal8s)', () => noLiteralPlus],
  ])('%s stores the exact bytes', async (_name, server) => {
    const client = await connectImap({ port: server().imapPort, user: USER, password: server().password });
    let appended: number[];
    try {
      await client.mailboxCreate('Multi');
      appended = await multiAppend(client, 'Multi', items.map((raw) => ({ raw, flags: ['\\Seen'], internalDate: new Date('2024-01-02T03:04:05Z') })));
    } finally {
      await client.logout().catch(() => client.close());
    }
    expect(appended).toHaveLength(items.length);
    const back = await readBack(server(), 'Multi', appended, true);
    expect(appended.map((uid) => back.get(uid)?.toString('latin1'))).toEqual(items.map((item) => item.toString('latin1')));
    const raws = await withSource(server(), (source) => source.fetchRaw('Multi', appended));
    expect(raws.map((m) => [m.raw.toString('latin1'), m.inexact, m.size])).toEqual(items.map((item) => [item.toString('latin1'), undefined, item.length]));
  });
});
