/**
 * Makes fetched BODY[] bytes exact where they may hide NUL bytes (see nul-bytes.ts):
 * the suspect messages are read again with BINARY[] (RFC 3516) and rebuilt from both
 * answers. A message that cannot be rebuilt keeps its BODY[] bytes and is marked
 * `inexact` with the reason, never passed on as exact.
 *
 * Messages without a lone 0x80 (nearly all) cost one or two native scans (see
 * mayHideNul) and no round trip.
 */
import { isConnectorError } from '../connector-error.js';
import type { RawMessage } from '../types.js';
import { responseCodeOf } from './imap-errors.js';
import { mayHideNul, restoreNuls } from './nul-bytes.js';

/**
 * BINARY[] of `uids` in one FETCH, by UID (vanished UIDs absent). A refusal of the
 * server rejects with its ConnectorError; it must never fall back to BODY[].
 */
export type BinaryFetch = (uids: readonly number[]) => Promise<ReadonlyMap<number, Buffer>>;

const SHOWS_NUL_AS_0X80 = 'the IMAP server may show NUL bytes as 0x80 in BODY[], and this message has a 0x80 outside UTF-8 text';

export const NO_BINARY = `${SHOWS_NUL_AS_0X80}; the server has no BINARY (RFC 3516) to read NUL bytes with, so its exact bytes cannot be read`;

export const UNRESOLVABLE = `${SHOWS_NUL_AS_0X80}; BINARY[] (RFC 3516) decodes its base64 / quoted-printable parts, so its exact bytes cannot be told from the two answers`;

/** RFC 3516 4.3's UNKNOWN-CTE, and Dovecot's PARSE for a part that is not valid base64: BINARY[] refused for this message alone. */
const MESSAGE_REFUSALS = new Set(['UNKNOWN-CTE', 'PARSE']);

/**
 * `messages` with each suspect one replaced by its exact bytes, or marked `inexact`;
 * `fetchBinary` is undefined when the server has no BINARY. A suspect that vanished
 * before its BINARY[] was read is left out, as a vanished UID is.
 */
export async function exactBytes(messages: RawMessage[], fetchBinary: BinaryFetch | undefined): Promise<RawMessage[]> {
  const suspects = new Set(messages.filter((message) => mayHideNul(message.raw)));
  if (suspects.size === 0) return messages;
  if (!fetchBinary) return messages.map((message) => (suspects.has(message) ? { ...message, inexact: NO_BINARY } : message));
  const binaries = await readBinaries([...suspects].map((message) => message.uid), fetchBinary);
  const result: RawMessage[] = [];
  for (const message of messages) {
    if (!suspects.has(message)) {
      result.push(message);
      continue;
    }
    const binary = binaries.get(message.uid);
    if (binary === undefined) continue;
    if (typeof binary === 'string') {
      result.push({ ...message, inexact: `${SHOWS_NUL_AS_0X80}; the server refused BINARY[] (RFC 3516) for it: ${binary}` });
      continue;
    }
    const raw = restoreNuls(message.raw, binary);
    result.push(raw ? { ...message, raw } : { ...message, inexact: UNRESOLVABLE });
  }
  return result;
}

/**
 * BINARY[] by UID, or the server's reason where it refused one message. Dovecot ends
 * the whole FETCH at the first message it cannot decode (`NO [UNKNOWN-CTE]`), so after
 * such a refusal each UID is read on its own to learn which ones it refuses.
 */
async function readBinaries(uids: readonly number[], fetchBinary: BinaryFetch): Promise<Map<number, Buffer | string>> {
  try {
    return new Map(await fetchBinary(uids));
  } catch (error) {
    const refusal = messageRefusal(error);
    if (refusal === undefined) throw error;
    const [only] = uids;
    if (uids.length === 1 && only !== undefined) return new Map([[only, refusal]]);
  }
  const binaries = new Map<number, Buffer | string>();
  for (const uid of uids) {
    try {
      const binary = (await fetchBinary([uid])).get(uid);
      if (binary !== undefined) binaries.set(uid, binary);
    } catch (error) {
      const refusal = messageRefusal(error);
      if (refusal === undefined) throw error;
      binaries.set(uid, refusal);
    }
  }
  return binaries;
}

/** The server's "[code] text" when `error` is its refusal to decode one message for BINARY[]; else undefined. */
function messageRefusal(error: unknown): string | undefined {
  if (!isConnectorError(error) || error.code !== 'FOLDER_FAILED') return undefined;
  const code = responseCodeOf(error.cause);
  if (code === undefined || !MESSAGE_REFUSALS.has(code)) return undefined;
  const text = (error.cause as { responseText?: unknown }).responseText;
  return `[${code}] ${typeof text === 'string' ? text : error.message}`;
}
