/**
 * Every UID of a folder, from a listing the server's own count agrees with.
 *
 * A listing is the one answer that can lose mail silently: GNU Mailutils answers
 * `UID SEARCH UID 1:*` with nothing although EXAMINE said EXISTS 300, and a run that
 * trusted it copied 0 messages and called the folder done. So the SEARCH answer is checked
 * against EXISTS; where they disagree, `UID FETCH 1:* (UID)` is asked instead, and where
 * that disagrees too the folder fails loudly rather than pass for complete.
 *
 * EXISTS is read after each answer: the untagged EXISTS and EXPUNGE a server sends along
 * with a command keep imapflow's count current, so mail arriving meanwhile is no mismatch.
 */
import type { ImapFlow } from 'imapflow';
import { ConnectorError } from '../connector-error.js';
import { commandFailed, toConnectorError } from './imap-errors.js';
import type { ImapSession } from './imap-session.js';

/** Every UID of the selected folder `path`, ascending; `client` has it selected. */
export async function checkedUids(session: ImapSession, client: ImapFlow, path: string, readOnly: boolean): Promise<number[]> {
  const where = `list "${path}" on ${session.label}`;
  const searched = await searchEveryUid(client, where);
  if (searched.length === existsOf(client)) return searched;

  const fetched = (await session.fetch(path, '1:*', readOnly, { uid: true })).map((message) => message.uid);
  const exists = existsOf(client);
  const uids = [...new Set(fetched)].sort((a, b) => a - b);
  if (uids.length === exists) {
    session.logger?.warn({
      account: session.label, folder: path, searched: searched.length, exists,
      msg: 'the server\'s UID SEARCH disagreed with its EXISTS count; listed the folder with UID FETCH 1:* (UID) instead',
    });
    return uids;
  }
  throw new ConnectorError(
    `${where}: the server contradicts itself: EXISTS says ${exists} messages, UID SEARCH listed ${searched.length} ` +
      `and UID FETCH 1:* listed ${uids.length}; the folder is not copied rather than copied in part`,
    { code: 'LISTING_MISMATCH', scope: 'folder', retry: 'now' },
  );
}

async function searchEveryUid(client: ImapFlow, where: string): Promise<number[]> {
  let uids;
  try {
    uids = await client.search({ uid: '1:*' }, { uid: true });
  } catch (error) {
    throw toConnectorError(error, where, 'folder');
  }
  // A failed SEARCH is `false`, not an exception: never let it pass for an empty folder.
  if (!Array.isArray(uids)) throw commandFailed(client, where);
  return [...new Set(uids)].sort((a, b) => a - b);
}

function existsOf(client: ImapFlow): number {
  return client.mailbox ? client.mailbox.exists : 0;
}
