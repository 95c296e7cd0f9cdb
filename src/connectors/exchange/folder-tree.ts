/**
 * Folder paths for an Exchange mailbox, built from the flat FindFolders listing under
 * msgfolderroot (the user-visible "Top of Information Store").
 *
 * - A path is the display names from msgfolderroot down, joined with "/".
 * - The Inbox is "INBOX" whatever its (localized) display name, and its subfolders are
 *   "INBOX/...": the mapping layer's convention for the primary mailbox.
 * - A "/" inside a display name ("Q1/Q2") is written as U+2215 DIVISION SLASH ("Q1∕Q2"),
 *   which looks the same in a folder list but is not a hierarchy delimiter anywhere.
 *   Writing to Exchange turns it back into "/" (see `unescapeSegment`).
 * - Two siblings that end up with the same path (a folder whose own name holds U+2215
 *   next to one whose name holds "/", or a top-level folder named "Inbox" that is not the
 *   Inbox) are told apart by a suffix "~" + 8 hex digits of a hash of the folder id,
 *   given to every one of them but the one with the smallest id; the suffix is stable
 *   across runs.
 * - Hidden folders (PidTagAttributeHidden: Exchange's and add-ins' own storage) are
 *   left out, with everything under them.
 */
import type { FolderContent, ItemFolderInfo, SpecialUse } from '../types.js';
import { fnv1a32 } from './stable-hash.js';

export const PATH_DELIMITER = '/';
export const INBOX = 'INBOX';
/** U+2215 DIVISION SLASH: stands for "/" inside one display name. */
export const ESCAPED_DELIMITER = '\u2215';

/** One folder as FindFolders gives it. */
export interface RawFolder {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly displayName: string;
  readonly folderClass: string | undefined;
  readonly totalCount: number;
  readonly hidden: boolean;
}

export interface FolderTreeInput {
  /** msgfolderroot's id: the folders directly under it are the top level. */
  readonly rootId: string;
  readonly inboxId: string | undefined;
  /** Well-known folders' ids and their roles (Sent Items -> \Sent, ...). */
  readonly specialUses: ReadonlyMap<string, SpecialUse>;
  readonly folders: readonly RawFolder[];
}

export interface FolderEntry {
  readonly id: string;
  readonly path: string;
  readonly content: FolderContent;
  readonly itemCount: number;
  readonly specialUse?: SpecialUse;
}

/** One display name as a path segment. */
export function escapeSegment(displayName: string): string {
  return displayName.split(PATH_DELIMITER).join(ESCAPED_DELIMITER);
}

/** One path segment as the display name to give a new folder. */
export function unescapeSegment(segment: string): string {
  return segment.split(ESCAPED_DELIMITER).join(PATH_DELIMITER);
}

const CONTENT_BY_CLASS: ReadonlyArray<readonly [string, FolderContent]> = [
  ['ipf.note', 'mail'],
  ['ipf.appointment', 'calendar'],
  ['ipf.contact', 'contacts'],
  ['ipf.task', 'tasks'],
  ['ipf.stickynote', 'notes'],
];

/**
 * What a folder holds, from its FolderClass. Classes are prefixes ("IPF.Note.Contoso" is
 * still mail) and compare without case. A folder without a class (created over IMAP, for
 * one) holds mail.
 */
export function folderContent(folderClass: string | undefined | null): FolderContent {
  const value = (folderClass ?? '').trim().toLowerCase();
  if (value === '') return 'mail';
  for (const [prefix, content] of CONTENT_BY_CLASS) {
    if (value === prefix || value.startsWith(`${prefix}.`)) return content;
  }
  return 'other';
}

/** Case-insensitive for a top-level "INBOX" (RFC 3501 5.1), exact otherwise. */
function pathKey(path: string): string {
  return /^inbox$/i.test(path) ? INBOX : path;
}

/** The folders' paths, parents before children, siblings in code-point order of their paths. */
export function buildFolderTree(input: FolderTreeInput): FolderEntry[] {
  const children = new Map<string, RawFolder[]>();
  for (const folder of input.folders) {
    if (folder.parentId === undefined || folder.hidden) continue;
    const list = children.get(folder.parentId) ?? [];
    list.push(folder);
    children.set(folder.parentId, list);
  }
  const out: FolderEntry[] = [];
  const visit = (parentId: string, parentPath: string | undefined): void => {
    const named = (children.get(parentId) ?? []).map((folder) => {
      const path = folder.id === input.inboxId && parentPath === undefined ? INBOX : join(parentPath, escapeSegment(folder.displayName));
      return { folder, path };
    }).sort((a, b) => compare(a.path, b.path) || compare(a.folder.id, b.folder.id));
    const claimed = new Map<string, string>();
    // The Inbox owns "INBOX"; otherwise the smallest id keeps a contested path.
    for (const { folder, path } of [...named].sort((a, b) => rank(a.folder, input) - rank(b.folder, input) || compare(a.folder.id, b.folder.id))) {
      if (!claimed.has(pathKey(path))) claimed.set(pathKey(path), folder.id);
    }
    for (const { folder, path } of named) {
      const unique = claimed.get(pathKey(path)) === folder.id ? path : `${path}~${fnv1a32(folder.id).toString(16).padStart(8, '0')}`;
      const specialUse = input.specialUses.get(folder.id);
      out.push({
        id: folder.id, path: unique, content: folderContent(folder.folderClass), itemCount: folder.totalCount,
        ...(specialUse === undefined ? {} : { specialUse }),
      });
      visit(folder.id, unique);
    }
  };
  visit(input.rootId, undefined);
  return out;
}

function join(parentPath: string | undefined, segment: string): string {
  return parentPath === undefined ? segment : `${parentPath}${PATH_DELIMITER}${segment}`;
}

function rank(folder: RawFolder, input: FolderTreeInput): number {
  return folder.id === input.inboxId ? 0 : 1;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A folder of the tree as the connector contract lists it. Exchange has no UIDs: a status,
 * when asked for, carries only the item count.
 */
export function itemFolderInfo(entry: FolderEntry, withStatus: boolean): ItemFolderInfo {
  return {
    path: entry.path,
    delimiter: PATH_DELIMITER,
    selectable: true,
    content: entry.content,
    itemCount: entry.itemCount,
    ...(entry.specialUse === undefined ? {} : { specialUse: entry.specialUse }),
    ...(withStatus ? { status: { uidValidity: '1', uidNext: 0, messages: entry.itemCount } } : {}),
  };
}
