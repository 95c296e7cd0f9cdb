/**
 * The in-memory mailbox behind the server: the folder tree Exchange Online creates (root,
 * "Top of Information Store" = msgfolderroot, the well-known mail folders), messages with
 * the properties a migration reads, the non-mail items a source only counts, and a
 * mailbox-wide change number that delta rounds read (as Exchange's change numbers).
 *
 * Messages are never dropped from the model: a deletion leaves a tombstone (deletedCn) so
 * a later delta round can report "@removed", and a move is a deletion plus a new message
 * with a new id, as Graph's default (mutable) ids change when a message moves.
 */
import { randomBytes } from 'node:crypto';
import { encodeId, type IdKind } from './ids.js';

export type FlagStatus = 'notFlagged' | 'flagged' | 'complete';

export interface FolderRecord {
  readonly num: number;
  readonly id: string;
  readonly parent: FolderRecord | undefined;
  readonly displayName: string;
  /** The well-known name (resources/mailfolder.md) Graph resolves in a URL in place of the id. */
  readonly wellKnownName: string | undefined;
  readonly hidden: boolean;
  readonly children: FolderRecord[];
  /** Every message that ever lived here, tombstones included, in creation order. */
  readonly messages: MessageRecord[];
}

export interface MessageRecord {
  readonly num: number;
  readonly id: string;
  readonly folder: FolderRecord;
  readonly raw: Buffer;
  isRead: boolean;
  flag: FlagStatus;
  categories: string[];
  readonly received: Date;
  readonly isDraft: boolean;
  readonly created: Date;
  lastModified: Date;
  /** Bumped by every change: the ChangeKey / @odata.etag. */
  version: number;
  readonly createdCn: number;
  lastCn: number;
  deletedCn: number | undefined;
}

export interface NewMessage {
  raw: Buffer;
  isRead?: boolean | undefined;
  flag?: FlagStatus | undefined;
  categories?: readonly string[] | undefined;
  received?: Date | undefined;
  isDraft?: boolean | undefined;
}

/**
 * Events, contacts and To Do tasks: only counted and listed by id and title. Their folders
 * (Calendar, Contacts, Tasks) are not mail folders, which /mailFolders never lists, so the
 * model leaves them out of the folder tree.
 */
export interface PimItem {
  readonly num: number;
  readonly id: string;
  readonly title: string;
  readonly created: Date;
}

/**
 * Display name and well-known name of the folders an Exchange Online mailbox starts with
 * under msgfolderroot (resources/mailfolder.md lists the well-known names; the display
 * names are those of an English mailbox). Hidden ones are listed only with
 * includeHiddenFolders=true (user-list-mailfolders.md, example 2).
 */
const WELL_KNOWN: ReadonlyArray<{ name: string; wellKnown?: string; hidden?: boolean; children?: ReadonlyArray<{ name: string; wellKnown: string }> }> = [
  { name: 'Archive', wellKnown: 'archive' },
  { name: 'Conversation Action Settings', hidden: true },
  { name: 'Conversation History', wellKnown: 'conversationhistory' },
  { name: 'Deleted Items', wellKnown: 'deleteditems' },
  { name: 'Drafts', wellKnown: 'drafts' },
  { name: 'Inbox', wellKnown: 'inbox' },
  { name: 'Junk Email', wellKnown: 'junkemail' },
  { name: 'Outbox', wellKnown: 'outbox' },
  { name: 'Sent Items', wellKnown: 'sentitems' },
  {
    name: 'Sync Issues',
    wellKnown: 'syncissues',
    children: [
      { name: 'Conflicts', wellKnown: 'conflicts' },
      { name: 'Local Failures', wellKnown: 'localfailures' },
      { name: 'Server Failures', wellKnown: 'serverfailures' },
    ],
  },
];

export class MailboxModel {
  readonly guid = randomBytes(16);
  readonly guidHex = this.guid.toString('hex');
  /** The mailbox root ("Root"): the parent of msgfolderroot, outside the IPM subtree. */
  readonly root: FolderRecord;
  /** "Top of Information Store": GET /mailFolders lists its children. */
  readonly msgFolderRoot: FolderRecord;
  readonly events: PimItem[] = [];
  readonly contacts: PimItem[] = [];
  readonly tasks: PimItem[] = [];
  private readonly folders = new Map<number, FolderRecord>();
  private readonly messagesByNum = new Map<number, MessageRecord>();
  private lastNum = 0;
  private cn = 0;

  constructor(readonly address: string) {
    this.root = this.newFolder(undefined, 'Root', { wellKnownName: undefined, hidden: false });
    this.msgFolderRoot = this.newFolder(this.root, 'Top of Information Store', { wellKnownName: 'msgfolderroot', hidden: false });
    for (const entry of WELL_KNOWN) {
      const folder = this.newFolder(this.msgFolderRoot, entry.name, { wellKnownName: entry.wellKnown, hidden: entry.hidden ?? false });
      for (const child of entry.children ?? []) this.newFolder(folder, child.name, { wellKnownName: child.wellKnown, hidden: false });
    }
    // Outside the IPM subtree: reachable by well-known name, never listed under msgfolderroot.
    const recoverable = this.newFolder(this.root, 'Recoverable Items', { wellKnownName: 'recoverableitemsroot', hidden: true });
    this.newFolder(recoverable, 'Deletions', { wellKnownName: 'recoverableitemsdeletions', hidden: true });
    this.newFolder(this.root, 'Finder', { wellKnownName: 'searchfolders', hidden: true });
  }

  /** The change number of the last change; a delta round reports changes after its watermark. */
  get currentCn(): number {
    return this.cn;
  }

  private nextCn(): number {
    this.cn += 1;
    return this.cn;
  }

  private newId(kind: IdKind): { num: number; id: string } {
    this.lastNum += 1;
    return { num: this.lastNum, id: encodeId(this.guid, kind, this.lastNum) };
  }

  private newFolder(parent: FolderRecord | undefined, displayName: string, options: { wellKnownName: string | undefined; hidden: boolean }): FolderRecord {
    const folder: FolderRecord = { ...this.newId('folder'), parent, displayName, ...options, children: [], messages: [] };
    parent?.children.push(folder);
    this.folders.set(folder.num, folder);
    return folder;
  }

  folderByNum(num: number): FolderRecord | undefined {
    return this.folders.get(num);
  }

  folderByWellKnownName(name: string): FolderRecord | undefined {
    const wanted = name.toLowerCase();
    for (const folder of this.folders.values()) if (folder.wellKnownName === wanted) return folder;
    return undefined;
  }

  /** Folder names are unique among siblings, compared without regard to case (as in Exchange). */
  childNamed(parent: FolderRecord, name: string): FolderRecord | undefined {
    const wanted = name.toLowerCase();
    return parent.children.find((c) => c.displayName.toLowerCase() === wanted);
  }

  /** Creates `name` under `parent` unless it exists; `hidden` applies only to a new folder (isHidden is set at creation). */
  ensureChild(parent: FolderRecord, name: string, hidden: boolean): FolderRecord {
    return this.childNamed(parent, name) ?? this.newFolder(parent, name, { wellKnownName: undefined, hidden });
  }

  /** Display names from msgfolderroot down; undefined when one is missing. */
  folderAt(path: readonly string[]): FolderRecord | undefined {
    let folder: FolderRecord | undefined = this.msgFolderRoot;
    for (const part of path) folder = folder && this.childNamed(folder, part);
    return folder;
  }

  liveMessages(folder: FolderRecord): MessageRecord[] {
    return folder.messages.filter((m) => m.deletedCn === undefined);
  }

  allLiveMessages(): MessageRecord[] {
    return [...this.messagesByNum.values()].filter((m) => m.deletedCn === undefined);
  }

  messageByNum(num: number): MessageRecord | undefined {
    return this.messagesByNum.get(num);
  }

  addMessage(folder: FolderRecord, fields: NewMessage): MessageRecord {
    const cn = this.nextCn();
    const now = new Date();
    const message: MessageRecord = {
      ...this.newId('message'),
      folder,
      raw: fields.raw,
      isRead: fields.isRead ?? false,
      flag: fields.flag ?? 'notFlagged',
      categories: [...(fields.categories ?? [])],
      received: fields.received ?? now,
      isDraft: fields.isDraft ?? false,
      created: now,
      lastModified: now,
      version: 1,
      createdCn: cn,
      lastCn: cn,
      deletedCn: undefined,
    };
    folder.messages.push(message);
    this.messagesByNum.set(message.num, message);
    return message;
  }

  /** Any property change: the message shows up once, with its current state, in the next delta round. */
  touch(message: MessageRecord): void {
    message.lastCn = this.nextCn();
    message.version += 1;
    message.lastModified = new Date();
  }

  delete(message: MessageRecord): void {
    if (message.deletedCn === undefined) message.deletedCn = this.nextCn();
  }

  /** Graph's ids are not immutable by default: the moved message gets a new id (a delete here, a create there). */
  move(message: MessageRecord, target: FolderRecord): MessageRecord {
    this.delete(message);
    return this.addMessage(target, {
      raw: message.raw, isRead: message.isRead, flag: message.flag, categories: message.categories, received: message.received, isDraft: message.isDraft,
    });
  }

  addPimItems(list: PimItem[], kind: IdKind, count: number, title: string): void {
    for (let i = 0; i < count; i += 1) list.push({ ...this.newId(kind), title: `${title} ${list.length + 1}`, created: new Date() });
  }
}
