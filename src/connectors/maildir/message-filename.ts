/**
 * Maildir file names: `<base>:2,<flags>`, where the base is unique and carries `,S=<size>`,
 * and the flags are the standard letters plus Dovecot's keyword letters a-z.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** IMAP system flag <-> Maildir info letter (ASCII order of the letters). */
const SYSTEM_LETTERS: ReadonlyArray<readonly [string, string]> = [
  ['\\Draft', 'D'],
  ['\\Flagged', 'F'],
  ['\\Answered', 'R'],
  ['\\Seen', 'S'],
  ['\\Deleted', 'T'],
];

/** The system flags a Maildir keeps, for PERMANENTFLAGS-like policies. */
export const MAILDIR_SYSTEM_FLAGS: readonly string[] = SYSTEM_LETTERS.map(([flag]) => flag);

/** A file name split at ":2,": the unique base and its info letters ("" in new/). */
export interface SplitName {
  readonly base: string;
  readonly letters: string;
}

export function splitFileName(name: string): SplitName {
  const at = name.indexOf(':');
  if (at < 0) return { base: name, letters: '' };
  const info = name.slice(at + 1);
  return { base: name.slice(0, at), letters: info.startsWith('2,') ? info.slice(2) : '' };
}

/** The `,S=<size>` of a base name, when it has one. */
export function sizeOf(base: string): number | undefined {
  const match = /,S=(\d+)(?:,|$)/.exec(base);
  return match ? Number(match[1]) : undefined;
}

/**
 * The info letters for IMAP flags: system letters, then keyword letters (`keywordLetter`
 * gives a-z for a keyword, or undefined when it has none), sorted and without duplicates.
 * Unknown system flags (e.g. \Recent) are dropped.
 */
export function lettersOf(flags: readonly string[], keywordLetter: (keyword: string) => string | undefined): string {
  const letters = new Set<string>();
  for (const flag of flags) {
    if (flag.startsWith('\\')) {
      const letter = SYSTEM_LETTERS.find(([f]) => f.toLowerCase() === flag.toLowerCase())?.[1];
      if (letter) letters.add(letter);
    } else {
      const letter = keywordLetter(flag);
      if (letter) letters.add(letter);
    }
  }
  return [...letters].sort().join('');
}

/**
 * IMAP flags of info letters: system flags, then keywords in letter order. Letters
 * without a meaning (e.g. "P", or a keyword letter the keywords file does not name) are
 * ignored, as Dovecot ignores them.
 */
export function flagsOf(letters: string, keywordOf: (letter: string) => string | undefined): string[] {
  const system: string[] = [];
  const keywords: string[] = [];
  for (const letter of [...new Set(letters)].sort()) {
    const flag = SYSTEM_LETTERS.find(([, l]) => l === letter)?.[0];
    if (flag) system.push(flag);
    else if (letter >= 'a' && letter <= 'z') {
      const keyword = keywordOf(letter);
      if (keyword !== undefined) keywords.push(keyword);
    }
  }
  return [...system, ...keywords];
}

/**
 * The info letters that carry no IMAP flag (e.g. "P", passed): a flag change keeps them,
 * since they are not ours to drop.
 */
export function foreignLetters(letters: string): string {
  return [...new Set(letters)].filter((l) => !SYSTEM_LETTERS.some(([, s]) => s === l) && !(l >= 'a' && l <= 'z')).sort().join('');
}

/** The host part of a name: Dovecot escapes "/" and ":" (and we ",") as octal "\NNN". */
function hostPart(): string {
  return os.hostname().replace(/[/:,]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * A new unique base name: `<sec>.M<usec>P<pid>R<random>.<host>,S=<size>`. The random part
 * makes it unique even when two writers share a host, pid and microsecond.
 */
export function uniqueBase(size: number, now = Date.now()): string {
  const sec = Math.floor(now / 1000);
  const usec = (now % 1000) * 1000 + Math.floor(Math.random() * 1000);
  return `${sec}.M${usec}P${process.pid}R${randomBytes(8).toString('hex')}.${hostPart()},S=${size}`;
}

export const fileName = (base: string, letters: string) => `${base}:2,${letters}`;
