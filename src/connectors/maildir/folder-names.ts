/**
 * Folder path <-> Maildir++ directory name, as Dovecot reads them.
 *
 * INBOX is the root itself; "A/B" is the directory ".A.B". A name component is stored
 * the way Dovecot stores it with the listescape plugin (escape character "\") under a
 * "/" namespace separator: ".", "/", "\" and a leading "~" become "\NN" (two lowercase
 * hex digits); so do control characters. Then the whole is modified UTF-7 (Dovecot's
 * default on-disk charset). Names without those characters are plain Maildir++, which
 * any Dovecot reads; names with a "." need `mail_plugins = $mail_plugins listescape` and
 * `separator = /` on the Dovecot side, since plain Maildir++ cannot hold a "." at all.
 */
import { decodeMutf7, encodeMutf7 } from './mutf7.js';

export const DELIMITER = '/';
const ESCAPE = '\\';

/** "INBOX" in any case, as IMAP treats it. */
export const isInbox = (path: string) => path.toUpperCase() === 'INBOX';

function escapeComponent(component: string): string {
  let out = '';
  for (let i = 0; i < component.length; i++) {
    const ch = component[i] as string;
    const code = ch.charCodeAt(0);
    const special = ch === '.' || ch === '/' || ch === ESCAPE || code < 0x20 || code === 0x7f || (i === 0 && ch === '~');
    out += special ? `${ESCAPE}${code.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

function unescapeComponent(component: string): string {
  return component.replace(/\\([0-9a-fA-F]{2})/g, (_whole, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The directory name (relative to the root) of a folder path; "" for INBOX.
 * Throws on an empty component ("A//B", a leading or trailing "/"): no directory can hold it.
 */
export function folderDirName(path: string): string {
  if (isInbox(path)) return '';
  const parts = path.split(DELIMITER);
  if (parts.some((p) => p === '')) throw new Error(`invalid folder name "${path}": empty hierarchy level`);
  return `.${parts.map((p) => encodeMutf7(escapeComponent(p))).join('.')}`;
}

/** Inverse of {@link folderDirName} for a Maildir++ directory name (starting with "."). */
export function folderPathOf(dirName: string): string {
  if (dirName === '') return 'INBOX';
  if (!dirName.startsWith('.') || dirName === '.' || dirName === '..') throw new Error(`not a Maildir++ folder: "${dirName}"`);
  return dirName
    .slice(1)
    .split('.')
    .map((p) => unescapeComponent(decodeMutf7(p)))
    .join(DELIMITER);
}

/** The parents of a path, outermost first: "A/B/C" -> ["A", "A/B"]. */
export function parentPaths(path: string): string[] {
  const parts = path.split(DELIMITER);
  return parts.slice(1).map((_p, n) => parts.slice(0, n + 1).join(DELIMITER));
}
