/**
 * Dovecot's `dovecot-uidlist` (version 3): the header "3 V<uidvalidity> N<nextuid>
 * G<guid>", then one line per message, "<uid> [<ext>...] :<file base name>". Base names
 * are the file names up to ":" (the flags change; the base does not). Extension fields
 * and header fields we do not use are kept as they were, so rewriting a Dovecot-made
 * file loses nothing. Version 1 files ("1 <uidvalidity> <nextuid>", "<uid> <name>") are
 * read too, and rewritten as version 3.
 */
import { randomBytes } from 'node:crypto';

export const UIDLIST_FILE = 'dovecot-uidlist';

export interface UidlistEntry {
  readonly uid: number;
  /** Extension fields as written (e.g. "W1394"), or "". */
  readonly ext: string;
  readonly base: string;
}

export interface Uidlist {
  uidValidity: number;
  nextUid: number;
  guid: string;
  /** Other header fields, verbatim (e.g. "E..."), in their order. */
  extraHeader: string[];
  /** Ascending by uid. */
  entries: UidlistEntry[];
}

/** A fresh list for a new folder: UIDVALIDITY from the clock, as Dovecot does. */
export function newUidlist(now = Date.now()): Uidlist {
  return { uidValidity: Math.max(1, Math.floor(now / 1000)), nextUid: 1, guid: randomBytes(16).toString('hex'), extraHeader: [], entries: [] };
}

export function parseUidlist(text: string): Uidlist {
  const lines = text.split('\n');
  const header = (lines.shift() ?? '').split(' ').filter((t) => t !== '');
  const version = header[0];
  const list = newUidlist();
  list.guid = '';
  if (version === '1') {
    list.uidValidity = Number(header[1]);
    list.nextUid = Number(header[2]);
  } else if (version === '3') {
    for (const token of header.slice(1)) {
      const value = token.slice(1);
      if (token[0] === 'V') list.uidValidity = Number(value);
      else if (token[0] === 'N') list.nextUid = Number(value);
      else if (token[0] === 'G') list.guid = value;
      else list.extraHeader.push(token);
    }
  } else {
    throw new Error(`unsupported dovecot-uidlist version "${version ?? ''}"`);
  }
  if (!Number.isInteger(list.uidValidity) || !Number.isInteger(list.nextUid)) throw new Error('malformed dovecot-uidlist header');
  for (const line of lines) {
    if (line === '') continue;
    const match = version === '1' ? /^(\d+) (.+)$/.exec(line) : /^(\d+)((?: [^ :][^ ]*)*) :(.+)$/.exec(line);
    if (!match) continue;
    const uid = Number(match[1]);
    const base = (version === '1' ? match[2] : match[3]) as string;
    const ext = version === '1' ? '' : (match[2] as string).trim();
    list.entries.push({ uid, ext, base: base.split(':')[0] as string });
    if (uid >= list.nextUid) list.nextUid = uid + 1;
  }
  list.entries.sort((a, b) => a.uid - b.uid);
  return list;
}

export function serializeUidlist(list: Uidlist): string {
  const header = ['3', `V${list.uidValidity}`, `N${list.nextUid}`, ...(list.guid ? [`G${list.guid}`] : []), ...list.extraHeader];
  const lines = list.entries.map((e) => `${e.uid}${e.ext ? ` ${e.ext}` : ''} :${e.base}`);
  return `${[header.join(' '), ...lines].join('\n')}\n`;
}
