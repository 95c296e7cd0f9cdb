import { describe, expect, it } from 'vitest';
import { exactBytes, NO_BINARY, UNRESOLVABLE, type BinaryFetch } from '../../../src/connectors/imap/exact-bytes.js';
import { toConnectorError } from '../../../src/connectors/imap/imap-errors.js';
import type { RawMessage } from '../../../src/connectors/types.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

function message(uid: number, raw: Buffer): RawMessage {
  return { uid, size: raw.length, flags: ['\\Seen'], internalDate: new Date(0), raw };
}

/**
 * A server refusal as the session gives it: imapflow's FETCH error (the response code
 * only in the parsed tagged response) through toConnectorError.
 */
function refusal(code: string, text: string) {
  const response = { tag: 'A', command: 'NO', attributes: [{ type: 'ATOM', value: '', section: [{ type: 'ATOM', value: code }] }, { type: 'TEXT', value: text }] };
  return toConnectorError({ message: 'Command failed', response, responseStatus: 'NO', responseText: text }, 'fetch from "INBOX"', 'folder');
}

/**
 * A BINARY[] reader over `answers` that behaves as Dovecot does: a FETCH that meets a
 * refused message fails as a whole. `calls` records the UID lists asked for.
 */
function fakeServer(answers: ReadonlyMap<number, Buffer | 'UNKNOWN-CTE' | 'BYE'>): { fetch: BinaryFetch; calls: number[][] } {
  const calls: number[][] = [];
  const fetch: BinaryFetch = async (uids) => {
    calls.push([...uids]);
    const found = new Map<number, Buffer>();
    for (const uid of uids) {
      const answer = answers.get(uid);
      if (answer === 'UNKNOWN-CTE') throw refusal('UNKNOWN-CTE', 'Unknown Content-Transfer-Encoding');
      if (answer === 'BYE') throw toConnectorError({ code: 'NoConnection', message: 'connection lost' }, 'fetch');
      if (answer !== undefined) found.set(uid, answer);
    }
    return found;
  };
  return { fetch, calls };
}

// Stored bytes and what the server's BODY[] (NUL as 0x80) and BINARY[] give for them.
const PLAIN = latin1('Subject: plain\r\n\r\nno 0x80 here\r\n');
const UTF8 = Buffer.from('Subject: \u201cq\u201d\r\n\r\n\u201cbody\u201d\r\n', 'utf8');
const NUL_STORED = latin1('Subject: a\x00b\r\n\r\nbody\x00\r\n');
const NUL_BODY = latin1('Subject: a\x80b\r\n\r\nbody\x80\r\n');
const B64_STORED = latin1('Subject: a\x00b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n');
const B64_BODY = latin1('Subject: a\x80b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n');
const B64_BINARY = latin1('Subject: a\x00b\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02');
const UUE_BODY = latin1('Subject: u\x80\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\nend\r\n');

describe('exactBytes', () => {
  it('returns messages without a suspect 0x80 as they are, without asking BINARY[]', async () => {
    const { fetch, calls } = fakeServer(new Map());
    const messages = [message(1, PLAIN), message(2, UTF8)];
    expect(await exactBytes(messages, fetch)).toBe(messages);
    expect(calls).toEqual([]);
  });

  it('reads the suspects in one BINARY FETCH and puts their NULs back', async () => {
    const { fetch, calls } = fakeServer(new Map([[2, NUL_STORED], [4, NUL_STORED]]));
    const result = await exactBytes([message(1, PLAIN), message(2, NUL_BODY), message(3, UTF8), message(4, NUL_BODY)], fetch);
    expect(calls).toEqual([[2, 4]]);
    expect(result.map((m) => [m.uid, m.raw.toString('latin1'), m.inexact])).toEqual([
      [1, PLAIN.toString('latin1'), undefined],
      [2, NUL_STORED.toString('latin1'), undefined],
      [3, UTF8.toString('latin1'), undefined],
      [4, NUL_STORED.toString('latin1'), undefined],
    ]);
    expect(result[1]).toMatchObject({ flags: ['\\Seen'], size: NUL_BODY.length });
  });

  it('marks a suspect inexact when BINARY[] cannot tell its bytes (decoded parts), keeping the BODY[] bytes', async () => {
    const { fetch } = fakeServer(new Map([[1, B64_BINARY]]));
    const [result] = await exactBytes([message(1, B64_BODY)], fetch);
    expect(result?.inexact).toBe(UNRESOLVABLE);
    expect(result?.raw).toEqual(B64_BODY);
    expect(B64_STORED).not.toEqual(B64_BODY);
  });

  it('marks every suspect inexact when the server has no BINARY, and only the suspects', async () => {
    const result = await exactBytes([message(1, PLAIN), message(2, NUL_BODY), message(3, UTF8)], undefined);
    expect(result.map((m) => m.inexact)).toEqual([undefined, NO_BINARY, undefined]);
    expect(NO_BINARY).toMatch(/0x80.*no BINARY/);
  });

  it('after a FETCH refused for one message, reads each suspect on its own and marks only the refused one', async () => {
    const { fetch, calls } = fakeServer(new Map<number, Buffer | 'UNKNOWN-CTE'>([[1, NUL_STORED], [2, 'UNKNOWN-CTE'], [3, NUL_STORED]]));
    const result = await exactBytes([message(1, NUL_BODY), message(2, UUE_BODY), message(3, NUL_BODY)], fetch);
    expect(calls).toEqual([[1, 2, 3], [1], [2], [3]]);
    expect(result.map((m) => m.raw.toString('latin1'))).toEqual([NUL_STORED, UUE_BODY, NUL_STORED].map((b) => b.toString('latin1')));
    expect(result[1]?.inexact).toMatch(/refused BINARY\[\] \(RFC 3516\) for it: \[UNKNOWN-CTE\] Unknown Content-Transfer-Encoding$/);
    expect(result[0]?.inexact).toBeUndefined();
  });

  it('marks a single refused suspect without asking again', async () => {
    const { fetch, calls } = fakeServer(new Map([[2, 'UNKNOWN-CTE' as const]]));
    const result = await exactBytes([message(2, UUE_BODY)], fetch);
    expect(calls).toEqual([[2]]);
    expect(result[0]?.inexact).toMatch(/UNKNOWN-CTE/);
  });

  it('leaves out a suspect that vanished before its BINARY[] was read', async () => {
    const { fetch } = fakeServer(new Map([[1, NUL_STORED]]));
    const result = await exactBytes([message(1, NUL_BODY), message(2, NUL_BODY), message(3, PLAIN)], fetch);
    expect(result.map((m) => m.uid)).toEqual([1, 3]);
  });

  it('passes on any other failure (a lost connection), never a message as exact', async () => {
    const { fetch } = fakeServer(new Map<number, Buffer | 'BYE'>([[1, NUL_STORED], [2, 'BYE']]));
    await expect(exactBytes([message(1, NUL_BODY), message(2, NUL_BODY)], fetch)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });

  it('passes on a refusal that is not about one message', async () => {
    const fetch: BinaryFetch = () => Promise.reject(refusal('SERVERBUG', 'Internal error'));
    await expect(exactBytes([message(1, NUL_BODY), message(2, NUL_BODY)], fetch)).rejects.toMatchObject({ code: 'FOLDER_FAILED' });
  });
});
