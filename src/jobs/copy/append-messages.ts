/**
 * Stores a batch of messages on the target: in one atomic request when the target can
 * (MULTIAPPEND); in one non-atomic request with a result per message where the target
 * offers that (EWS CreateItem); one by one otherwise or when an atomic batch was refused
 * (then each refusal is pinned to its message). Messages the target cannot store as they
 * are, or refuses, come back with the reason, to quarantine. Never are bytes altered to
 * make a message fit.
 */
import { isConnectorError } from '../../connectors/connector-error.js';
import type { AppendItem, FlagPolicy, TargetConnector } from '../../connectors/types.js';
import { mapFlags } from '../../mapping/index.js';
import type { SourceMessage } from './source-message.js';

export interface Appended {
  readonly key: string;
  readonly size: number;
  /** Target UID when the server reported it. */
  readonly uid?: number;
}

export interface Refused {
  readonly key: string;
  readonly size: number;
  readonly code: string;
  readonly reason: string;
}

export interface AppendOutcome {
  readonly appended: Appended[];
  readonly refused: Refused[];
}

export async function appendMessages(
  target: TargetConnector, path: string, messages: readonly SourceMessage[], policy: FlagPolicy, markerOf: (key: string) => string,
): Promise<AppendOutcome> {
  const outcome: AppendOutcome = { appended: [], refused: [] };
  const acceptable = messages.filter((m) => {
    const refusal = unstorable(target, m);
    if (refusal) outcome.refused.push({ key: m.key, size: m.size, ...refusal });
    return refusal === undefined;
  });
  const items = acceptable.map((m): AppendItem => ({ raw: m.raw, flags: mapFlags(m.flags, policy).flags, internalDate: m.internalDate, marker: markerOf(m.key) }));
  const { appendEach, appendAtomic } = target.features;

  if (items.length > 0 && appendEach) {
    const results = await appendEach(path, items);
    acceptable.forEach((m, i) => {
      const result = results[i];
      if (result?.stored) outcome.appended.push(withUid({ key: m.key, size: m.size }, result.result.uid));
      else if (result && result.error.scope === 'message') outcome.refused.push({ key: m.key, size: m.size, code: result.error.code, reason: result.error.message });
      else throw result?.error ?? new Error(`appendEach returned no result for message ${i + 1} of ${items.length}`);
    });
    return outcome;
  }

  // A batch of one goes this way too: it is a plain APPEND, sent without extra copies.
  if (items.length > 0 && appendAtomic) {
    try {
      const results = await appendAtomic(path, items);
      acceptable.forEach((m, i) => outcome.appended.push(withUid({ key: m.key, size: m.size }, results[i]?.uid)));
      return outcome;
    } catch (error) {
      // Refused as a whole: nothing was stored (RFC 3502); find the culprit one by one.
      if (!isConnectorError(error) || error.scope !== 'message') throw error;
      const [only] = acceptable;
      if (acceptable.length === 1 && only) {
        outcome.refused.push({ key: only.key, size: only.size, code: error.code, reason: error.message });
        return outcome;
      }
    }
  }
  for (const [i, m] of acceptable.entries()) {
    try {
      const result = await target.append(path, items[i] as AppendItem);
      outcome.appended.push(withUid({ key: m.key, size: m.size }, result.uid));
    } catch (error) {
      if (!isConnectorError(error) || error.scope !== 'message') throw error;
      outcome.refused.push({ key: m.key, size: m.size, code: error.code, reason: error.message });
    }
  }
  return outcome;
}

/** Why the message cannot go to this target as it is, if it cannot. */
function unstorable(target: TargetConnector, m: SourceMessage): { code: string; reason: string } | undefined {
  if (m.inexact !== undefined) return { code: 'SOURCE_INEXACT', reason: m.inexact };
  const limit = target.features.maxMessageBytes;
  if (limit !== undefined && m.size > limit) {
    return { code: 'MESSAGE_TOO_LARGE', reason: `message of ${m.size} bytes exceeds the target's APPENDLIMIT of ${limit} bytes` };
  }
  if (!target.features.storesNul && m.raw.includes(0)) {
    return {
      code: 'NUL_NOT_STORABLE',
      reason: 'the message holds NUL bytes and the target has no BINARY extension (RFC 3516) to store them; copied as is it would be altered',
    };
  }
  return undefined;
}

function withUid(appended: Appended, uid: number | undefined): Appended {
  return uid === undefined ? appended : { ...appended, uid };
}
