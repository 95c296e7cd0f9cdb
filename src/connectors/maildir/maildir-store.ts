/**
 * What source and target share: the root, its folders, and reading messages back.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FolderInfo, FolderStatus, ListFoldersOptions, ListOptions, MessageMeta, Namespace, RawMessage } from '../types.js';
import { DELIMITER, folderDirName, folderPathOf, isInbox, parentPaths } from './folder-names.js';
import { errnoOf, folderNotFound, fsError, rootNotFound } from './maildir-errors.js';
import { MaildirFolder, type FolderView, type MaildirFile } from './maildir-folder.js';
import type { MaildirOptions } from './maildir-options.js';
import { readMessageId } from './message-id.js';

export const NAMESPACE: Namespace = { prefix: '', delimiter: DELIMITER };

export class MaildirStore {
  readonly root: string;

  constructor(options: MaildirOptions) {
    if (!path.isAbsolute(options.root)) throw new Error(`Maildir root must be an absolute path: "${options.root}"`);
    this.root = path.resolve(options.root);
  }

  folder(folderPath: string): MaildirFolder {
    return new MaildirFolder(path.join(this.root, folderDirName(folderPath)));
  }

  /** The root must be a Maildir we may read (a restore source, or a target already made). */
  async checkRoot(): Promise<void> {
    try {
      await fs.promises.readdir(this.root);
      if (!(await this.folder('INBOX').exists())) throw rootNotFound(this.root);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') throw rootNotFound(this.root);
      throw fsError(error, `open Maildir ${this.root}`);
    }
  }

  async listFolders(options: ListFoldersOptions = {}): Promise<FolderInfo[]> {
    const found = new Map<string, boolean>([['INBOX', true]]);
    try {
      for (const entry of await fs.promises.readdir(this.root, { withFileTypes: true })) {
        if (!entry.isDirectory() || !entry.name.startsWith('.') || entry.name === '.' || entry.name === '..') continue;
        let folderPath: string;
        try {
          folderPath = folderPathOf(entry.name);
        } catch {
          continue; // not a name Dovecot would have made; not ours to interpret
        }
        found.set(folderPath, await new MaildirFolder(path.join(this.root, entry.name)).exists());
      }
    } catch (error) {
      throw fsError(error, `list folders of ${this.root}`);
    }
    for (const folderPath of [...found.keys()]) {
      for (const parent of parentPaths(folderPath)) if (!found.has(parent)) found.set(parent, false);
    }
    const folders: FolderInfo[] = [];
    for (const [folderPath, selectable] of [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const status = selectable && options.withStatus === true ? { status: await this.status(folderPath) } : {};
      folders.push({ path: folderPath, delimiter: DELIMITER, selectable, ...status });
    }
    return folders;
  }

  /** The folder's view after a sync; a ConnectorError FOLDER_NOT_FOUND when it does not exist. */
  async view(folderPath: string): Promise<FolderView> {
    const folder = this.existing(folderPath);
    try {
      if (!(await folder.exists())) throw folderNotFound(folderPath, folder.dir);
      return await folder.view();
    } catch (error) {
      throw fsError(error, `read folder "${folderPath}" at ${folder.dir}`);
    }
  }

  async status(folderPath: string): Promise<FolderStatus> {
    const view = await this.view(folderPath);
    return { uidValidity: String(view.uidValidity), uidNext: view.nextUid, messages: view.files.length };
  }

  async meta(folderPath: string, select: (uid: number) => boolean, options: ListOptions = {}): Promise<MessageMeta[]> {
    return this.read(folderPath, select, false, options) as Promise<MessageMeta[]>;
  }

  async raw(folderPath: string, uids: readonly number[]): Promise<RawMessage[]> {
    const wanted = new Set(uids);
    return this.read(folderPath, (uid) => wanted.has(uid), true, {}) as Promise<RawMessage[]>;
  }

  /** Messages whose UID `select` accepts, ascending; files renamed meanwhile are looked up again once. */
  private async read(folderPath: string, select: (uid: number) => boolean, withRaw: boolean, options: ListOptions): Promise<Array<MessageMeta | RawMessage>> {
    const folder = this.existing(folderPath);
    const out: Array<MessageMeta | RawMessage> = [];
    let view = await this.view(folderPath);
    const table = await folder.keywords().catch((error: unknown) => {
      throw fsError(error, `read keywords of "${folderPath}"`);
    });
    for (let file of view.files.filter((f) => select(f.uid))) {
      const uid = file.uid;
      let message = await readOne(file, withRaw, options);
      if (message === undefined) {
        view = await this.view(folderPath);
        const again = view.files.find((f) => f.uid === uid);
        if (!again) continue; // expunged meanwhile: simply absent
        file = again;
        message = await readOne(file, withRaw, options);
        if (message === undefined) continue;
      }
      out.push({ ...message, uid, flags: MaildirFolder.flags(file.letters, table) });
    }
    return out;
  }

  private existing(folderPath: string): MaildirFolder {
    try {
      return this.folder(folderPath);
    } catch (error) {
      throw folderNotFound(folderPath, `${this.root} (${(error as Error).message})`);
    }
  }
}

/** Size, date (mtime) and optionally bytes of one file; undefined when it is gone. */
async function readOne(file: MaildirFile, withRaw: boolean, options: ListOptions) {
  try {
    const stat = await fs.promises.stat(file.file);
    const raw = withRaw ? await fs.promises.readFile(file.file) : undefined;
    const messageId = options.withMessageId === true ? await readMessageId(file.file) : undefined;
    return {
      size: raw?.length ?? stat.size,
      internalDate: new Date(Math.floor(stat.mtimeMs / 1000) * 1000),
      ...(raw ? { raw } : {}),
      ...(messageId !== undefined ? { messageId } : {}),
    };
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw fsError(error, `read ${file.file}`);
  }
}

/**
 * Creates a folder (and INBOX, the root); true if the folder itself was created. Parents
 * are not created: Maildir++ is flat (".A.B" needs no ".A"), and a parent that is only a
 * name stays \Noselect for Dovecot and for listFolders, as it was on the source.
 */
export async function ensureFolderTree(store: MaildirStore, folderPath: string): Promise<boolean> {
  try {
    await store.folder('INBOX').create(true);
    if (isInbox(folderPath)) return false;
    return await store.folder(folderPath).create(false);
  } catch (error) {
    throw fsError(error, `create folder "${folderPath}" in ${store.root}`);
  }
}
