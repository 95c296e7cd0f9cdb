/**
 * Stores a batch of messages on the target: in one atomic MULTIAPPEND when the target
 * can; in one non-atomic request with a result per message where the target offers that
 * (EWS CreateItem); one by one otherwise or when an atomic batch was refused (then each
 * refusal is pinned to its message). Refused messages come back with the server's
 * reason, to quarantine. Every message carries its marker (kept by targets that can).
 */
import { isConnectorError } from '../connectors/connector-error.js';
import type { AppendItem, FlagPolicy, TargetConnector } from '../connectors/types.js';
import { mapFlags } from '../mapping/index.js';
import type { HashedMessage } from './source-batches.js';

export interface Appended {
  readonly srcUid: number;
  readonly size: number;
  /** Target UID when the server reported it. */
  readonly uid?: number;
}

export interface Refused {
  readonly srcUid: number;
  readonly size: number;
  readonly code: string;
  readonly reason: string;
}

export interface AppendOutcome {
  readonly appended: Appended[];
  readonly refused: Refused[];
}

export async function appendMessages(
  target: TargetConnector, path: string, messages: readonly HashedMessage[], policy: FlagPolicy, markerOf: (srcUid: number) => string,
): Promise<AppendOutcome> {
  const outcome: AppendOutcome = { appended: [], refused: [] };
  const limit = target.capabilities.maxMessageBytes;
  const acceptable = messages.filter((m) => {
    if (limit === undefined || m.size <= limit) return true;
    outcome.refused.push({ srcUid: m.srcUid, size: m.size, code: 'MESSAGE_TOO_LARGE', reason: `message of ${m.size} bytes exceeds the target's APPENDLIMIT of ${limit} bytes` });
    return false;
  });
  const items = acceptable.map((m): AppendItem => ({
    raw: m.message.raw, flags: mapFlags(m.message.flags, policy).flags, internalDate: m.message.internalDate, marker: markerOf(m.srcUid),
  }));

  if (items.length > 0 && target.appendEach) {
    const results = await target.appendEach(path, items);
    acceptable.forEach((m, i) => {
      const result = results[i];
      if (result?.stored) outcome.appended.push(withUid({ srcUid: m.srcUid, size: m.size }, result.result.uid));
      else if (result && result.error.scope === 'message') outcome.refused.push({ srcUid: m.srcUid, size: m.size, code: result.error.code, reason: result.error.message });
      else throw result?.error ?? new Error(`appendEach returned no result for message ${i + 1} of ${items.length}`);
    });
    return outcome;
  }

  // A batch of one goes this way too: it is a plain APPEND, sent without extra copies.
  if (items.length > 0 && target.capabilities.batchAppend && target.appendBatch) {
    try {
      const results = await target.appendBatch(path, items);
      acceptable.forEach((m, i) => outcome.appended.push(withUid({ srcUid: m.srcUid, size: m.size }, results[i]?.uid)));
      return outcome;
    } catch (error) {
      // Refused as a whole: nothing was stored (RFC 3502); find the culprit one by one.
      if (!isConnectorError(error) || error.scope !== 'message') throw error;
      const [only] = acceptable;
      if (acceptable.length === 1 && only) {
        outcome.refused.push({ srcUid: only.srcUid, size: only.size, code: error.code, reason: error.message });
        return outcome;
      }
    }
  }
  for (const [i, m] of acceptable.entries()) {
    const item = items[i] as AppendItem;
    try {
      const result = await target.append(path, item.raw, item.flags, item.internalDate, item.marker);
      outcome.appended.push(withUid({ srcUid: m.srcUid, size: m.size }, result.uid));
    } catch (error) {
      if (!isConnectorError(error) || error.scope !== 'message') throw error;
      outcome.refused.push({ srcUid: m.srcUid, size: m.size, code: error.code, reason: error.message });
    }
  }
  return outcome;
}

function withUid(appended: Appended, uid: number | undefined): Appended {
  return uid === undefined ? appended : { ...appended, uid };
}
