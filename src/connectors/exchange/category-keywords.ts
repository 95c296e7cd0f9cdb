/**
 * Exchange categories as IMAP keywords, and back.
 *
 * A category is any Unicode text ("Red category", "Kunde (Ärger)", "プロジェクト"). An IMAP
 * keyword is an atom: printable ASCII without SP ( ) { % * " \ ] (RFC 3501 9), compared
 * case-insensitively. A category that is already a plain keyword ("ProjectX", "$Label1")
 * stays itself, so IMAP -> Exchange -> IMAP gives the same keywords back; any other
 * category, and one that would read as a keyword with a meaning of its own ("$Junk",
 * "$Forwarded") or as one of ours, becomes
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

import { isValidKeyword } from '../../mapping/index.js';

/** The prefix that marks a keyword as an encoded category. */
export const CATEGORY_PREFIX = '$Cat_';

const LITERAL = /^[A-Za-z0-9.-]$/;
const ESCAPE = '_';

/**
 * Keywords clients give a meaning of their own (junk training, receipts, forwarding):
 * a category of that name must not turn into the flag.
 */
const MEANINGFUL_KEYWORDS = new Set(['$forwarded', '$junk', '$notjunk', 'junk', 'notjunk', 'nonjunk', '$mdnsent', '$phishing', '$submitted', '$submitpending']);

/** A category that can be its own keyword: an atom, not meaningful to clients, not one of our encodings. */
function isPlainKeyword(category: string): boolean {
  return isValidKeyword(category) && !MEANINGFUL_KEYWORDS.has(category.toLowerCase())
    && category.slice(0, CATEGORY_PREFIX.length).toLowerCase() !== CATEGORY_PREFIX.toLowerCase();
}

/** The IMAP keyword that carries `category`. */
export function categoryToKeyword(category: string): string {
  if (isPlainKeyword(category)) return category;
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
