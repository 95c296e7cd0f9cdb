/**
 * Opaque identifiers in the style of Outlook's REST ids: base64url of a binary entry id, so
 * message ids start "AAMkA" and folder ids "AQMkA" as real ones do, with the '=' padding
 * Graph keeps (e.g. "AAMkADhMGAAA="). Clients must treat them as opaque strings; a test
 * that builds one by hand, or flips a character, gets Exchange's ErrorInvalidIdMalformed.
 *
 * Layout of the blob (44 bytes, so the text ends in one '='):
 *   0..3   00 03 24 00 (message) or 01 03 24 00 (folder), which base64 as "AAMk" / "AQMk"
 *   4..19  mailbox GUID: an id from another mailbox is "not found" there, not malformed
 *   20     kind: 0x01 folder, 0x46 message, 0x47 event, 0x48 contact, 0x49 task list, 0x4a task
 *   21..24 object number, big-endian
 *   25..42 zero
 *   43     checksum (sum of bytes 0..42, mod 256)
 */
import { createHash } from 'node:crypto';

export type IdKind = 'folder' | 'message' | 'event' | 'contact' | 'taskList' | 'task';

const KIND_BYTE: Record<IdKind, number> = { folder: 0x01, message: 0x46, event: 0x47, contact: 0x48, taskList: 0x49, task: 0x4a };
const ID_LENGTH = 44;

function checksum(bytes: Uint8Array, end: number): number {
  let sum = 0;
  for (let i = 0; i < end; i += 1) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return sum;
}

export function encodeId(mailboxGuid: Buffer, kind: IdKind, num: number): string {
  const blob = Buffer.alloc(ID_LENGTH);
  Buffer.from([kind === 'folder' ? 0x01 : 0x00, 0x03, 0x24, 0x00]).copy(blob, 0);
  mailboxGuid.copy(blob, 4, 0, 16);
  blob[20] = KIND_BYTE[kind];
  blob.writeUInt32BE(num, 21);
  blob[43] = checksum(blob, 43);
  return blob.toString('base64url') + '=';
}

/** Undefined when the text is not one of our ids. Standard base64 ('+', '/') is taken too, as Graph does. */
export function decodeId(id: string): { mailboxGuid: string; kind: IdKind; num: number } | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(id)) return undefined;
  const blob = Buffer.from(id.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
  if (blob.length !== ID_LENGTH || blob[1] !== 0x03 || blob[2] !== 0x24 || blob[3] !== 0x00 || blob[43] !== checksum(blob, 43)) return undefined;
  const kind = (Object.keys(KIND_BYTE) as IdKind[]).find((k) => KIND_BYTE[k] === blob[20]);
  if (kind === undefined || blob[0] !== (kind === 'folder' ? 0x01 : 0x00)) return undefined;
  return { mailboxGuid: blob.subarray(4, 20).toString('hex'), kind, num: blob.readUInt32BE(21) };
}

/**
 * Exchange's ChangeKey: changes whenever the object does. Graph sends it as `changeKey` and,
 * wrapped as W/"...", as `@odata.etag` (real ones start "CQAAABYAAA" for messages).
 */
export function changeKey(mailboxGuid: Buffer, num: number, version: number): string {
  const blob = Buffer.alloc(30);
  blob[0] = 0x09;
  blob[4] = 0x16;
  mailboxGuid.copy(blob, 8, 0, 16);
  blob.writeUInt16BE(num & 0xffff, 24);
  blob.writeUInt32BE(version, 26);
  return blob.toString('base64');
}

export function etag(key: string): string {
  return `W/"${key}"`;
}

/** A directory object id (users, groups): a GUID, derived from a name so runs are reproducible. */
export function directoryId(namespace: string, name: string): string {
  const hex = createHash('sha256').update(`${namespace}\u0000${name.toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Graph's date-time form: UTC, seconds, 'Z' (no fraction). */
export function graphDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
