/**
 * Every UID of a folder, for a mirror that compares the whole folder (to see what was
 * expunged). The list is trusted only under one UIDVALIDITY, so it is read between two
 * fresh EXAMINEs and a change in between (the folder was deleted and made again) rejects
 * the call instead of handing back UIDs that name other messages now.
 *
 * Fresh, not the kept selection: Dovecot answers SEARCH and even STATUS from a session's
 * view of the selected folder, and a session that had the folder selected while it was
 * deleted and made again keeps answering from the old one (a NOOP does not mend it).
 */
import { ConnectorError } from '../connector-error.js';
import type { ImapSession } from './imap-session.js';

export interface AllUids {
  readonly uidValidity: string;
  readonly uids: number[];
}

export async function listAllUids(session: ImapSession, path: string): Promise<AllUids> {
  const before = (await session.reopen(path, true)).uidValidity.toString();
  // UID SEARCH on the selection just made (an empty folder is answered without one).
  const uids = await session.searchUids(path, 0, true);
  const after = (await session.reopen(path, true)).uidValidity.toString();
  if (before !== after) {
    throw new ConnectorError(`list UIDs of "${path}" on ${session.label}: UIDVALIDITY changed from ${before} to ${after} while reading`, {
      code: 'UIDVALIDITY_CHANGED', scope: 'folder', retry: 'now',
    });
  }
  return { uidValidity: after, uids };
}
