/**
 * Folder globs, matched against the normalized "/"-separated source path.
 *
 * Syntax (deliberately small; no brace sets, no character classes):
 * - `*` any run of characters within one level (never crosses "/");
 * - `**` any run of characters across levels; as a whole level it also matches zero
 *   levels, so "A/**" matches "A", "A/B" and "A/B/C", and "**\/Old" matches "Old" and "X/Y/Old";
 * - `?` exactly one character within one level;
 * - everything else is literal and case-sensitive, except a root level written "INBOX"
 *   (any case), which matches INBOX in any case (RFC 3501 5.1: INBOX is case-insensitive).
 *
 * Globs are literal about subtrees: "A" matches the folder "A" only, not "A/B".
 */

import { NORMALIZED_DELIMITER, isInbox } from './folder-path.js';

const GLOBSTAR = '**';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One level of a pattern (not a whole-level "**") as regex source. */
function levelToSource(level: string, root: boolean): string {
  if (root && isInbox(level)) return '[Ii][Nn][Bb][Oo][Xx]';
  let source = '';
  for (let i = 0; i < level.length; i += 1) {
    const char = level.charAt(i);
    if (char === '*' && level.charAt(i + 1) === '*') {
      source += '.*';
      i += 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      // One code point, so that "?" matches one emoji (the regex has the "u" flag).
      source += '[^/]';
    } else {
      source += escapeRegExp(char);
    }
  }
  return source;
}

/**
 * Compiles a folder glob to an anchored regular expression over the whole normalized path.
 *
 * @example globToRegExp("Archive/**").test("Archive/2024/Q1") // true
 * @example globToRegExp("Archive/*").test("Archive/2024/Q1") // false
 */
export function globToRegExp(pattern: string): RegExp {
  // Collapse "**/**" runs: they mean the same as one "**".
  const levels = pattern
    .split(NORMALIZED_DELIMITER)
    .filter((level, i, all) => !(level === GLOBSTAR && all[i - 1] === GLOBSTAR));
  const last = levels.length - 1;
  let source = '';
  levels.forEach((level, i) => {
    if (level === GLOBSTAR) {
      if (last === 0) source += '.*';
      else if (i === 0) source += '(?:.*/)?'; // zero or more leading levels
      else source += '(?:/.*)?'; // zero or more levels after the previous one
      return;
    }
    const afterLeadingGlobstar = i === 1 && levels[0] === GLOBSTAR;
    if (i > 0 && !afterLeadingGlobstar) source += NORMALIZED_DELIMITER;
    source += levelToSource(level, i === 0);
  });
  return new RegExp(`^${source}$`, 'u');
}
