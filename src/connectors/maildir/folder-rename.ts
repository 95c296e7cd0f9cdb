/**
 * Renaming a folder with its subfolders, as IMAP RENAME does. Maildir++ is flat: "A/B" is
 * the directory ".A.B" and its subfolders are ".A.B.*", all directly under the root, so
 * a rename is one directory rename each. The dovecot-uidlist moves with its directory:
 * UIDVALIDITY and UIDs stay (Dovecot keeps them on RENAME too).
 *
 * Not atomic over several directories: a crash halfway leaves some subfolders under the
 * old name, where a second rename of the same folder picks them up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConnectorError } from '../connector-error.js';
import { syncDir } from './dotlock.js';
import { serialise } from './folder-mutex.js';
import { DELIMITER, folderDirName, isInbox } from './folder-names.js';
import { errnoOf, folderNotFound, fsError } from './maildir-errors.js';

export async function renameFolderTree(root: string, from: string, to: string): Promise<void> {
  const what = `rename folder "${from}" to "${to}" in ${root}`;
  if (isInbox(from) || isInbox(to)) throw refused(`${what}: INBOX is the Maildir root and cannot be renamed, nor replaced`);
  if (to === from || to.startsWith(`${from}${DELIMITER}`)) throw refused(`${what}: a folder cannot move into itself`);
  let fromDir: string;
  let toDir: string;
  try {
    fromDir = folderDirName(from);
    toDir = folderDirName(to);
  } catch (error) {
    throw refused(`${what}: ${(error as Error).message}`);
  }
  try {
    // The folder itself and every ".A.B.*" below it. The folder may be a mere name
    // (\Noselect) whose subfolders exist: they move all the same.
    const moving = (await fs.promises.readdir(root)).filter((name) => name === fromDir || name.startsWith(`${fromDir}.`));
    if (moving.length === 0) throw folderNotFound(from, path.join(root, fromDir));
    const renames = moving.map((name) => ({ from: path.join(root, name), to: path.join(root, toDir + name.slice(fromDir.length)) }));
    for (const rename of renames) {
      if (await exists(rename.to)) throw refused(`${what}: ${rename.to} already exists`);
    }
    for (const rename of renames) {
      // Waits for this process's writers of the folder; later ones find it under its new name.
      await serialise(rename.from, () => fs.promises.rename(rename.from, rename.to));
    }
    await syncDir(root);
  } catch (error) {
    throw fsError(error, what);
  }
}

function refused(message: string): ConnectorError {
  return new ConnectorError(message, { code: 'FOLDER_FAILED', scope: 'folder', retry: 'never' });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.promises.lstat(file);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}
