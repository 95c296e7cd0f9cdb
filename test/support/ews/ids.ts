/**
 * Opaque identifiers in the style of real EWS: item and folder ids are base64 of a binary
 * blob (real ones start with "AAMkA" because the blob starts 00 03 24 00), a ChangeKey
 * changes whenever the object changes, and a SyncState is an opaque base64 token.
 *
 * Layout of an id blob (44 bytes, so the base64 ends in one "=" like many real ids):
 *   0..3   00 03 24 00                 marker
 *   4..19  mailbox GUID (16 bytes)     which mailbox the object lives in
 *   20     kind: 0x01 folder, 0x46 item
 *   21..24 object number, big-endian
 *   25..42 zero
 *   43     checksum (sum of bytes 0..42, mod 256), so random strings read as malformed
 */
const MARKER = [0x00, 0x03, 0x24, 0x00];
const ID_LENGTH = 44;
export type IdKind = 'folder' | 'item';
const KIND_BYTE: Record<IdKind, number> = { folder: 0x01, item: 0x46 };

function checksum(bytes: Uint8Array, end: number): number {
  let sum = 0;
  for (let i = 0; i < end; i += 1) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return sum;
}

export function encodeId(mailboxGuid: Buffer, kind: IdKind, num: number): string {
  const blob = Buffer.alloc(ID_LENGTH);
  Buffer.from(MARKER).copy(blob, 0);
  mailboxGuid.copy(blob, 4, 0, 16);
  blob[20] = KIND_BYTE[kind];
  blob.writeUInt32BE(num, 21);
  blob[43] = checksum(blob, 43);
  return blob.toString('base64');
}

export interface DecodedId {
  mailboxGuid: string; // hex, for map lookups
  kind: IdKind;
  num: number;
}

/** Undefined when the string is not one of our ids (the caller answers ErrorInvalidIdMalformed). */
export function decodeId(id: string): DecodedId | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(id)) return undefined;
  const blob = Buffer.from(id, 'base64');
  if (blob.length !== ID_LENGTH || !MARKER.every((b, i) => blob[i] === b)) return undefined;
  if (blob[43] !== checksum(blob, 43)) return undefined;
  const kind = blob[20] === KIND_BYTE.folder ? 'folder' : blob[20] === KIND_BYTE.item ? 'item' : undefined;
  if (!kind) return undefined;
  return { mailboxGuid: blob.subarray(4, 20).toString('hex'), kind, num: blob.readUInt32BE(21) };
}

/** Real change keys start with "CQAAABYA" (items) or "AQAAABYA" (folders); the tail is the version. */
export function changeKey(kind: IdKind, num: number, version: number): string {
  const blob = Buffer.alloc(16);
  blob[0] = kind === 'item' ? 0x09 : 0x01;
  blob[4] = 0x16;
  blob.writeUInt32BE(num, 8);
  blob.writeUInt32BE(version, 12);
  return blob.toString('base64');
}

/**
 * SyncFolderItems state: which folder and the mailbox change number the client has seen
 * everything up to. Only this server can read it, as with Exchange's gzip blobs.
 */
const SYNC_MAGIC = Buffer.from('MFSY', 'latin1');

export function encodeSyncState(mailboxGuid: Buffer, folderNum: number, watermark: number): string {
  const blob = Buffer.alloc(32);
  SYNC_MAGIC.copy(blob, 0);
  mailboxGuid.copy(blob, 4, 0, 16);
  blob.writeUInt32BE(folderNum, 20);
  blob.writeUInt32BE(watermark, 24);
  blob[31] = checksum(blob, 31);
  return blob.toString('base64');
}

export function decodeSyncState(state: string): { mailboxGuid: string; folderNum: number; watermark: number } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(state)) return undefined;
  const blob = Buffer.from(state, 'base64');
  if (blob.length !== 32 || !blob.subarray(0, 4).equals(SYNC_MAGIC) || blob[31] !== checksum(blob, 31)) return undefined;
  return { mailboxGuid: blob.subarray(4, 20).toString('hex'), folderNum: blob.readUInt32BE(20), watermark: blob.readUInt32BE(24) };
}
