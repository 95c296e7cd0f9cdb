/**
 * Exchange categories as IMAP keywords, and back.
 *
 * A category is any Unicode text ("Red category", "Kunde (Ärger)", "プロジェクト"). An IMAP
 * keyword is an atom: printable ASCII without SP ( ) { % * " \ ] (RFC 3501 9), compared
 * case-insensitively. So a category becomes
 *
 *   "$Cat_" + its UTF-8 bytes, where A-Z a-z 0-9 "-" "." stand for themselves and every
 *   other byte is "_" and two upper-case hex digits
 *
 * e.g. "Red category" -> "$Cat_Red_20category", "Ärger (2)" -> "$Cat__C3_84rger_20_282_29".
 * Every name has exactly one encoding and decoding gives it back, including the empty
 * name ("$Cat_"). Decoding accepts the prefix and the hex digits in any case, since
 * servers may change a keyword's case; names that differ only in case cannot both
 * survive an IMAP server anyway (Outlook's category list ignores case too).
 *
 * Note that ews-javascript-api trims the text of every XML element it reads, so a
 * category's leading and trailing spaces are lost before they reach this code.
 */

/** The prefix that marks a keyword as an encoded category. */
export const CATEGORY_PREFIX = '$Cat_';

const LITERAL = /^[A-Za-z0-9.-]$/;
const ESCAPE = '_';

/** The IMAP keyword that carries `category`. */
export function categoryToKeyword(category: string): string {
  let out = CATEGORY_PREFIX;
  for (const byte of Buffer.from(category, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += LITERAL.test(char) ? char : `${ESCAPE}${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The category a keyword carries, or undefined when the keyword is not one of ours
 * (another prefix, a character outside the encoding, a broken escape, or bytes that are
 * not UTF-8).
 */
export function keywordToCategory(keyword: string): string | undefined {
  if (keyword.slice(0, CATEGORY_PREFIX.length).toLowerCase() !== CATEGORY_PREFIX.toLowerCase()) return undefined;
  const body = keyword.slice(CATEGORY_PREFIX.length);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i] as string;
    if (char === ESCAPE) {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (LITERAL.test(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  try {
    // ignoreBOM: a name may start with U+FEFF, and the decoder would drop it otherwise.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** True when `keyword` is an encoded category. */
export function isCategoryKeyword(keyword: string): boolean {
  return keywordToCategory(keyword) !== undefined;
}
