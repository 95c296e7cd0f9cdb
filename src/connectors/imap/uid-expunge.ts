/**
 * Removing exactly the given messages: `UID STORE +FLAGS (\Deleted)` then
 * `UID EXPUNGE <uids>` (UIDPLUS, RFC 4315). A plain EXPUNGE would also remove every
 * other message that carries \Deleted (a user's, or one mirrored with that flag), so
 * without UIDPLUS nothing is removed at all. imapflow's messageDelete falls back to
 * plain EXPUNGE without UIDPLUS: the capability is checked here first.
 */
import { ConnectorError } from '../connector-error.js';
import { commandFailed } from './imap-errors.js';
import type { ImapSession } from './imap-session.js';
import { uidSetChunks } from './uid-set.js';

export async function expungeUids(session: ImapSession, path: string, uids: readonly number[]): Promise<void> {
  if (uids.length === 0) return;
  const client = await session.imap();
  if (!session.hasCapability('UIDPLUS')) {
    throw new ConnectorError(
      `delete messages in "${path}" on ${session.label}: the server lacks UIDPLUS (UID EXPUNGE), so deletions cannot be mirrored safely ` +
        '(a plain EXPUNGE would also remove other messages marked \\Deleted)',
      { code: 'UNSUPPORTED', scope: 'account', retry: 'never' },
    );
  }
  await session.select(path, false);
  for (const set of uidSetChunks(uids)) {
    const removed = await client.messageDelete(set, { uid: true });
    if (!removed) throw commandFailed(client, `delete UIDs ${set} in "${path}" on ${session.label}`);
  }
}
