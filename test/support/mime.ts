/** Helpers to write RFC 5322 / MIME text for the test corpus. Output lines end in CRLF. */

export const CRLF = '\r\n';

/** RFC 5322 date-time for `date` as seen in a zone `offsetMinutes` east of UTC. */
export function rfc5322Date(date: Date, offsetMinutes: number): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${days[local.getUTCDay()]}, ${p2(local.getUTCDate())} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${p2(local.getUTCHours())}:${p2(local.getUTCMinutes())}:${p2(local.getUTCSeconds())} ` +
    `${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`
  );
}

/** RFC 2047 "B" encoded-word in UTF-8 (callers keep `text` short: one word, at most 75 chars). */
export function encodedWordB(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** RFC 2047 "Q" encoded-word in ISO-8859-1. */
export function encodedWordQ(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'latin1')) {
    const ch = String.fromCharCode(byte);
    if (byte === 0x20) out += '_';
    else if (/[A-Za-z0-9!*+\-/]/.test(ch)) out += ch;
    else out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `=?ISO-8859-1?Q?${out}?=`;
}

/** Base64 in 76-character lines, each ending in CRLF. */
export function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + CRLF;
  return out;
}

/** Quoted-printable (RFC 2045) of UTF-8 text; soft line breaks keep lines under 77 chars. */
export function quotedPrintable(text: string): string {
  const lines = text.split(/\r?\n/);
  return lines
    .map((line) => {
      let encoded = '';
      const bytes = Buffer.from(line, 'utf8');
      bytes.forEach((byte, i) => {
        const last = i === bytes.length - 1;
        const plain = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
        encoded += plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      });
      const out: string[] = [];
      while (encoded.length > 75) {
        // Never split an =XX escape across a soft break.
        let cut = 75;
        const esc = encoded.lastIndexOf('=', cut);
        if (esc > cut - 3) cut = esc;
        out.push(encoded.slice(0, cut) + '=');
        encoded = encoded.slice(cut);
      }
      out.push(encoded);
      return out.join(CRLF);
    })
    .join(CRLF);
}

/** Word-wrap text to lines of at most `width` characters, joined with CRLF. */
export function wrap(words: string[], width = 72): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines.join(CRLF);
}
