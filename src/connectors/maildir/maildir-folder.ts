/**
 * One Maildir folder on disk: its messages, its dovecot-uidlist and dovecot-keywords.
 *
 * Reading is lock-free unless files without a UID turn up (delivered into new/ by
 * someone else, or left by a crash between our rename and our uidlist update): they get
 * the next UIDs under the uidlist dotlock. Writing is serialised per folder in-process
 * (folder-mutex) and guarded by the dotlocks against other processes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Dotlock, syncDir } from './dotlock.js';
import { serialise } from './folder-mutex.js';
import {
  KEYWORDS_FILE, findKeyword, freeIndex, indexOfLetter, letterOfIndex, parseKeywords, serializeKeywords, type KeywordTable,
} from './keywords-file.js';
import { errnoOf } from './maildir-errors.js';
import { fileName, flagsOf, lettersOf, splitFileName, uniqueBase } from './message-filename.js';
import { UIDLIST_FILE, newUidlist, parseUidlist, serializeUidlist, type Uidlist } from './uidlist.js';

/** Mode of folder directories, as Dovecot creates them. */
export const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** One message file with its UID. */
export interface MaildirFile {
  readonly uid: number;
  /** Absolute path of the file as last listed. */
  readonly file: string;
  readonly letters: string;
}

/** A folder's messages (ascending UID) and identity, after a sync. */
export interface FolderView {
  readonly uidValidity: number;
  readonly nextUid: number;
  readonly files: readonly MaildirFile[];
}

export class MaildirFolder {
  constructor(readonly dir: string) {}

  get uidlistFile(): string {
    return path.join(this.dir, UIDLIST_FILE);
  }

  async exists(): Promise<boolean> {
    const stat = await fs.promises.stat(path.join(this.dir, 'cur')).catch((error: unknown) => {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return undefined;
      throw error;
    });
    return stat?.isDirectory() === true;
  }

  /**
   * Creates cur/new/tmp (and, for a folder other than INBOX, the `maildirfolder` marker)
   * and an empty uidlist whose UIDVALIDITY is now. True if it was created.
   */
  async create(isInbox: boolean): Promise<boolean> {
    return serialise(this.dir, async () => {
      if (await this.exists()) return false;
      await fs.promises.mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      for (const sub of ['tmp', 'new', 'cur']) await fs.promises.mkdir(path.join(this.dir, sub), { mode: DIR_MODE }).catch(ignoreExists);
      if (!isInbox) await (await fs.promises.open(path.join(this.dir, 'maildirfolder'), 'a', FILE_MODE)).close();
      await this.writeUidlistIfMissing();
      await syncDir(this.dir);
      await syncDir(path.dirname(this.dir));
      return true;
    });
  }

  async keywords(): Promise<Array<string | undefined>> {
    const text = await fs.promises.readFile(path.join(this.dir, KEYWORDS_FILE), 'utf8').catch((error: unknown) => {
      if (errnoOf(error) === 'ENOENT') return '';
      throw error;
    });
    return parseKeywords(text);
  }

  /** The folder's messages with their UIDs; files without one get the next UIDs now. */
  async view(): Promise<FolderView> {
    const files = await this.listFiles();
    let list = await this.readUidlist();
    if (list) {
      const known = new Set(list.entries.map((e) => e.base));
      if ([...files.keys()].every((base) => known.has(base))) return join(list, files);
    }
    return serialise(this.dir, async () => {
      const lock = await Dotlock.acquire(this.uidlistFile);
      try {
        list = (await this.readUidlist()) ?? newUidlist();
        const known = new Set(list.entries.map((e) => e.base));
        const fresh = [...files.keys()].filter((base) => !known.has(base)).sort();
        // Entries of files gone are dropped as the list is rewritten anyway.
        list.entries = list.entries.filter((e) => files.has(e.base));
        for (const base of fresh) list.entries.push({ uid: list.nextUid++, ext: '', base });
        await lock.replace(serializeUidlist(list));
      } catch (error) {
        await lock.release();
        throw error;
      }
      return join(list, files);
    });
  }

  /**
   * Stores one message: tmp/, fsync, mtime = INTERNALDATE, rename into cur/, fsync cur/,
   * then its UID in the uidlist. A keyword that finds no free letter (the folder already
   * has 26) is dropped: Maildir file names cannot carry it.
   */
  async deliver(raw: Buffer, flags: readonly string[], internalDate: Date): Promise<number> {
    return serialise(this.dir, async () => {
      const table = await this.ensureKeywords(flags.filter((f) => !f.startsWith('\\')));
      const letters = lettersOf(flags, (keyword) => {
        const index = findKeyword(table, keyword);
        return index < 0 ? undefined : letterOfIndex(index);
      });
      const base = uniqueBase(raw.length);
      const tmp = path.join(this.dir, 'tmp', base);
      const handle = await fs.promises.open(tmp, 'wx', FILE_MODE);
      try {
        await handle.writeFile(raw);
        await handle.utimes(internalDate, internalDate);
        await handle.sync();
      } catch (error) {
        await handle.close();
        await fs.promises.unlink(tmp).catch(() => undefined);
        throw error;
      }
      await handle.close();
      await fs.promises.rename(tmp, path.join(this.dir, 'cur', fileName(base, letters)));
      await syncDir(path.join(this.dir, 'cur'));
      const lock = await Dotlock.acquire(this.uidlistFile);
      try {
        const list = (await this.readUidlist()) ?? newUidlist();
        const uid = list.nextUid++;
        list.entries.push({ uid, ext: '', base });
        await lock.replace(serializeUidlist(list));
        return uid;
      } catch (error) {
        await lock.release();
        throw error;
      }
    });
  }

  /** The flags of a file's info letters. */
  static flags(letters: string, table: KeywordTable): string[] {
    return flagsOf(letters, (letter) => table[indexOfLetter(letter)]);
  }

  /**
   * Adds missing keywords to dovecot-keywords (as far as letters remain); the table after.
   * Call it inside `serialise(dir)`, as every writer of the folder does.
   */
  async ensureKeywords(keywords: readonly string[]): Promise<KeywordTable> {
    const table = await this.keywords();
    const missing = keywords.filter((k) => findKeyword(table, k) < 0);
    if (missing.length === 0) return table;
    const file = path.join(this.dir, KEYWORDS_FILE);
    const lock = await Dotlock.acquire(file);
    try {
      const current = await this.keywords();
      for (const keyword of missing) {
        if (findKeyword(current, keyword) >= 0) continue;
        const index = freeIndex(current);
        if (index >= 0) current[index] = keyword;
      }
      await lock.replace(serializeKeywords(current));
      return current;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Base name -> file, over new/ and cur/ (dot files are not messages). */
  async listFiles(): Promise<Map<string, { file: string; letters: string }>> {
    const files = new Map<string, { file: string; letters: string }>();
    for (const sub of ['new', 'cur']) {
      for (const name of await fs.promises.readdir(path.join(this.dir, sub))) {
        if (name.startsWith('.')) continue;
        const { base, letters } = splitFileName(name);
        files.set(base, { file: path.join(this.dir, sub, name), letters });
      }
    }
    return files;
  }

  async readUidlist(): Promise<Uidlist | undefined> {
    const text = await fs.promises.readFile(this.uidlistFile, 'utf8').catch((error: unknown) => {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw error;
    });
    return text === undefined ? undefined : parseUidlist(text);
  }

  private async writeUidlistIfMissing(): Promise<void> {
    if (await this.readUidlist()) return;
    const lock = await Dotlock.acquire(this.uidlistFile);
    try {
      if (await this.readUidlist()) await lock.release();
      else await lock.replace(serializeUidlist(newUidlist()));
    } catch (error) {
      await lock.release();
      throw error;
    }
  }
}

function join(list: Uidlist, files: Map<string, { file: string; letters: string }>): FolderView {
  const joined: MaildirFile[] = [];
  for (const entry of list.entries) {
    const found = files.get(entry.base);
    if (found) joined.push({ uid: entry.uid, ...found });
  }
  joined.sort((a, b) => a.uid - b.uid);
  return { uidValidity: list.uidValidity, nextUid: list.nextUid, files: joined };
}

function ignoreExists(error: unknown): void {
  if (errnoOf(error) !== 'EEXIST') throw error;
}
