/**
 * Just enough RFC 5322 header reading for what Exchange derives from imported MIME:
 * t:Subject (from Subject:) and DateTimeSent (from Date:) when the client does not set
 * PidTagClientSubmitTime. Header values are unfolded; encoded-words are left as they are.
 */
export function headerValue(mime: Buffer, name: string): string | undefined {
  const head = mime.subarray(0, Math.min(mime.length, 64 * 1024)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const wanted = name.toLowerCase();
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) {
      return Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8');
    }
  }
  return undefined;
}

export function headerDate(mime: Buffer): Date | undefined {
  const value = headerValue(mime, 'Date');
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
