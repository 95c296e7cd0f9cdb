/**
 * The maildrop listing of one session: LIST ("n size") joined with UIDL ("n unique-id")
 * by message number (RFC 1939 sections 5 and 7). Pure: bodies in, entries out.
 */
import type { MaildropEntry } from '../types.js';
import { Pop3ConnectionError } from './pop3-errors.js';

/** Message number to entry, in ascending number order. */
export type Listing = Map<number, MaildropEntry>;

/**
 * @param list - the body of an argument-less LIST.
 * @param uidl - the body of an argument-less UIDL; undefined when the server has no UIDL.
 */
export function parseListing(list: Buffer, uidl: Buffer | undefined): Listing {
  const uids = uidl === undefined ? undefined : new Map(pairs(uidl, 'UIDL'));
  const entries = pairs(list, 'LIST').map(([number, size]): MaildropEntry => {
    if (!/^\d+$/.test(size)) throw malformed('LIST', `${number} ${size}`);
    const uid = uids?.get(number);
    return uid === undefined ? { number, size: Number(size) } : { number, uidl: uid, size: Number(size) };
  });
  return new Map(entries.sort((a, b) => a.number - b.number).map((entry) => [entry.number, entry]));
}

/** "n word" lines (anything after the second word is ignored, as RFC 1939 allows for LIST). */
function pairs(body: Buffer, command: string): Array<[number, string]> {
  // latin1: one character per byte, so an odd byte cannot make a line unreadable.
  const lines = body.toString('latin1').split(/\r?\n/).filter((line) => line.trim() !== '');
  return lines.map((line) => {
    const [number, word] = line.trim().split(/\s+/);
    if (number === undefined || word === undefined || !/^[1-9]\d*$/.test(number)) throw malformed(command, line);
    return [Number(number), word];
  });
}

function malformed(command: string, line: string): Pop3ConnectionError {
  return new Pop3ConnectionError('BAD_RESPONSE', `the server's ${command} listing has a malformed line: ${JSON.stringify(line.slice(0, 80))}`);
}
