import { describe, expect, it } from 'vitest';
import { DotDecoder } from '../../../src/connectors/pop3/dot-decoder.js';
import { Prng } from '../../support/prng.js';

/** What a POP3 server sends for `body` (CRLF lines): every line starting with "." gets one more, then "." CRLF. */
function stuff(body: Buffer): Buffer {
  const out: number[] = [];
  let lineStart = true;
  for (const byte of body) {
    if (lineStart && byte === 0x2e) out.push(0x2e);
    out.push(byte);
    lineStart = byte === 0x0a;
  }
  return Buffer.concat([Buffer.from(out), Buffer.from('.\r\n')]);
}

interface Decoded {
  bytes: Buffer;
  done: boolean;
  pieces: Buffer[];
}

function decode(chunks: readonly Buffer[]): Decoded {
  const decoder = new DotDecoder();
  const pieces = chunks.flatMap((chunk) => decoder.push(chunk));
  return { bytes: Buffer.concat(pieces), done: decoder.done, pieces };
}

/** The wire split at `cuts` (ascending offsets). */
function split(wire: Buffer, cuts: readonly number[]): Buffer[] {
  const edges = [0, ...cuts, wire.length];
  return edges.slice(1).map((end, i) => wire.subarray(edges[i], end));
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** Bodies as they are stored: CRLF lines (a server sends nothing else). */
const BODIES: ReadonlyArray<[string, Buffer]> = [
  ['empty body (first line is the terminator)', Buffer.alloc(0)],
  ['a body that is just CRLF', latin1('\r\n')],
  ['one plain line', latin1('Hello\r\n')],
  ['8-bit bytes that are not UTF-8', Buffer.concat([latin1('Subject: Gr\xfc\xdfe\r\n\r\nCaf\xe9 \x80\x81\xfe\xff\r\n'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0x0d, 0x0a])])],
  ['a line that is only "."', latin1('a\r\n.\r\nb\r\n')],
  ['a line that is only ".."', latin1('a\r\n..\r\nb\r\n')],
  ['lines starting with "." and ".."', latin1('.hidden\r\n..two\r\n...\r\n. space\r\n')],
  ['the first line starts with "."', latin1('.first\r\nsecond\r\n')],
  ['the last line is "."', latin1('text\r\n.\r\n')],
  ['the only line is "."', latin1('.\r\n')],
  ['a "." after a bare CR is not a line start', latin1('a\r.b\r\n')],
  ['".\\r" then not LF', latin1('.\rX\r\n')],
  ['blank lines and CRLF runs', latin1('\r\n\r\n\r\n.\r\n\r\n')],
  ['dots inside lines stay', latin1('a.b..c\r\n x.\r\n')],
];

describe('DotDecoder', () => {
  it.each(BODIES)('%s: whole, at every split position, and one byte at a time', (_name, body) => {
    const wire = stuff(body);
    expect(decode([wire])).toMatchObject({ bytes: body, done: true });
    for (let cut = 0; cut <= wire.length; cut++) {
      const result = decode(split(wire, [cut]));
      expect(result.bytes.equals(body), `split at ${cut}`).toBe(true);
      expect(result.done).toBe(true);
    }
    const bytes = [...wire].map((b) => Buffer.from([b]));
    expect(decode(bytes)).toMatchObject({ bytes: body, done: true });
  });

  it.each(BODIES.filter(([, body]) => body.length <= 24))('%s: at every pair of split positions', (_name, body) => {
    const wire = stuff(body);
    for (let a = 0; a <= wire.length; a++) {
      for (let b = a; b <= wire.length; b++) {
        const result = decode(split(wire, [a, b]));
        expect(result.bytes.equals(body), `split at ${a}, ${b}`).toBe(true);
        expect(result.done).toBe(true);
      }
    }
  });

  it('finds the terminator split across chunks at every offset, and not before it is complete', () => {
    const body = latin1('Line one\r\nLine two\r\n');
    const wire = stuff(body);
    for (let offset = wire.length - 5; offset < wire.length; offset++) {
      const decoder = new DotDecoder();
      const first = decoder.push(wire.subarray(0, offset));
      expect(decoder.done, `offset ${offset}`).toBe(false);
      const second = decoder.push(wire.subarray(offset));
      expect(decoder.done).toBe(true);
      expect(Buffer.concat([...first, ...second]).equals(body)).toBe(true);
    }
  });

  it('is not done on "\\r\\n.\\r" or on "." CRLF in the middle of a line', () => {
    for (const wire of ['a\r\n.\r', 'a.\r\n', 'a\r\n.', 'a\r\n..\r\n', '\r\n']) {
      const decoder = new DotDecoder();
      decoder.push(latin1(wire));
      expect(decoder.done, JSON.stringify(wire)).toBe(false);
    }
  });

  it('ignores bytes after the terminator, in the same chunk and in later ones', () => {
    const body = latin1('a\r\n..b\r\n');
    const wire = Buffer.concat([stuff(body), latin1('+OK next\r\n')]);
    const decoder = new DotDecoder();
    const pieces = decoder.push(wire);
    expect(decoder.push(latin1('.\r\nmore\r\n'))).toEqual([]);
    expect(decoder.done).toBe(true);
    expect(Buffer.concat(pieces).equals(body)).toBe(true);
  });

  it('keeps the bytes after the terminator in the chunk that ended the body (the next pipelined answer), wherever it was split', () => {
    const body = latin1('a\r\n.\r\n..b\r\n');
    const next = latin1('+OK 12 octets\r\nx\r\n.\r\n-ERR no');
    const wire = Buffer.concat([stuff(body), next]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const decoder = new DotDecoder();
      const [head, tail] = split(wire, [cut]) as [Buffer, Buffer];
      const pieces = decoder.push(head);
      const finishedEarly = decoder.done;
      if (!finishedEarly) pieces.push(...decoder.push(tail));
      expect(Buffer.concat(pieces).equals(body), `split at ${cut}`).toBe(true);
      const rest = finishedEarly ? Buffer.concat([decoder.trailing, tail]) : decoder.trailing;
      expect(rest.equals(next), `split at ${cut}`).toBe(true);
    }
    const unfinished = new DotDecoder();
    unfinished.push(latin1('no end\r\n'));
    expect(unfinished.trailing.length).toBe(0);
  });

  it('emits views of the input chunks instead of copies', () => {
    const chunk = stuff(latin1('x'.repeat(1000) + '\r\n..y\r\n'));
    const { pieces } = decode([chunk]);
    expect(pieces.length).toBeGreaterThan(0);
    for (const piece of pieces) expect(piece.buffer).toBe(chunk.buffer);
  });

  it('round-trips random CRLF bodies of dots, CRs and 8-bit bytes under random chunking', () => {
    const rng = new Prng(20240601);
    const atoms = ['.', '..', '\r', 'a', ' ', '\x80', '\xff', '\xe9', '\x00'];
    for (let round = 0; round < 400; round++) {
      const lines = Array.from({ length: rng.int(0, 12) }, () =>
        Array.from({ length: rng.int(0, 6) }, () => rng.pick(atoms)).join(''),
      );
      const body = latin1(lines.map((line) => `${line}\r\n`).join(''));
      const wire = stuff(body);
      const cuts: number[] = [];
      for (let at = 0; at < wire.length; at += rng.int(1, 5)) cuts.push(at);
      const result = decode(split(wire, cuts));
      expect(result.bytes.equals(body), `round ${round}: ${JSON.stringify(body.toString('latin1'))} cut at ${cuts.join(',')}`).toBe(true);
      expect(result.done).toBe(true);
    }
  });
});
