import { describe, expect, it } from 'vitest';
import { mayHideNul, restoreNuls } from '../../../src/connectors/imap/nul-bytes.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** What Dovecot's BODY[] gives for stored bytes: each NUL as 0x80. */
function bodyView(stored: Buffer): Buffer {
  return Buffer.from(stored.map((byte) => (byte === 0 ? 0x80 : byte)));
}

/** A multipart/mixed message (boundary "BB") of `header` and the given parts. */
function multipart(header: string, ...parts: string[]): Buffer {
  const head = `${header}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BB"\r\n\r\npreamble\r\n`;
  return latin1(`${head}${parts.map((part) => `--BB\r\n${part}\r\n`).join('')}--BB--\r\n`);
}

const TEXT_PART = 'Content-Type: text/plain\r\n\r\nhello there';
const TEXT_PART_NUL = 'Content-Type: text/plain\r\n\r\nhello\x00there';
const B64_PART = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECgAQF';
// BINARY[] of B64_PART: decoded (00 01 02 80 04 05: a NUL and a 0x80 of its own), the header rewritten.
const B64_DECODED = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02\x80\x04\x05';
const QP_PART = 'Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9';
const QP_DECODED = 'Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\r\ncaf\xc3\xa9';
// A decoded part that itself holds "\r\n--": BINARY[] then splits into one segment more.
const B64_DASHES = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nDQotLXg=';
const B64_DASHES_DECODED = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\r\n--x';

interface Case {
  readonly name: string;
  /** The bytes the server stores. */
  readonly stored: Buffer;
  /** What the server's BINARY[] gives for them. */
  readonly binary: Buffer;
  readonly mayHideNul: boolean;
  /** restoreNuls(bodyView(stored), binary): the stored bytes, or undefined (cannot be told). */
  readonly restored: 'stored' | undefined;
}

const CASES: readonly Case[] = [
  {
    name: 'no 0x80 at all',
    stored: latin1('Subject: plain\r\nFrom: x@y\r\n\r\nplain ASCII body\r\n'),
    binary: latin1('Subject: plain\r\nFrom: x@y\r\n\r\nplain ASCII body\r\n'),
    mayHideNul: false,
    restored: 'stored',
  },
  {
    name: 'raw UTF-8 text with curly quotes (E2 80 9C) and a 4-byte emoji (F0 9F 98 80)',
    stored: Buffer.from('Subject: \u201cquoted\u201d \u{1F600}\r\n\r\n\u201cHello\u201d \u2026 \u20ac\r\n', 'utf8'),
    binary: Buffer.from('Subject: \u201cquoted\u201d \u{1F600}\r\n\r\n\u201cHello\u201d \u2026 \u20ac\r\n', 'utf8'),
    mayHideNul: false,
    restored: 'stored',
  },
  {
    name: "raw Windows-1252 '\u20ac' (a lone 0x80), no NUL",
    stored: latin1('Subject: price\r\n\r\n5 \x80\r\n'),
    binary: latin1('Subject: price\r\n\r\n5 \x80\r\n'),
    mayHideNul: true,
    restored: 'stored',
  },
  {
    name: 'NUL in a header',
    stored: latin1('Subject: a\x00b\r\nFrom: x@y\r\n\r\nbody\r\n'),
    binary: latin1('Subject: a\x00b\r\nFrom: x@y\r\n\r\nbody\r\n'),
    mayHideNul: true,
    restored: 'stored',
  },
  {
    name: 'NUL in the header and the body',
    stored: latin1('Subject: a\x00b\r\nFrom: x@y\r\n\r\nbody\x00with nul\r\n'),
    binary: latin1('Subject: a\x00b\r\nFrom: x@y\r\n\r\nbody\x00with nul\r\n'),
    mayHideNul: true,
    restored: 'stored',
  },
  {
    name: "NUL next to UTF-8 text and a cp1252 '\u20ac'",
    stored: Buffer.concat([Buffer.from('Subject: \u201cx\u201d\r\n\r\n', 'utf8'), latin1('a\x00b \x80\r\n')]),
    binary: Buffer.concat([Buffer.from('Subject: \u201cx\u201d\r\n\r\n', 'utf8'), latin1('a\x00b \x80\r\n')]),
    mayHideNul: true,
    restored: 'stored',
  },
  {
    name: 'NUL in the header and a base64 part (resolved by segments)',
    stored: multipart('Subject: a\x00b\r\n', TEXT_PART, B64_PART),
    binary: multipart('Subject: a\x00b\r\n', TEXT_PART, B64_DECODED),
    mayHideNul: true,
    restored: 'stored',
  },
  {
    name: 'NUL in a text part, a base64 and a quoted-printable part (resolved by segments)',
    stored: multipart('Subject: parts\r\n', TEXT_PART_NUL, B64_PART, QP_PART),
    binary: multipart('Subject: parts\r\n', TEXT_PART_NUL, B64_DECODED, QP_DECODED),
    mayHideNul: true,
    restored: 'stored',
  },
  {
    name: 'no NUL, a base64 part (BINARY[] differs, BODY[] is exact)',
    stored: multipart('Subject: plain\r\n', TEXT_PART, B64_PART),
    binary: multipart('Subject: plain\r\n', TEXT_PART, B64_DECODED),
    mayHideNul: false,
    restored: 'stored',
  },
  {
    name: 'a single-part base64 message with a NUL in the header (unresolvable)',
    stored: latin1('Subject: a\x00b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n'),
    binary: latin1('Subject: a\x00b\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02'),
    mayHideNul: true,
    restored: undefined,
  },
  {
    name: 'NUL in the header, a decoded part adding a "\\r\\n--" segment (unresolvable)',
    stored: multipart('Subject: a\x00b\r\n', TEXT_PART, B64_DASHES),
    binary: multipart('Subject: a\x00b\r\n', TEXT_PART, B64_DASHES_DECODED),
    mayHideNul: true,
    restored: undefined,
  },
  {
    name: 'no NUL, a decoded part adding a "\\r\\n--" segment (BODY[] is exact)',
    stored: multipart('Subject: plain\r\n', TEXT_PART, B64_DASHES),
    binary: multipart('Subject: plain\r\n', TEXT_PART, B64_DASHES_DECODED),
    mayHideNul: false,
    restored: 'stored',
  },
];

describe('mayHideNul', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(mayHideNul(bodyView(c.stored))).toBe(c.mayHideNul);
  });

  it.each<[string, number[], boolean]>([
    ['an empty message', [], false],
    ['0x80 as the first byte', [0x80, 0x41], true],
    ['0x80 after a complete 2-byte sequence (C3 A9 80)', [0xc3, 0xa9, 0x80], true],
    ['0x80 after a complete 3-byte sequence (E2 80 9C 80)', [0xe2, 0x80, 0x9c, 0x80], true],
    ['a truncated 3-byte sequence at the end (E2 80)', [0x41, 0xe2, 0x80], true],
    ['an overlong lead (C0 80)', [0xc0, 0x80], true],
    ['E0 80 80 (overlong 3-byte form)', [0xe0, 0x80, 0x80], true],
    ['ED 80 80 (U+D000, valid)', [0xed, 0x80, 0x80], false],
    ['F4 80 80 80 (U+100000, valid)', [0xf4, 0x80, 0x80, 0x80], false],
    ['F5 80 80 80 (past U+10FFFF)', [0xf5, 0x80, 0x80, 0x80], true],
    // A NUL right after a lead byte reads as valid UTF-8 (C3 80 is "\u00c0"): missed, by design.
    ['C3 80 (a NUL after a lead byte looks like "\u00c0")', [0xc3, 0x80], false],
  ])('%s', (_name, bytes, expected) => {
    expect(mayHideNul(Buffer.from(bytes))).toBe(expected);
  });
});

describe('restoreNuls', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const body = bodyView(c.stored);
    const restored = restoreNuls(body, c.binary);
    if (c.restored === undefined) {
      expect(restored).toBeUndefined();
    } else {
      expect(restored?.toString('latin1')).toBe(c.stored.toString('latin1'));
      expect(restored?.length).toBe(body.length);
    }
  });

  it('keeps a 0x80 that BINARY[] has too (a cp1252 \u20ac next to a NUL)', () => {
    const stored = latin1('Subject: a\x00\x80\r\n\r\n\x80\x00\r\n');
    expect(restoreNuls(bodyView(stored), stored)).toEqual(stored);
  });

  it('refuses a BINARY[] that differs by other bytes than 0x80 <-> 0x00', () => {
    const stored = latin1('Subject: a\x00b\r\n\r\nbody\r\n');
    expect(restoreNuls(bodyView(stored), latin1('Subject: a\x00c\r\n\r\nbody\r\n'))).toBeUndefined();
    expect(restoreNuls(bodyView(stored), latin1('Subject: a\x01b\r\n\r\nbody\r\n'))).toBeUndefined();
  });

  it('never returns a NUL where BODY[] had another byte', () => {
    const body = latin1('Subject: ab\r\n\r\nbody\r\n');
    expect(restoreNuls(body, latin1('Subject: a\x00\r\n\r\nbody\r\n'))).toEqual(body);
  });
});
