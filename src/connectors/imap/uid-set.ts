/** Compresses ascending or unordered UIDs into an IMAP sequence set ("1:5,7,9:12", RFC 3501 9). */
export function compressUids(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let previous = start;
  for (const uid of sorted.slice(1)) {
    if (previous !== undefined && uid === previous + 1) {
      previous = uid;
      continue;
    }
    if (start !== undefined) parts.push(start === previous ? `${start}` : `${start}:${previous}`);
    start = uid;
    previous = uid;
  }
  if (start !== undefined) parts.push(start === previous ? `${start}` : `${start}:${previous}`);
  return parts.join(',');
}

/**
 * `uids` as sequence sets of at most `maxChars` characters each: scattered UIDs compress
 * badly, and a server refuses a command line past its limit (Dovecot: 64 KiB).
 */
export function uidSetChunks(uids: readonly number[], maxChars = 8000): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const part of compressUids(uids).split(',')) {
    if (part === '') continue;
    if (current !== '' && current.length + 1 + part.length > maxChars) {
      chunks.push(current);
      current = part;
    } else {
      current = current === '' ? part : `${current},${part}`;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}
