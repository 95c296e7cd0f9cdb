/**
 * RENAME of a folder, with its subfolders (RFC 3501 6.3.5). imapflow CLOSEs the folder
 * first when it is the selected one, and CLOSE of a read-write selection expunges every
 * \Deleted message in it (RFC 3501 6.4.2). A read-write selection is therefore turned into
 * a read-only one (EXAMINE) before, whose CLOSE removes nothing.
 */
import { ConnectorError } from '../connector-error.js';
import { toConnectorError } from './imap-errors.js';
import type { ImapSession } from './imap-session.js';

export async function renameMailbox(session: ImapSession, from: string, to: string): Promise<void> {
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
