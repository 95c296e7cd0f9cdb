/**
 * User folder rules: which source folders to take (include/exclude globs), where to put
 * them (exact map, ordered regex renames), and whether special-use folders are automapped.
 * All rules are written against normalized paths: namespace prefix stripped, levels
 * separated by "/", root INBOX spelled "INBOX" (see folder-path.ts).
 */

import { canonicalizeInbox, fromNormalized, toNormalized, NORMALIZED_DELIMITER } from './folder-path.js';
import { globToRegExp } from './glob.js';
import { MappingError } from './mapping-error.js';

export { globToRegExp } from './glob.js';

/**
 * One rename. `from` is a JavaScript RegExp source (compiled with the "u" flag) matched
 * against the WHOLE normalized path (it is anchored for you); `to` is the replacement,
 * with `$1`..`$n` (and `$<name>`) for capture groups. A path that does not match is left alone.
 *
 * @example { from: "Projects/(\\d{4})/(.*)", to: "Archive/$1/$2" }
 */
export interface FolderRename {
  readonly from: string;
  readonly to: string;
}

/** Folder selection and placement rules. */
export interface FolderRules {
  /**
   * Glob patterns (see glob.ts) on the normalized source path; empty means every folder.
   * Globs are literal: "A" selects the folder "A" only; write "A/**" for A and its subtree.
   */
  readonly include: readonly string[];
  /** Same syntax as `include`; a folder matching both is excluded (exclude wins). */
  readonly exclude: readonly string[];
  /**
   * Applied in order, each to the result of the previous, after the special-use automap
   * is decided (so they also see an automapped path) and before namespace translation.
   * Not applied to folders placed by `map`.
   */
  readonly renames: readonly FolderRename[];
  /** Exact normalized source path -> normalized target path; wins over renames and automap. */
  readonly map: Readonly<Record<string, string>>;
  /** Automap special-use folders (Sent, Drafts, Trash, Junk, Archive) onto the target's own. */
  readonly specialUse: boolean;
  /**
   * Normalized path every target folder is placed under, after map, automap and renames
   * (a backup into `Backup/alice/...`). Absent or empty: the target's top level.
   */
  readonly prefix?: string;
}

/** Everything included, nothing renamed, special-use folders automapped. */
export const DEFAULT_FOLDER_RULES: FolderRules = Object.freeze({
  include: Object.freeze([]),
  exclude: Object.freeze([]),
  renames: Object.freeze([]),
  map: Object.freeze({}),
  specialUse: true,
});

/** Why a selectable folder was left out by the globs. */
export type FilterReason = 'excluded' | 'not-included';

/** Rules checked once and compiled, ready to apply to many paths. */
export interface CompiledFolderRules {
  /** Undefined when the normalized source path is selected; else why not. */
  filter(normalizedPath: string): FilterReason | undefined;
  /** Target segments from `map` for this normalized source path, if it has an entry. */
  mapped(normalizedPath: string): string[] | undefined;
  /** Applies the renames in order; returns the input itself when none changed it. */
  rename(segments: readonly string[]): readonly string[];
  readonly specialUse: boolean;
  /** Segments of `prefix` (empty when none). */
  readonly prefix: readonly string[];
}

interface CompiledRename {
  readonly rename: FolderRename;
  readonly regex: RegExp;
}

function compileRename(rename: FolderRename, index: number): CompiledRename {
  try {
    return { rename, regex: new RegExp(`^(?:${rename.from})$`, 'u') };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MappingError(
      `Folder rename #${index + 1} has an invalid regular expression in "from": ${JSON.stringify(rename.from)} (${reason}). ` +
        'Fix the pattern; it is a JavaScript RegExp source matched against the whole "/"-separated source path.',
      { cause: error },
    );
  }
}

function compileMap(map: Readonly<Record<string, string>>): Map<string, string[]> {
  const compiled = new Map<string, string[]>();
  const keyOf = new Map<string, string>();
  for (const [key, value] of Object.entries(map)) {
    // Keys are normalized like source paths: "inbox/x" and "INBOX/x" are the same folder.
    const canonical = toNormalized(canonicalizeInbox(key.split(NORMALIZED_DELIMITER)));
    const previous = keyOf.get(canonical);
    if (previous !== undefined) {
      throw new MappingError(
        `Folder map has two entries for the same source folder: "${previous}" and "${key}" (INBOX is case-insensitive). Keep one.`,
      );
    }
    keyOf.set(canonical, key);
    compiled.set(canonical, fromNormalized(value, `Folder map entry "${key}"`));
  }
  return compiled;
}

/**
 * Validates and compiles rules.
 *
 * @throws MappingError naming the bad rename pattern, or a map entry with an empty target level.
 */
export function compileFolderRules(rules: FolderRules): CompiledFolderRules {
  const include = rules.include.map(globToRegExp);
  const exclude = rules.exclude.map(globToRegExp);
  const renames = rules.renames.map(compileRename);
  const map = compileMap(rules.map);
  const prefix = rules.prefix === undefined || rules.prefix.replace(/\/+$/, '') === ''
    ? []
    : fromNormalized(rules.prefix.replace(/\/+$/, ''), 'Folder prefix');
  return {
    specialUse: rules.specialUse,
    prefix,
    filter(path) {
      if (exclude.some((regex) => regex.test(path))) return 'excluded';
      if (include.length > 0 && !include.some((regex) => regex.test(path))) return 'not-included';
      return undefined;
    },
    mapped(path) {
      const segments = map.get(path);
      return segments === undefined ? undefined : [...segments];
    },
    rename(segments) {
      const original = toNormalized(segments);
      let path = original;
      let origin = '';
      for (const [index, { rename, regex }] of renames.entries()) {
        if (!regex.test(path)) continue;
        path = path.replace(regex, rename.to);
        origin = `Folder rename #${index + 1} (${JSON.stringify(rename.from)} -> ${JSON.stringify(rename.to)})`;
      }
      return path === original ? segments : fromNormalized(path, origin);
    },
  };
}
