/**
 * RENAME of a folder, with its subfolders (RFC 3501 6.3.5). imapflow CLOSEs the folder
 * first when it is the selected one, and CLOSE of a read-write selection expunges every
 * \Deleted message in it (RFC 3501 6.4.2). A read-write selection is therefore turned into
 * a read-only one (EXAMINE) before, whose CLOSE removes nothing.
 *
 * Courier gives a renamed folder a new UIDVALIDITY (Dovecot and Cyrus keep it): a mirror
 * that follows a rename there reads the folder afresh, finding its copies by content.
 */
import { ConnectorError } from '../connector-error.js';
import { toConnectorError } from './imap-errors.js';
import type { ImapSession } from './imap-session.js';
import { isListed } from './create-folder.js';

export async function renameMailbox(session: ImapSession, from: string, to: string): Promise<void> {
  // Courier answers OK to a RENAME of a folder that does not exist, and Cyrus refuses it
  // without a response code: whether `from` is there is asked, not read from the answer.
  if (!(await isListed(session, from))) {
    throw new ConnectorError(`rename "${from}" to "${to}" on ${session.label}: "${from}" does not exist`, {
      code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never',
    });
  }
  const client = await session.imap();
  const selected = client.mailbox;
  // Any read-write selection, not only `from` as spelled here: imapflow compares its own
  // normalised path (e.g. "inbox/x" and "INBOX/x" are one folder).
  if (selected && !selected.readOnly) await session.select(selected.path, true);
  try {
    await client.mailboxRename(from, to);
  } catch (error) {
    const code = (error as { serverResponseCode?: string }).serverResponseCode?.toUpperCase();
    if (code === 'ALREADYEXISTS') {
      throw new ConnectorError(`rename "${from}" to "${to}" on ${session.label}: "${to}" already exists`, {
        code: 'FOLDER_FAILED', scope: 'folder', retry: 'never', cause: error,
      });
    }
    throw toConnectorError(error, `rename "${from}" to "${to}" on ${session.label}`, 'folder');
  } finally {
    // The selection may have been CLOSEd, or renamed under us (a subfolder of `from`).
    session.forgetSelection();
  }
}
