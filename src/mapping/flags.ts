/**
 * Message flags: which of a source message's flags the target folder can store.
 *
 * RFC 3501 9 (formal syntax): "all alphabetic characters are case-insensitive", so flags
 * and keywords are compared without regard to case and duplicates are removed that way.
 */

import type { FlagPolicy } from '../connectors/types.js';

/** Flags to set on the target, and source flags that were left out (for the report). */
export interface MappedFlags {
  readonly flags: string[];
  readonly dropped: string[];
}

/** RFC 3501 2.3.2 system flags that APPEND may set, in output order, canonical spelling. */
export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;

/**
 * RFC 3501 2.3.2: \Recent is session state the server sets; a client cannot set it
 * (APPEND or STORE), so it is never carried over, and not reported either.
 */
const RECENT = '\\recent';

/** PERMANENTFLAGS entry meaning "new keywords may be created" (RFC 3501 7.1). */
const ANY_KEYWORD = '\\*';

const SYSTEM_BY_KEY: ReadonlyMap<string, string> = new Map(SYSTEM_FLAGS.map((flag) => [flag.toLowerCase(), flag]));

/**
 * RFC 3501 9: flag-keyword = atom; ATOM-CHAR is any CHAR (%x01-7F) except atom-specials:
 * "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]". So: printable ASCII minus those.
 */
export function isValidKeyword(keyword: string): boolean {
  return /^[\x21-\x7e]+$/.test(keyword) && !/[(){%*"\\\]]/.test(keyword);
}

/**
 * Maps a source message's flags onto what a target folder accepts.
 *
 * - \Seen \Answered \Flagged \Deleted \Draft are kept (any case in, canonical case out);
 * - \Recent is dropped silently (it cannot be set by a client);
 * - any other "\"-flag is dropped and listed (not an RFC 3501 system flag);
 * - a keyword is kept if it is a valid atom and the target allows it: listed in
 *   PERMANENTFLAGS (spelled as the target spells it) or `\*` / `newKeywords` lets new ones
 *   be created; otherwise dropped and listed.
 *
 * Output: system flags first in the order above, then keywords in source order; no duplicates.
 */
export function mapFlags(sourceFlags: readonly string[], policy: FlagPolicy): MappedFlags {
  const permanent = new Map(policy.permanent.map((flag) => [flag.toLowerCase(), flag]));
  const anyKeyword = policy.newKeywords || permanent.has(ANY_KEYWORD);
  const system = new Set<string>();
  const keywords = new Map<string, string>();
  const dropped = new Map<string, string>();
  const drop = (flag: string): void => {
    if (!dropped.has(flag.toLowerCase())) dropped.set(flag.toLowerCase(), flag);
  };

  for (const flag of sourceFlags) {
    const key = flag.toLowerCase();
    if (flag.startsWith('\\')) {
      const canonical = SYSTEM_BY_KEY.get(key);
      if (canonical !== undefined) system.add(canonical);
      else if (key !== RECENT) drop(flag);
      continue;
    }
    if (keywords.has(key)) continue;
    if (!isValidKeyword(flag)) {
      drop(flag);
      continue;
    }
    const targetSpelling = permanent.get(key);
    if (targetSpelling !== undefined) keywords.set(key, targetSpelling);
    else if (anyKeyword) keywords.set(key, flag);
    else drop(flag);
  }

  return {
    flags: [...SYSTEM_FLAGS.filter((flag) => system.has(flag)), ...keywords.values()],
    dropped: [...dropped.values()],
  };
}
