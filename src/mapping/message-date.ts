/**
 * The INTERNALDATE of a message whose source keeps none (POP3): when it arrived, read
 * from its own headers. The topmost Received: header is the last hop's, i.e. delivery
 * into the mailbox, which is what a mail client shows as "received"; Date: is when the
 * sender wrote it. Pure: the clock comes in as `now`.
 */

/** Where the date comes from; each choice falls back along the chain received -> date -> now. */
export type DateSource = 'received' | 'date' | 'now';

export const DATE_SOURCES: readonly DateSource[] = ['received', 'date', 'now'];

/**
 * A date further ahead than this is a sender's or relay's wrong clock, not an arrival
 * (Dovecot refuses INTERNALDATEs more than 2 hours in the future).
 */
const MAX_FUTURE_MS = 60 * 60 * 1000;

/** day month year hour:minute, the core of an RFC 5322 date-time (3.3), obsolete forms included. */
const DATE_TIME_SHAPE = /\b\d{1,2}\s+[a-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}/i;

export function messageDate(raw: Buffer, from: DateSource, now: Date): Date {
  if (from === 'now') return now;
  const headers = headerFields(raw);
  const candidates: Array<string | undefined> = from === 'received'
    ? [receivedDate(headers), headers.find((h) => h.name === 'date')?.value]
    : [headers.find((h) => h.name === 'date')?.value];
  for (const text of candidates) {
    const date = text === undefined ? undefined : parseDate(text, now);
    if (date) return date;
  }
  return now;
}

/** The date of the topmost Received: header that has a usable one (after its last ";", RFC 5321 4.4). */
function receivedDate(headers: readonly HeaderField[]): string | undefined {
  for (const header of headers) {
    if (header.name !== 'received') continue;
    const semicolon = header.value.lastIndexOf(';');
    if (semicolon >= 0 && DATE_TIME_SHAPE.test(header.value.slice(semicolon + 1))) return header.value.slice(semicolon + 1);
  }
  return undefined;
}

/** RFC 5322 dates (V8's parser reads them, zones and comments included), rejected when absurd. */
export function parseDate(text: string, now: Date): Date | undefined {
  if (!DATE_TIME_SHAPE.test(text)) return undefined;
  const date = new Date(text.replace(/\s+/g, ' ').trim());
  const time = date.getTime();
  if (Number.isNaN(time) || date.getUTCFullYear() < 1970 || time > now.getTime() + MAX_FUTURE_MS) return undefined;
  return date;
}

interface HeaderField {
  /** Lower-cased field name. */
  readonly name: string;
  /** Unfolded value. */
  readonly value: string;
}

/**
 * The header section's fields, unfolded (RFC 5322 2.2.3). Bytes are read as latin1: one
 * character per byte, so 8-bit junk cannot break the parse and dates are plain ASCII.
 */
function headerFields(raw: Buffer): HeaderField[] {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  const text = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const fields: HeaderField[] = [];
  for (const line of text.split(/\r?\n/)) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) {
      fields[fields.length - 1] = { name: last.name, value: `${last.value} ${line.trim()}` };
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}
