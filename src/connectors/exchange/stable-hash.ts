/**
 * A 32-bit FNV-1a hash of a string's UTF-8 bytes: small, stable across processes and
 * versions (unlike a runtime's string hash), and good enough to tell folder ids apart.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * A folder's UIDVALIDITY stand-in: the hash of its EWS folder id, as a decimal string in
 * 1..2^32-1 (UIDVALIDITY is a non-zero 32-bit number, RFC 3501 2.3.1.1). A folder that is
 * deleted and created again gets a new id, hence a new value, as UIDVALIDITY would.
 */
export function folderUidValidity(folderId: string): string {
  return String(fnv1a32(folderId) || 1);
}
