/**
 * Reading and replacing the flags of messages, for a mirror that keeps a target's flags
 * equal to the source's. \Recent is never reported or stored: the server alone sets it.
 */
import type { FetchMessageObject } from 'imapflow';
import type { MessageFlags } from '../types.js';
import { commandFailed } from './imap-errors.js';
import type { ImapSession } from './imap-session.js';
import { uidSetChunks } from './uid-set.js';

const withoutRecent = (flags: Iterable<string>) => [...flags].filter((flag) => flag.toLowerCase() !== '\\recent');

/**
 * Flags of the messages in `uids` (a UID sequence set); with `changedSince` (a CONDSTORE
 * MODSEQ) only of those changed after it. Where the folder has no MODSEQs imapflow drops
 * CHANGEDSINCE and every message in `uids` is reported: more than asked, never less.
 */
export async function readFlags(session: ImapSession, path: string, uids: string, readOnly: boolean, changedSince?: string): Promise<MessageFlags[]> {
  if (changedSince !== undefined && !/^\d+$/.test(changedSince)) throw new TypeError(`changedSince must be a decimal MODSEQ, not "${changedSince}"`);
  // Dovecot runs FETCH on the session's view of the folder, which takes in other sessions'
  // new messages and flag changes only at a sync: the NOOP is one.
  await session.select(path, readOnly, { current: true });
  const messages = await session.fetch(path, uids, readOnly, { uid: true, flags: true }, changedSince === undefined ? {} : { changedSince: BigInt(changedSince) });
  return messages.map(toMessageFlags).sort((a, b) => a.uid - b.uid);
}

/** Flags of the given UIDs (others the server mentioned on the way are left out), fetched in bounded sequence sets. */
export async function readFlagsOf(session: ImapSession, path: string, uids: readonly number[], readOnly: boolean): Promise<MessageFlags[]> {
  const wanted = new Set(uids);
  const found: MessageFlags[] = [];
  for (const set of uidSetChunks(uids)) found.push(...(await readFlags(session, path, set, readOnly)));
  return found.filter((message) => wanted.has(message.uid)).sort((a, b) => a.uid - b.uid);
}

/**
 * Replaces the flags of each message: one `UID STORE <uids> FLAGS (...)` per distinct set
 * of flags. An empty set clears the flags (STORE FLAGS () is valid IMAP, and imapflow
 * sends it for a 'set'). imapflow leaves out flags the folder's PERMANENTFLAGS does not
 * allow, as append does; UIDs that are gone are ignored by the server.
 */
export async function storeFlags(session: ImapSession, path: string, changes: readonly MessageFlags[]): Promise<void> {
  if (changes.length === 0) return;
  // Read-write: EXAMINE would refuse STORE, and its empty PERMANENTFLAGS would filter every flag away.
  await session.select(path, false);
  const client = await session.imap();
  for (const { flags, uids } of groupByFlags(changes)) {
    for (const set of uidSetChunks(uids)) {
      const stored = await client.messageFlagsSet(set, flags, { uid: true });
      if (!stored) throw commandFailed(client, `set flags (${flags.join(' ')}) of UIDs ${set} in "${path}" on ${session.label}`);
    }
  }
}

/** Changes with the same flags (compared case-insensitively, as IMAP does) in one group. */
export function groupByFlags(changes: readonly MessageFlags[]): Array<{ flags: string[]; uids: number[] }> {
  const groups = new Map<string, { flags: string[]; uids: number[] }>();
  for (const change of changes) {
    const unique = new Map(withoutRecent(change.flags).map((flag) => [flag.toLowerCase(), flag]));
    const flags = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, flag]) => flag);
    const key = [...unique.keys()].sort().join(' ');
    const group = groups.get(key) ?? { flags, uids: [] };
    group.uids.push(change.uid);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function toMessageFlags(message: FetchMessageObject): MessageFlags {
  return { uid: message.uid, flags: withoutRecent(message.flags ?? []) };
}
