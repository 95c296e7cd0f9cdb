/**
 * The message properties Outlook derives from a message's MIME (subject, from, recipients,
 * sentDateTime, internetMessageId, internetMessageHeaders, body), read just well enough for
 * the JSON answers: header values unfolded, RFC 2047 encoded-words decoded, a body only
 * for a single-part text message (a multipart one gets an empty body, as the connector
 * reads $value anyway). Parsed once per message and cached, since a 50 MB message is big.
 */
import type { MessageRecord } from './mailbox.js';

export interface Recipient {
  emailAddress: { name: string; address: string };
}

export interface MimeFields {
  readonly headers: ReadonlyArray<{ name: string; value: string }>;
  readonly subject: string | undefined;
  readonly from: Recipient | undefined;
  readonly to: Recipient[];
  readonly cc: Recipient[];
  readonly bcc: Recipient[];
  readonly replyTo: Recipient[];
  readonly sent: Date | undefined;
  readonly messageId: string | undefined;
  readonly hasAttachments: boolean;
  readonly body: { contentType: 'text' | 'html'; content: string };
}

const HEADER_LIMIT = 256 * 1024;

function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_all, charset: string, encoding: string, text: string) => {
    const bytes = encoding.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
    return /^utf-?8$/i.test(charset) ? bytes.toString('utf8') : bytes.toString('latin1');
  });
}

function parseAddresses(value: string | undefined): Recipient[] {
  if (value === undefined) return [];
  const out: Recipient[] = [];
  // Split on commas outside quotes and angle brackets.
  for (const part of value.match(/(?:"[^"]*"|<[^>]*>|[^,])+/g) ?? []) {
    const angle = /^(.*)<([^>]*)>\s*$/.exec(part.trim());
    const address = (angle?.[2] ?? part).trim();
    if (address === '') continue;
    const name = (angle?.[1] ?? '').trim().replace(/^"(.*)"$/, '$1');
    out.push({ emailAddress: { name: decodeWords(name) || address, address } });
  }
  return out;
}

function parse(raw: Buffer): MimeFields {
  const head = raw.subarray(0, Math.min(raw.length, HEADER_LIMIT)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = end === -1 ? head : head.slice(0, end);
  const headers: Array<{ name: string; value: string }> = [];
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push({ name: line.slice(0, colon).trim(), value: Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8') });
  }
  const get = (name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;
  const contentType = (get('content-type') ?? 'text/plain').toLowerCase();
  const date = get('date');
  const sentMs = date === undefined ? NaN : Date.parse(date);
  let body: MimeFields['body'] = { contentType: 'text', content: '' };
  if (end !== -1 && contentType.startsWith('text/') && raw.length < HEADER_LIMIT) {
    const separator = /\r?\n\r?\n/.exec(head);
    const text = raw.subarray(end + (separator?.[0].length ?? 2)).toString(/charset="?utf-8/i.test(contentType) ? 'utf8' : 'latin1');
    body = { contentType: contentType.startsWith('text/html') ? 'html' : 'text', content: text };
  }
  const subject = get('subject');
  const from = parseAddresses(get('from'))[0];
  return {
    headers,
    subject: subject === undefined ? undefined : decodeWords(subject),
    from,
    to: parseAddresses(get('to')),
    cc: parseAddresses(get('cc')),
    bcc: parseAddresses(get('bcc')),
    replyTo: parseAddresses(get('reply-to')),
    sent: Number.isNaN(sentMs) ? undefined : new Date(sentMs),
    messageId: get('message-id'),
    hasAttachments: contentType.startsWith('multipart/mixed'),
    body,
  };
}

const cache = new WeakMap<Buffer, MimeFields>();

export function mimeFields(message: MessageRecord): MimeFields {
  let fields = cache.get(message.raw);
  if (!fields) {
    fields = parse(message.raw);
    cache.set(message.raw, fields);
  }
  return fields;
}
