/**
 * imapflow's fetchAll collects every untagged FETCH that arrives while the command runs,
 * including unsolicited ones: another session changed a message's flags and the server
 * says so (RFC 3501 7.4.2), as "* 3 FETCH (FLAGS (\Seen))" without a UID, or with one
 * (and MODSEQ) under CONDSTORE/QRESYNC, possibly for a message that was not asked for.
 * Left in, such an entry would pass for a message without body or size. They are
 * dropped, or merged into the answer for the same UID, later responses winning (their
 * flags are the newer ones).
 */
import type { FetchMessageObject, FetchQueryObject } from 'imapflow';

/** Items a FETCH answer carries only when asked for, never in a flag-change notice. */
const SOLICITED_ITEMS = ['size', 'internalDate', 'source', 'envelope'] as const;

export function solicitedMessages(responses: readonly FetchMessageObject[], query: FetchQueryObject): FetchMessageObject[] {
  const byUid = new Map<number, FetchMessageObject>();
  for (const response of responses) {
    if (typeof response.uid !== 'number') continue;
    const earlier = byUid.get(response.uid);
    byUid.set(response.uid, earlier ? { ...earlier, ...definedFields(response) } : response);
  }
  const required = SOLICITED_ITEMS.filter((item) => query[item]);
  return [...byUid.values()].filter((message) => required.every((item) => message[item] !== undefined));
}

function definedFields(response: FetchMessageObject): Partial<FetchMessageObject> {
  return Object.fromEntries(Object.entries(response).filter(([, value]) => value !== undefined)) as Partial<FetchMessageObject>;
}
