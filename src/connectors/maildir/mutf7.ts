/**
 * Modified UTF-7 (RFC 3501 section 5.1.3): how Dovecot stores non-ASCII mailbox names on
 * disk by default (without the UTF8 mailbox_list option), so a Maildir we write names
 * its folders the way Dovecot would have.
 */

/** Printable US-ASCII stands for itself, except "&" which opens a shifted run. */
const isDirect = (code: number) => code >= 0x20 && code <= 0x7e;

export function encodeMutf7(text: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const bytes = Buffer.alloc(pending.length * 2);
    pending.forEach((unit, n) => bytes.writeUInt16BE(unit, n * 2));
    out += `&${bytes.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    pending = [];
  };
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (isDirect(unit)) {
      flush();
      out += unit === 0x26 ? '&-' : text[i];
    } else {
      pending.push(unit);
    }
  }
  flush();
  return out;
}

/** Inverse of {@link encodeMutf7}; throws on a malformed shifted run. */
export function decodeMutf7(text: string): string {
  return text.replace(/&([^-]*)-/g, (_whole, run: string) => {
    if (run === '') return '&';
    const bytes = Buffer.from(run.replace(/,/g, '/'), 'base64');
    if (bytes.length % 2 !== 0) throw new Error(`malformed modified UTF-7 in "${text}"`);
    let decoded = '';
    for (let n = 0; n < bytes.length; n += 2) decoded += String.fromCharCode(bytes.readUInt16BE(n));
    return decoded;
  });
}
