/**
 * The IMAP framer of the throttle proxy (test/support/imap-framing.ts): the same pieces
 * however the stream is cut into TCP reads.
 */
import { describe, expect, it } from 'vitest';
import { ImapFramer, literalAtEnd, type ImapPiece } from '../support/imap-framing.js';

const STREAM = Buffer.concat([
  Buffer.from('A1 LOGIN {4+}\r\nuser {2}\r\n'),
  Buffer.from('pw\r\n'),
  Buffer.from('A2 APPEND INBOX ~{6+}\r\n'),
  Buffer.from([0, 0x0d, 0x0a, 0x41, 0x32, 0x20]), // NUL, CRLF and "A2 " inside the literal
  Buffer.from(' {0}\r\n\r\n'),
  Buffer.from('A3 SEARCH SUBJECT "{5}"\r\n'), // not a literal: the line ends in a quoted string
  Buffer.from('DONE\r\n'),
]);

/** Pieces as text, with literal bytes of one literal joined (reads may split them). */
function frame(chunks: Buffer[]): string[] {
  const out: string[] = [];
  const framer = new ImapFramer((piece: ImapPiece) => {
    const text = piece.bytes.toString('latin1');
    if (piece.kind === 'literal' && out.at(-1)?.startsWith('literal:')) out[out.length - 1] += text;
    else out.push(piece.kind === 'line' ? `${piece.first ? 'first' : 'more'}:${text}` : `${piece.kind}:${text}`);
  });
  chunks.forEach((chunk, i) => framer.push(chunk, i));
  return out;
}

describe('ImapFramer', () => {
  it('finds the same lines and literals at every split of the stream', () => {
    const whole = frame([STREAM]);
    expect(whole).toEqual([
      'first:A1 LOGIN {4+}\r\n',
      'literal:user',
      'more: {2}\r\n',
      'literal:pw',
      'more:\r\n',
      'first:A2 APPEND INBOX ~{6+}\r\n',
      'literal:\0\r\nA2 ',
      'more: {0}\r\n',
      'more:\r\n',
      'first:A3 SEARCH SUBJECT "{5}"\r\n',
      'first:DONE\r\n',
    ]);
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(frame([STREAM.subarray(0, cut), STREAM.subarray(cut)]), `cut at ${cut}`).toEqual(whole);
    }
    expect(frame([...STREAM].map((byte) => Buffer.from([byte])))).toEqual(whole);
  });

  it('times a line from its first byte', () => {
    const ats: number[] = [];
    const framer = new ImapFramer((piece) => ats.push(piece.at));
    framer.push(Buffer.from('A1 NO'), 10);
    framer.push(Buffer.from('OP\r\nA2 '), 20);
    framer.push(Buffer.from('NOOP\r\n'), 30);
    expect(ats).toEqual([10, 20]);
  });

  it('reads the literal forms of RFC 3501, 7888 and 3516', () => {
    expect(literalAtEnd(Buffer.from('A APPEND X {12}\r\n'))).toEqual({ size: 12, sync: true, binary: false });
    expect(literalAtEnd(Buffer.from('A APPEND X {12+}\r\n'))).toEqual({ size: 12, sync: false, binary: false });
    expect(literalAtEnd(Buffer.from('A APPEND X ~{7}\r\n'))).toEqual({ size: 7, sync: true, binary: true });
    expect(literalAtEnd(Buffer.from('A APPEND X ~{7+}\r\n'))).toEqual({ size: 7, sync: false, binary: true });
    expect(literalAtEnd(Buffer.from('A NOOP\r\n'))).toBeUndefined();
  });

  it('after cancelLiteral the next bytes are a new line, after passThrough raw bytes', () => {
    const pieces: string[] = [];
    const framer: ImapFramer = new ImapFramer((piece) => {
      pieces.push(`${piece.kind}:${piece.bytes.toString('latin1')}`);
      if (piece.kind === 'line' && piece.literal) framer.cancelLiteral();
      if (piece.kind === 'line' && piece.bytes.includes('STARTTLS')) framer.passThrough();
    });
    framer.push(Buffer.from('A1 APPEND Missing {5}\r\nA2 STARTTLS\r\n\x16\x03\x01\r\n'), 0);
    expect(pieces).toEqual(['line:A1 APPEND Missing {5}\r\n', 'line:A2 STARTTLS\r\n', 'raw:\x16\x03\x01\r\n']);
  });
});
