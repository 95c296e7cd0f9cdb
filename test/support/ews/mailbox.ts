/**
 * The in-memory mailbox model behind the server: a folder tree with the well-known
 * folders, items with the properties the migration cares about, and a per-mailbox change
 * counter that SyncFolderItems reads (like Exchange's change numbers).
 *
 * Items are never removed from the model: a deletion leaves a tombstone (deletedCn) so a
 * later SyncFolderItems can report it, and a move is a deletion plus a new item with a new
 * id (Exchange changes the ItemId of a moved item as well).
 */
import { randomBytes } from 'node:crypto';
import { changeKey, decodeId, encodeId } from './ids.js';
import { headerDate, headerValue } from './mime-headers.js';
import { tagKey, TAG } from './extended-props.js';

export type FlagStatus = 'NotFlagged' | 'Flagged' | 'Complete';

export interface FolderRecord {
  readonly num: number;
  readonly id: string;
  version: number;
  readonly parent: FolderRecord | undefined;
  displayName: string;
  folderClass: string | undefined;
  /** DistinguishedFolderId name for the well-known folders. */
  readonly distinguished: string | undefined;
  readonly children: FolderRecord[];
  /** Every item that ever lived here, tombstones included, in creation order. */
  readonly items: ItemRecord[];
}

export interface StoredProperty {
  type: string;
  value: string;
}

export interface ItemRecord {
  readonly num: number;
  readonly id: string;
  readonly folder: FolderRecord;
  version: number;
  readonly mime: Buffer;
  readonly itemClass: string;
  readonly subject: string | undefined;
  isRead: boolean;
  flag: FlagStatus;
  categories: string[];
  readonly received: Date;
  readonly sent: Date | undefined;
  readonly created: Date;
  /** PidTagMessageFlags as the client set it, undefined when it did not. */
  readonly messageFlags: number | undefined;
  /** Created through CreateItem without PidTagMessageFlags: Exchange keeps it as a draft. */
  readonly draft: boolean;
  readonly extended: Map<string, StoredProperty>;
  readonly createdCn: number;
  readCn: number;
  updateCn: number;
  lastCn: number;
  deletedCn: number | undefined;
}

export interface NewItem {
  mime: Buffer;
  itemClass: string;
  subject?: string | undefined;
  isRead: boolean;
  flag?: FlagStatus | undefined;
  categories?: string[] | undefined;
  received?: Date | undefined;
  sent?: Date | undefined;
  messageFlags?: number | undefined;
  draft?: boolean | undefined;
  extended?: Map<string, StoredProperty> | undefined;
}

/** DistinguishedFolderId name, display name and class of the folders every mailbox has. */
const WELL_KNOWN: ReadonlyArray<readonly [string, string, string | undefined]> = [
  ['inbox', 'Inbox', 'IPF.Note'],
  ['sentitems', 'Sent Items', 'IPF.Note'],
  ['drafts', 'Drafts', 'IPF.Note'],
  ['deleteditems', 'Deleted Items', 'IPF.Note'],
  ['junkemail', 'Junk Email', 'IPF.Note'],
  ['calendar', 'Calendar', 'IPF.Appointment'],
  ['contacts', 'Contacts', 'IPF.Contact'],
  ['tasks', 'Tasks', 'IPF.Task'],
];

export class MailboxModel {
  readonly guid = randomBytes(16);
  readonly guidHex = this.guid.toString('hex');
  readonly root: FolderRecord;
  readonly msgFolderRoot: FolderRecord;
  private readonly foldersByNum = new Map<number, FolderRecord>();
  private readonly itemsByNum = new Map<number, ItemRecord>();
  private lastNum = 0;
  /** Mailbox-wide change number: every create, read-flag change, update and delete takes the next one. */
  private cn = 0;

  constructor(readonly address: string) {
    // The mailbox root (DistinguishedFolderId "root") holds the IPM subtree "msgfolderroot".
    this.root = this.newFolder(undefined, '', undefined, 'root');
    this.msgFolderRoot = this.newFolder(this.root, 'Top of Information Store', undefined, 'msgfolderroot');
    for (const [name, displayName, folderClass] of WELL_KNOWN) this.newFolder(this.msgFolderRoot, displayName, folderClass, name);
  }

  get currentCn(): number {
    return this.cn;
  }

  private nextCn(): number {
    this.cn += 1;
    return this.cn;
  }

  private newFolder(parent: FolderRecord | undefined, displayName: string, folderClass: string | undefined, distinguished?: string): FolderRecord {
    this.lastNum += 1;
    const folder: FolderRecord = {
      num: this.lastNum,
      id: encodeId(this.guid, 'folder', this.lastNum),
      version: 1,
      parent,
      displayName,
      folderClass,
      distinguished,
      children: [],
      items: [],
    };
    parent?.children.push(folder);
    this.foldersByNum.set(folder.num, folder);
    return folder;
  }

  folderChangeKey(folder: FolderRecord): string {
    return changeKey('folder', folder.num, folder.version);
  }

  itemChangeKey(item: ItemRecord): string {
    return changeKey('item', item.num, item.version);
  }

  distinguishedFolder(name: string): FolderRecord | undefined {
    for (const folder of this.foldersByNum.values()) if (folder.distinguished === name) return folder;
    return undefined;
  }

  folderByNum(num: number): FolderRecord | undefined {
    return this.foldersByNum.get(num);
  }

  itemByNum(num: number): ItemRecord | undefined {
    return this.itemsByNum.get(num);
  }

  /** Folder names are unique among siblings, compared case-insensitively (as in Exchange). */
  childNamed(parent: FolderRecord, name: string): FolderRecord | undefined {
    const wanted = name.toLowerCase();
    return parent.children.find((c) => c.displayName.toLowerCase() === wanted);
  }

  /** Undefined when a sibling already has this name (ErrorFolderExists). */
  createFolder(parent: FolderRecord, displayName: string, folderClass: string | undefined): FolderRecord | undefined {
    if (this.childNamed(parent, displayName)) return undefined;
    parent.version += 1;
    return this.newFolder(parent, displayName, folderClass);
  }

  /** 'Inbox/Projects' relative to msgfolderroot; '' is msgfolderroot itself. */
  folderAtPath(path: string): FolderRecord | undefined {
    let folder: FolderRecord | undefined = this.msgFolderRoot;
    for (const part of splitPath(path)) {
      folder = folder && this.childNamed(folder, part);
    }
    return folder;
  }

  pathOf(folder: FolderRecord): string {
    const parts: string[] = [];
    for (let f: FolderRecord | undefined = folder; f && f !== this.msgFolderRoot && f !== this.root; f = f.parent) parts.unshift(f.displayName);
    return parts.join('/');
  }

  /** Depth-first, pre-order (the order of a Deep FindFolder). */
  descendants(folder: FolderRecord): FolderRecord[] {
    const out: FolderRecord[] = [];
    const walk = (f: FolderRecord): void => {
      for (const c of f.children) {
        out.push(c);
        walk(c);
      }
    };
    walk(folder);
    return out;
  }

  liveItems(folder: FolderRecord): ItemRecord[] {
    return folder.items.filter((i) => i.deletedCn === undefined);
  }

  createItem(folder: FolderRecord, fields: NewItem): ItemRecord {
    this.lastNum += 1;
    const cn = this.nextCn();
    const item: ItemRecord = {
      num: this.lastNum,
      id: encodeId(this.guid, 'item', this.lastNum),
      folder,
      version: 1,
      mime: fields.mime,
      itemClass: fields.itemClass,
      subject: fields.subject ?? headerValue(fields.mime, 'Subject'),
      isRead: fields.isRead,
      flag: fields.flag ?? 'NotFlagged',
      categories: [...(fields.categories ?? [])],
      received: fields.received ?? new Date(),
      sent: fields.sent ?? headerDate(fields.mime),
      created: new Date(),
      messageFlags: fields.messageFlags,
      draft: fields.draft ?? false,
      extended: fields.extended ?? new Map(),
      createdCn: cn,
      readCn: cn,
      updateCn: cn,
      lastCn: cn,
      deletedCn: undefined,
    };
    folder.items.push(item);
    folder.version += 1;
    this.itemsByNum.set(item.num, item);
    return item;
  }

  /** Returns false when nothing changed (no change is recorded then, as in Exchange). */
  setRead(item: ItemRecord, isRead: boolean): boolean {
    if (item.isRead === isRead) return false;
    item.isRead = isRead;
    item.readCn = item.lastCn = this.nextCn();
    item.version += 1;
    return true;
  }

  /** Any other property change: reported by SyncFolderItems as an Update. */
  touch(item: ItemRecord): void {
    item.updateCn = item.lastCn = this.nextCn();
    item.version += 1;
  }

  delete(item: ItemRecord): void {
    if (item.deletedCn !== undefined) return;
    item.deletedCn = this.nextCn();
    item.folder.version += 1;
  }

  /** Exchange gives a moved item a new id: model it as delete + create. */
  move(item: ItemRecord, target: FolderRecord): ItemRecord {
    this.delete(item);
    return this.createItem(target, {
      mime: item.mime,
      itemClass: item.itemClass,
      subject: item.subject,
      isRead: item.isRead,
      flag: item.flag,
      categories: item.categories,
      received: item.received,
      sent: item.sent,
      messageFlags: item.messageFlags,
      draft: item.draft,
      extended: new Map(item.extended),
    });
  }

  /** Item of this mailbox by id (tombstones excluded). */
  liveItemById(id: string): ItemRecord | undefined {
    const decoded = decodeId(id);
    if (!decoded || decoded.kind !== 'item' || decoded.mailboxGuid !== this.guidHex) return undefined;
    const item = this.itemsByNum.get(decoded.num);
    return item && item.deletedCn === undefined ? item : undefined;
  }

  /** PidTagMessageFlags as Exchange would report it: the READ bit follows IsRead, drafts carry UNSENT. */
  effectiveMessageFlags(item: ItemRecord): number {
    const base = item.messageFlags ?? (item.draft ? 0x8 : 0);
    return (base & ~0x1) | (item.isRead ? 0x1 : 0);
  }

  /** Item size: the MIME byte count (Exchange reports the larger MAPI size; nothing relies on the difference). */
  size(item: ItemRecord): number {
    return item.mime.length;
  }

  /** Values of extended properties the model computes from item fields rather than storing. */
  computedProperty(item: ItemRecord, key: string): StoredProperty | undefined {
    switch (key) {
      case tagKey(TAG.messageFlags):
        return { type: 'Integer', value: String(this.effectiveMessageFlags(item)) };
      case tagKey(TAG.messageDeliveryTime):
        return { type: 'SystemTime', value: item.received.toISOString().replace(/\.\d{3}Z$/, 'Z') };
      case tagKey(TAG.clientSubmitTime):
        return item.sent ? { type: 'SystemTime', value: item.sent.toISOString().replace(/\.\d{3}Z$/, 'Z') } : undefined;
      case tagKey(TAG.messageSize):
        return { type: 'Integer', value: String(this.size(item)) };
      case tagKey(TAG.messageClass):
        return { type: 'String', value: item.itemClass };
      default:
        return item.extended.get(key);
    }
  }
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}
