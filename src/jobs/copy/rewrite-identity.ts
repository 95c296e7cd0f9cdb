/**
 * Messages a target changed as it stored them, and what survives the change.
 *
 * Some targets do not keep the bytes they are given: Cyrus (its default munge8bit)
 * replaces 8-bit header bytes with 'X', keeping the length; an mbox server such as GNU
 * Mailutils adds Status:, X-UID: and X-IMAPbase: headers. Their copies no longer match by
 * content hash, so recovery would append them again and verify would call them missing
 * plus extra. Both rewrites leave the Message-ID, the Date and the body alone: those make
 * the identity that recognises such a copy.
 */
import { createHash } from 'node:crypto';
import type { StoredCopy } from '../../connectors/types.js';

/** Where the body starts: after the first empty line (CRLF CRLF, or LF LF); the end when there is none. */
export function bodyStart(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf === -1 ? -1 : crlf + 4, lf === -1 ? -1 : lf + 2].filter((at) => at > 0);
  return ends.length === 0 ? raw.length : Math.min(...ends);
}

/**
 * Whether a message has what the rewrites seen so far act on: 8-bit bytes in its header
 * block (Cyrus's munge8bit) or a line ending in a bare LF (servers that store or serve
 * CRLF). Other messages came back unchanged from every target that kept UIDs.
 */
export function hasRewriteTriggers(raw: Buffer): boolean {
  const header = headerBlock(raw);
  for (const byte of header) if (byte >= 0x80) return true;
  for (let at = raw.indexOf(0x0a); at !== -1; at = raw.indexOf(0x0a, at + 1)) {
    if (at === 0 || raw[at - 1] !== 0x0d) return true;
  }
  return false;
}

/** The header block, the empty line that ends it included. */
export function headerBlock(raw: Buffer): Buffer {
  return raw.subarray(0, bodyStart(raw));
}

/** The value of header `name` (unfolded, trimmed), undefined when absent or empty. */
function headerValue(raw: Buffer, name: string): string | undefined {
  const headers = headerBlock(raw).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*?)[ \\t]*\\r?$`, 'im').exec(headers);
  return match?.[1] ? match[1] : undefined;
}

/** The Message-ID header's value (unfolded, trimmed), undefined when absent or empty. */
export function messageIdOf(raw: Buffer): string | undefined {
  return headerValue(raw, 'message-id');
}

/**
 * SHA-256 of Message-ID, Date and body: the same for a message and a copy a target
 * rewrote as above (both are ASCII in practice, and rewrites leave them alone). A message
 * without either still has its body; copies of equal bodies are told apart by count.
 */
export function survivingIdentity(raw: Buffer): string {
  return createHash('sha256')
    .update(messageIdOf(raw) ?? '', 'latin1').update('\0')
    .update(headerValue(raw, 'date') ?? '', 'latin1').update('\0')
    .update(raw.subarray(bodyStart(raw)))
    .digest('hex');
}

/**
 * What a description of a change needs of one copy: its size and the shape of its header
 * block. Small enough to keep for every message of a folder (verify).
 */
export interface CopyShape {
  readonly size: number;
  readonly headerLength: number;
  /** The header field names, one per line (one string: verify keeps a shape per message). */
  readonly fieldNames: string;
  /** SHA-256 of the header block. */
  readonly headerHash: string;
  /** SHA-256 of the header block with every 8-bit byte read as 'X'. */
  readonly headerAsX: string;
}

export function shapeOf(header: Buffer, size: number): CopyShape {
  const asX = Buffer.from(header);
  for (let i = 0; i < asX.length; i++) if ((asX[i] as number) >= 0x80) asX[i] = 0x58;
  return {
    size, headerLength: header.length, fieldNames: fieldNames(header).join('\n'),
    headerHash: createHash('sha256').update(header).digest('hex'), headerAsX: createHash('sha256').update(asX).digest('hex'),
  };
}

export function shapeOfMessage(raw: Buffer): CopyShape {
  return shapeOf(headerBlock(raw), raw.length);
}

/** How the target changed a message it was sent as `sent`, when size or header block say so; undefined when they do not. */
export function describeRewrite(sent: Buffer, stored: StoredCopy): string | undefined {
  return describeChange(shapeOfMessage(sent), shapeOf(stored.header, stored.size));
}

/** How a copy changed, from the two shapes; undefined when size and header block are the same. */
export function describeChange(sent: CopyShape, stored: CopyShape): string | undefined {
  const sameHeader = sent.headerHash === stored.headerHash;
  if (sameHeader && sent.size === stored.size) return undefined;
  if (!sameHeader && sent.size === stored.size && sent.headerLength === stored.headerLength && sent.headerAsX === stored.headerAsX) {
    return "8-bit bytes in headers replaced by 'X'";
  }
  const sentNames = new Set(sent.fieldNames.split('\n'));
  const added = [...new Set(stored.fieldNames.split('\n').filter((name) => name !== '' && !sentNames.has(name)))];
  const sameBodySize = stored.size - stored.headerLength === sent.size - sent.headerLength;
  if (added.length > 0 && sameBodySize) return `headers added (${added.join(', ')})`;
  if (sameHeader) return 'body changed';
  return 'rewritten';
}

/** Header field names, as written (case kept), in order. */
function fieldNames(header: Buffer): string[] {
  return header.toString('latin1').split(/\r?\n/).flatMap((line) => {
    const match = /^([!-9;-~]+):/.exec(line);
    return match?.[1] ? [match[1]] : [];
  });
}
