/**
 * CREATE as real servers answer it. Only Dovecot says `NO [ALREADYEXISTS]` (RFC 5530)
 * for a folder that is there; Cyrus answers "NO Mailbox already exists", Courier and
 * Mailutils other words, none with a code. So a refused CREATE is followed by a LIST of
 * the folder, and a folder that is listed counts as made. One that is not stays refused,
 * for good: the server answered this name, retrying it for half a minute changes nothing.
 *
 * INBOX always exists and CREATE INBOX is an error (RFC 3501 6.3.3): it is never sent.
 */
import type { EnsuredFolder } from '../types.js';
import { ConnectorError } from '../connector-error.js';
import { responseCodeOf, toConnectorError } from './imap-errors.js';
import type { ImapSession } from './imap-session.js';

export async function createFolder(session: ImapSession, path: string): Promise<EnsuredFolder> {
  if (isInbox(path)) return { path, created: false };
  const client = await session.imap();
  try {
    const result = await client.mailboxCreate(path);
    return { path, created: result.created };
  } catch (error) {
    if (responseCodeOf(error) === 'ALREADYEXISTS') return { path, created: false };
    const refused = toConnectorError(error, `create folder "${path}" on ${session.label}`, 'folder');
    if (refused.code !== 'FOLDER_FAILED') throw refused;
    if (await isListed(session, path)) return { path, created: false };
    throw new ConnectorError(refused.message, { code: 'FOLDER_FAILED', scope: 'folder', retry: 'never', cause: error });
  }
}

/** ASCII-only, any case, as mapping/folder-path.ts: a Turkish "ınbox" upper-cases to INBOX but is another name. */
function isInbox(path: string): boolean {
  return /^inbox$/i.test(path);
}

/** Whether LIST shows `path` (INBOX in any case). */
export async function isListed(session: ImapSession, path: string): Promise<boolean> {
  if (isInbox(path)) return true;
  const folders = await session.listFolders();
  return folders.some((folder) => folder.path === path);
}
