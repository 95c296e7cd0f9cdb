/**
 * The test-facing EwsMailbox: seeds a mailbox before a test and inspects it afterwards,
 * without going through SOAP.
 */
import type { FlagStatus, ItemRecord, MailboxModel } from './mailbox.js';
import { splitPath } from './mailbox.js';
import { tagKey, TAG } from './extended-props.js';

export interface EwsMessageView {
  id: string;
  mime: Buffer;
  isRead: boolean;
  flag: string;
  categories: string[];
  received?: Date;
  sent?: Date;
  messageFlags?: number;
  itemClass: string;
  /** Extended properties as stored: key `tag:0x0E07` / `name:{PropertySetId}:{Name}` / `id:{PropertySetId}:{Id}` -> value text. */
  extended: Map<string, string>;
}

export interface EwsMailbox {
  /** Creates a folder (and missing parents) under msgfolderroot; path uses '/', e.g. 'Inbox/Projects' or 'Calendar' (existing well-known folders are reused). folderClass default 'IPF.Note'. Returns the folder id. */
  addFolder(path: string, options?: { folderClass?: string }): string;
  /** Stores a message; returns its ItemId. */
  addMessage(
    path: string,
    mime: Buffer,
    props?: {
      isRead?: boolean;
      flag?: 'NotFlagged' | 'Flagged' | 'Complete';
      categories?: string[];
      lastVerbExecuted?: number;
      received?: Date;
      sent?: Date;
      itemClass?: string;
    },
  ): string;
  /** Non-mail item (e.g. an appointment in Calendar) so folder counts are non-zero. */
  addItem(path: string, itemClass: string, subject: string): string;
  deleteItem(id: string): void;
  setRead(id: string, isRead: boolean): void;
  folders(): Array<{ id: string; path: string; folderClass: string | undefined; totalCount: number }>;
  /** Messages of a folder in creation order, with everything a test checks after a CreateItem. */
  messages(path: string): EwsMessageView[];
}

/** The MIME Exchange would export for a non-mail item: iCalendar, vCard or a bare message. */
function syntheticMime(itemClass: string, subject: string): Buffer {
  if (itemClass.startsWith('IPM.Appointment')) {
    return Buffer.from(`BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:${subject}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`);
  }
  if (itemClass.startsWith('IPM.Contact')) return Buffer.from(`BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${subject}\r\nEND:VCARD\r\n`);
  return Buffer.from(`Subject: ${subject}\r\n\r\n`);
}

export function mailboxView(model: MailboxModel): EwsMailbox {
  const folderAt = (path: string) => {
    const folder = model.folderAtPath(path);
    if (!folder) throw new Error(`${model.address}: no folder '${path}' (create it with addFolder first)`);
    return folder;
  };
  const itemById = (id: string): ItemRecord => {
    const item = model.liveItemById(id);
    if (!item) throw new Error(`${model.address}: no item ${id}`);
    return item;
  };
  return {
    addFolder(path, options) {
      let folder = model.msgFolderRoot;
      const parts = splitPath(path);
      if (parts.length === 0) throw new Error('addFolder: empty path');
      parts.forEach((part, index) => {
        // Missing parents are plain mail folders; the class applies to the last segment.
        const folderClass = index === parts.length - 1 ? (options?.folderClass ?? 'IPF.Note') : 'IPF.Note';
        folder = model.childNamed(folder, part) ?? model.createFolder(folder, part, folderClass)!;
      });
      return folder.id;
    },
    addMessage(path, mime, props = {}) {
      const extended = new Map<string, { type: string; value: string }>();
      if (props.lastVerbExecuted !== undefined) extended.set(tagKey(TAG.lastVerbExecuted), { type: 'Integer', value: String(props.lastVerbExecuted) });
      return model.createItem(folderAt(path), {
        mime: Buffer.from(mime),
        itemClass: props.itemClass ?? 'IPM.Note',
        isRead: props.isRead ?? false,
        flag: props.flag,
        categories: props.categories,
        received: props.received,
        sent: props.sent,
        extended,
      }).id;
    },
    addItem(path, itemClass, subject) {
      return model.createItem(folderAt(path), { mime: syntheticMime(itemClass, subject), itemClass, subject, isRead: true }).id;
    },
    deleteItem(id) {
      model.delete(itemById(id));
    },
    setRead(id, isRead) {
      model.setRead(itemById(id), isRead);
    },
    folders() {
      return model.descendants(model.msgFolderRoot).map((f) => ({
        id: f.id,
        path: model.pathOf(f),
        folderClass: f.folderClass,
        totalCount: model.liveItems(f).length,
      }));
    },
    messages(path) {
      return model.liveItems(folderAt(path)).map((item) => {
        const view: EwsMessageView = {
          id: item.id,
          mime: item.mime,
          isRead: item.isRead,
          flag: item.flag satisfies FlagStatus,
          categories: [...item.categories],
          received: item.received,
          itemClass: item.itemClass,
          extended: new Map([...item.extended].map(([k, v]) => [k, v.value])),
        };
        if (item.sent) view.sent = item.sent;
        if (item.messageFlags !== undefined) view.messageFlags = item.messageFlags;
        return view;
      });
    },
  };
}
