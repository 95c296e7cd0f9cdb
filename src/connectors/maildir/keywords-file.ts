/**
 * Dovecot's `dovecot-keywords` file: one line per keyword, "<index> <keyword>\n", where
 * index 0..25 is the file-name letter a..z. The format is byte-compatible with what
 * Dovecot writes, so it and we agree on what each letter means.
 */

export const KEYWORDS_FILE = 'dovecot-keywords';
/** Letters a-z: a folder holds at most 26 keywords in its file names. */
export const MAX_KEYWORDS = 26;

/** Index -> keyword (sparse: an index may be unused). */
export type KeywordTable = ReadonlyArray<string | undefined>;

/** Lines that do not parse (or name an index out of range) are skipped, as Dovecot skips them. */
export function parseKeywords(text: string): Array<string | undefined> {
  const table: Array<string | undefined> = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+) (.+)$/.exec(line);
    if (!match) continue;
    const index = Number(match[1]);
    if (index >= MAX_KEYWORDS || table.includes(match[2])) continue;
    table[index] = match[2];
  }
  return table;
}

export function serializeKeywords(table: KeywordTable): string {
  return table.map((keyword, index) => (keyword === undefined ? '' : `${index} ${keyword}\n`)).join('');
}

export const letterOfIndex = (index: number) => String.fromCharCode(0x61 + index);
export const indexOfLetter = (letter: string) => letter.charCodeAt(0) - 0x61;

/** The index of a keyword (IMAP keywords compare case-insensitively), or -1. */
export function findKeyword(table: KeywordTable, keyword: string): number {
  const lower = keyword.toLowerCase();
  return table.findIndex((k) => k !== undefined && k.toLowerCase() === lower);
}

/** The first free index, or -1 when all 26 are taken. */
export function freeIndex(table: KeywordTable): number {
  for (let n = 0; n < MAX_KEYWORDS; n++) if (table[n] === undefined) return n;
  return -1;
}
