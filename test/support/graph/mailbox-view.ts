/**
 * The test-facing GraphMailbox: seeds a mailbox before a test and changes or inspects it
 * during and after one, without going through HTTP. Changes made here are what a delta
 * round reports next (a user reading mail in Outlook while the migration runs).
 *
 * Folder paths are display names from the top of the mailbox joined with '/', e.g.
 * 'Inbox/Projects' (names compare without regard to case); a display name that contains
 * '/' is given as an array of names: ['Inbox', 'a/b'].
 */
import type { FlagStatus, MailboxModel, MessageRecord } from './mailbox.js';

export type FolderPath = string | readonly string[];

export interface GraphMessageView {
  id: string;
  raw: Buffer;
  isRead: boolean;
  flag: FlagStatus;
  categories: string[];
  receivedDateTime: Date;
  isDraft: boolean;
}

export interface MessageState {
  isRead?: boolean;
  flag?: FlagStatus;
  categories?: string[];
  receivedDateTime?: Date;
  isDraft?: boolean;
}

export interface GraphMailbox {
  /** Creates the folder and any missing parents (existing ones, well-known ones included, are reused); returns its id. `hidden` applies to folders it creates. */
  addFolder(path: FolderPath, options?: { hidden?: boolean }): string;
  /** Stores `raw` (copied, kept byte for byte) in the folder; returns the message id. */
  addMessage(folder: FolderPath, raw: Buffer, state?: MessageState): string;
  /** Changes read state, flag or categories; a change makes the message show up in the next delta round. */
  updateMessage(id: string, changes: { isRead?: boolean; flag?: FlagStatus; categories?: string[] }): void;
  /** Removes the message (hard delete): the next delta round reports it "@removed". */
  deleteMessage(id: string): void;
  /** Moves the message; as in Graph (without ImmutableId) it gets a new id, which is returned. */
  moveMessage(id: string, toFolder: FolderPath): string;
  /** The folder's messages, oldest first, as stored. */
  messages(folder: FolderPath): GraphMessageView[];
  folderId(path: FolderPath): string;
  /** Non-mail items, so a source can report them as skipped with counts. */
  addCalendarEvents(count: number): void;
  addContacts(count: number): void;
  addTasks(count: number): void;
}

function parts(path: FolderPath): string[] {
  const list = typeof path === 'string' ? path.split('/') : [...path];
  const names = list.filter((p) => p !== '');
  if (names.length === 0) throw new Error('Graph test server: empty folder path');
  return names;
}

export function mailboxView(model: MailboxModel): GraphMailbox {
  const folderAt = (path: FolderPath) => {
    const folder = model.folderAt(parts(path));
    if (!folder) throw new Error(`${model.address}: no folder '${parts(path).join('/')}' (create it with addFolder first)`);
    return folder;
  };
  const messageById = (id: string): MessageRecord => {
    const found = model.allLiveMessages().find((m) => m.id === id);
    if (!found) throw new Error(`${model.address}: no message ${id}`);
    return found;
  };
  return {
    addFolder(path, options) {
      let folder = model.msgFolderRoot;
      for (const name of parts(path)) folder = model.ensureChild(folder, name, options?.hidden ?? false);
      return folder.id;
    },
    addMessage(folder, raw, state = {}) {
      return model.addMessage(folderAt(folder), {
        raw: Buffer.from(raw),
        isRead: state.isRead,
        flag: state.flag,
        categories: state.categories,
        received: state.receivedDateTime,
        isDraft: state.isDraft,
      }).id;
    },
    updateMessage(id, changes) {
      const message = messageById(id);
      let changed = false;
      if (changes.isRead !== undefined && changes.isRead !== message.isRead) {
        message.isRead = changes.isRead;
        changed = true;
      }
      if (changes.flag !== undefined && changes.flag !== message.flag) {
        message.flag = changes.flag;
        changed = true;
      }
      if (changes.categories !== undefined && changes.categories.join('\u0000') !== message.categories.join('\u0000')) {
        message.categories = [...changes.categories];
        changed = true;
      }
      if (changed) model.touch(message);
    },
    deleteMessage(id) {
      model.delete(messageById(id));
    },
    moveMessage(id, toFolder) {
      return model.move(messageById(id), folderAt(toFolder)).id;
    },
    messages(folder) {
      return model.liveMessages(folderAt(folder)).map((m) => ({
        id: m.id,
        raw: m.raw,
        isRead: m.isRead,
        flag: m.flag,
        categories: [...m.categories],
        receivedDateTime: m.received,
        isDraft: m.isDraft,
      }));
    },
    folderId(path) {
      return folderAt(path).id;
    },
    addCalendarEvents(count) {
      model.addPimItems(model.events, 'event', count, 'Event');
    },
    addContacts(count) {
      model.addPimItems(model.contacts, 'contact', count, 'Contact');
    },
    addTasks(count) {
      model.addPimItems(model.tasks, 'task', count, 'Task');
    },
  };
}
