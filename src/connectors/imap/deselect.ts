/**
 * Leaves the selected folder without expunging anything, so the next APPEND goes to a
 * folder this session does not hold open read-write.
 *
 * Why: GNU Mailutils (mbox) keeps its view of a folder selected read-write and writes it
 * back when the session leaves it, dropping the messages APPENDed to it meanwhile; a
 * target that appended 30 messages to its selected folder kept 1. Appending with no
 * folder selected is what mail clients do, and every server handles it. (The target
 * does so on servers without UIDPLUS, see imap-target.ts.)
 *
 * UNSELECT (RFC 3691) where offered; imapflow has no command for it, so it goes through
 * `exec` and imapflow's state is set as its own CLOSE sets it (checked by the imapflow
 * internals contract test). Elsewhere EXAMINE, then CLOSE: CLOSE expunges nothing in a
 * folder selected read-only (RFC 3501 6.4.2).
 */
import type { ImapFlow } from 'imapflow';

interface SelectionState {
  state: unknown;
  states: { AUTHENTICATED: unknown; SELECTED: unknown };
  mailbox: unknown;
  currentSelectCommand: unknown;
  exec(command: string): Promise<{ next(): void }>;
}

export async function deselect(client: ImapFlow): Promise<void> {
  const connection = client as unknown as SelectionState;
  if (connection.state !== connection.states.SELECTED) return;
  if (client.capabilities.has('UNSELECT')) {
    const response = await connection.exec('UNSELECT');
    response.next();
    connection.mailbox = false;
    connection.currentSelectCommand = false;
    connection.state = connection.states.AUTHENTICATED;
    return;
  }
  const mailbox = client.mailbox;
  if (mailbox && !mailbox.readOnly) await client.mailboxOpen(mailbox.path, { readOnly: true });
  await client.mailboxClose();
}
