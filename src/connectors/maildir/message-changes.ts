/**
 * Changing messages already in a Maildir folder, for a mirror or a retention rule.
 *
 * New flags are a rename of the file's info part (":2,<letters>", keywords through
 * dovecot-keywords as on delivery): that is how Dovecot itself stores a flag change, and
 * it sees ours on its next look. A deletion unlinks the files, then drops their lines from
 * dovecot-uidlist under its dotlock. Both run one writer at a time per folder in this
 * process (folder-mutex); a file that another process renamed meanwhile (Dovecot changing
 * its flags) is looked up again by its base name, which never changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MessageFlags } from '../types.js';
import { Dotlock, syncDir } from './dotlock.js';
import { serialise } from './folder-mutex.js';
import { findKeyword, letterOfIndex } from './keywords-file.js';
import { errnoOf } from './maildir-errors.js';
import type { MaildirFolder } from './maildir-folder.js';
import { fileName, foreignLetters, lettersOf, splitFileName } from './message-filename.js';
import { serializeUidlist } from './uidlist.js';

/** Sets each message's flags (replacing the old ones); UIDs that are gone are skipped. */
export async function setMessageFlags(folder: MaildirFolder, changes: readonly MessageFlags[]): Promise<void> {
  if (changes.length === 0) return;
  // Outside the mutex: view() takes it itself to give UIDs to files that have none yet.
  const bases = await basesByUid(folder);
  await serialise(folder.dir, async () => {
    const keywords = [...new Set(changes.flatMap((c) => c.flags.filter((f) => !f.startsWith('\\'))))];
    const table = await folder.ensureKeywords(keywords);
    const letterOf = (keyword: string) => {
      const index = findKeyword(table, keyword);
      return index < 0 ? undefined : letterOfIndex(index);
    };
    let files = await folder.listFiles();
    for (const change of changes) {
      const base = bases.get(change.uid);
      if (base === undefined) continue;
      for (let attempt = 0; attempt < 2; attempt++) {
        const current = files.get(base);
        if (!current) break; // expunged meanwhile
        const letters = [...lettersOf(change.flags, letterOf) + foreignLetters(current.letters)].sort().join('');
        // cur/ always: a message in new/ whose flags are set is no longer new (Dovecot moves it too).
        const wanted = path.join(folder.dir, 'cur', fileName(base, letters));
        if (current.file === wanted) break;
        if (await renameUnlessGone(current.file, wanted)) break;
        files = await folder.listFiles();
      }
    }
    await syncDir(path.join(folder.dir, 'cur'));
    await syncDir(path.join(folder.dir, 'new'));
  });
}

/**
 * Removes exactly these messages: their files, then their lines in dovecot-uidlist. In
 * that order because a crash in between leaves lines without files, which every reader
 * skips; the other order would leave files without a UID, which would come back as new
 * messages under new UIDs.
 */
export async function expungeMessages(folder: MaildirFolder, uids: readonly number[]): Promise<void> {
  if (uids.length === 0) return;
  const bases = await basesByUid(folder);
  const doomed = new Set(uids.map((uid) => bases.get(uid)).filter((base): base is string => base !== undefined));
  if (doomed.size === 0) return;
  await serialise(folder.dir, async () => {
    // The dotlock first: no other writer may give UIDs while the files go.
    const lock = await Dotlock.acquire(folder.uidlistFile);
    try {
      let files = await folder.listFiles();
      for (const base of doomed) {
        for (let attempt = 0; attempt < 2; attempt++) {
          const current = files.get(base);
          if (!current || (await unlinkUnlessGone(current.file))) break;
          files = await folder.listFiles();
        }
      }
      await syncDir(path.join(folder.dir, 'cur'));
      await syncDir(path.join(folder.dir, 'new'));
      const list = await folder.readUidlist();
      if (!list) {
        await lock.release();
        return;
      }
      list.entries = list.entries.filter((entry) => !doomed.has(entry.base));
      await lock.replace(serializeUidlist(list));
    } catch (error) {
      await lock.release();
      throw error;
    }
  });
}

/** UID -> base name, after the sync that gives new files their UIDs. */
async function basesByUid(folder: MaildirFolder): Promise<Map<number, string>> {
  const view = await folder.view();
  return new Map(view.files.map((f) => [f.uid, splitFileName(path.basename(f.file)).base]));
}

/** False when the file was gone (renamed or removed by someone else meanwhile). */
async function renameUnlessGone(from: string, to: string): Promise<boolean> {
  try {
    await fs.promises.rename(from, to);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}

async function unlinkUnlessGone(file: string): Promise<boolean> {
  try {
    await fs.promises.unlink(file);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}
