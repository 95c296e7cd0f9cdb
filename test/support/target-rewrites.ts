/** What the rewriting targets seen so far store for a message, for tests of rewrite-identity.ts. */
import { bodyStart } from '../../src/jobs/copy/rewrite-identity.js';

export const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

/** What Cyrus stores with munge8bit: every 8-bit header byte an 'X', same length. */
export function munged(raw: Buffer): Buffer {
  const end = bodyStart(raw);
  return Buffer.from(raw.map((byte, i) => (i < end && byte >= 0x80 ? 0x58 : byte)));
}

/** What an mbox server stores: Status: and X-UID: appended to the header block. */
export function withMboxHeaders(raw: Buffer): Buffer {
  const end = bodyStart(raw);
  return Buffer.concat([raw.subarray(0, end - 2), latin1('Status: RO\r\nX-UID: 5\r\n\r\n'), raw.subarray(end)]);
}
