/**
 * NUL bytes and BODY[]: a message may hold NUL bytes (appended as a literal8, RFC 3516
 * 4.4), but a BODY[] answer is a plain literal, which must not (RFC 3501 4.3). Dovecot
 * 2.3 sends each NUL of BODY[] as 0x80, silently. BINARY[] (RFC 3516) sends the NULs,
 * but it also decodes every base64 / quoted-printable part and rewrites that part's
 * Content-Transfer-Encoding header to `binary`, so it is not the stored bytes either
 * when the message has an encoded part. Dovecot converts a `binary` part to base64
 * already at APPEND, so stored messages have no `binary` parts for BINARY[] to keep.
 *
 * These pure functions tell when a BODY[] may hide NULs, and rebuild the stored bytes
 * from BODY[] and BINARY[] where the two allow it.
 */
import { isUtf8 } from 'node:buffer';

const MARK = 0x80;
const NUL = 0x00;

/**
 * True when `body` (BODY[] bytes) has a 0x80 that is not inside a valid UTF-8 sequence:
 * it may be a NUL the server replaced. 8-bit UTF-8 mail is full of 0x80 as continuation
 * byte (E2 80 9C is a curly quote), so a 0x80 alone says nothing. A NUL that directly
 * follows a UTF-8 lead byte (C3 00 shown as C3 80, "À") cannot be told from text and is
 * missed. A lone 0x80 of legacy 8-bit text (Windows-1252 '€') is reported: only BINARY[]
 * can tell it from a NUL.
 *
 * Cheap for the common cases: one native scan when the message has no 0x80 at all, and
 * one native UTF-8 validation more when it is all UTF-8.
 */
export function mayHideNul(body: Buffer): boolean {
  return suspiciousMark(body, 0, body.length);
}

/**
 * The stored bytes of a message from its BODY[] (`body`, NULs shown as 0x80) and its
 * BINARY[] (`binary`, NULs intact but encoded parts decoded), or undefined when they
 * cannot be told. The result always has `body`'s length.
 *
 * - Same length and differing only where `body` has 0x80 and `binary` has 0x00: the
 *   message has no encoded part, and `binary` is the stored bytes.
 * - Else the two are compared part by part, split before each "\r\n--" (MIME boundary
 *   lines, which BINARY[] leaves as they are): a segment that differs only by
 *   0x80 <-> 0x00 is taken from `binary`, any other (a decoded part, whose stored form
 *   is the base64 or quoted-printable text of BODY[]) from `body`. A segment taken from
 *   `body` that may still hide a NUL (see mayHideNul) makes the message undecidable.
 *   When the two do not split into as many segments (a decoded part that itself holds
 *   "\r\n--"), `body` is the answer only if it hides no NUL.
 */
export function restoreNuls(body: Buffer, binary: Buffer): Buffer | undefined {
  if (body.length === binary.length && differsOnlyByNul(body, 0, binary, 0, body.length)) return binary;
  const bodyCuts = segmentStarts(body);
  const binaryCuts = segmentStarts(binary);
  if (bodyCuts.length !== binaryCuts.length) return mayHideNul(body) ? undefined : body;
  const result = Buffer.allocUnsafe(body.length);
  for (let i = 0; i < bodyCuts.length; i += 1) {
    const from = bodyCuts[i] as number;
    const to = bodyCuts[i + 1] ?? body.length;
    const binaryFrom = binaryCuts[i] as number;
    const binaryTo = binaryCuts[i + 1] ?? binary.length;
    if (to - from === binaryTo - binaryFrom && differsOnlyByNul(body, from, binary, binaryFrom, to - from)) {
      binary.copy(result, from, binaryFrom, binaryTo);
    } else {
      if (suspiciousMark(body, from, to)) return undefined;
      body.copy(result, from, from, to);
    }
  }
  return result;
}

/** `body[from, from + length)` equals `binary[binaryFrom, ...)` except where body has 0x80 and binary 0x00. */
function differsOnlyByNul(body: Buffer, from: number, binary: Buffer, binaryFrom: number, length: number): boolean {
  const end = from + length;
  const shift = binaryFrom - from;
  let at = from;
  // Native comparisons of the stretches between 0x80s; only the 0x80s are looked at one by one.
  while (at < end) {
    const mark = body.indexOf(MARK, at);
    const stop = mark < 0 || mark >= end ? end : mark;
    if (body.compare(binary, at + shift, stop + shift, at, stop) !== 0) return false;
    if (stop === end) return true;
    const other = binary[stop + shift];
    if (other !== MARK && other !== NUL) return false;
    at = stop + 1;
  }
  return true;
}

/** Where the segments start: 0, then each "\r\n--" (the delimiter stays with the segment it opens). */
function segmentStarts(message: Buffer): number[] {
  const starts = [0];
  for (let at = message.indexOf(DELIMITER, 1); at >= 0; at = message.indexOf(DELIMITER, at + DELIMITER.length)) starts.push(at);
  return starts;
}

const DELIMITER = Buffer.from('\r\n--', 'latin1');

/** A 0x80 in `buffer[from, to)` outside any valid UTF-8 sequence. */
function suspiciousMark(buffer: Buffer, from: number, to: number): boolean {
  const first = buffer.indexOf(MARK, from);
  if (first < 0 || first >= to) return false;
  // All valid UTF-8 (native validation): every 0x80 is a continuation byte. Saves the
  // byte-by-byte look at each 0x80 for the common 8-bit case, UTF-8 text.
  if (isUtf8(buffer.subarray(from, to))) return false;
  for (let at = first; at >= 0 && at < to; at = buffer.indexOf(MARK, at + 1)) {
    if (!insideUtf8(buffer, at, from)) return true;
  }
  return false;
}

/** The continuation byte at `at` belongs to a valid UTF-8 sequence starting at or after `floor`. */
function insideUtf8(buffer: Buffer, at: number, floor: number): boolean {
  for (let back = 1; back <= 3; back += 1) {
    const lead = at - back;
    if (lead < floor) return false;
    const byte = buffer[lead] as number;
    if (byte >= 0x80 && byte <= 0xbf) continue;
    const length = utf8Length(buffer, lead);
    return length > back;
  }
  return false;
}

/** Length of the valid UTF-8 sequence at `start` (2 to 4), or 0 (RFC 3629 4: no overlongs, surrogates or values past U+10FFFF). */
function utf8Length(buffer: Buffer, start: number): number {
  const lead = buffer[start] as number;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (start + length > buffer.length) return 0;
  const second = buffer[start + 1] as number;
  if (second < low || second > high) return 0;
  for (let i = 2; i < length; i += 1) {
    const byte = buffer[start + i] as number;
    if (byte < 0x80 || byte > 0xbf) return 0;
  }
  return length;
}
