/**
 * The folder plan: for every source folder, whether it is migrated and to which target path.
 *
 * Decisions per source folder, in order:
 * 1. not selectable (\Noselect / \NonExistent containers, RFC 3501 7.2.2, RFC 5258) -> excluded
 *    'noselect'; the target creates parents implicitly when a child needs them;
 * 2. exclude globs ('excluded'), then include globs ('not-included');
 * 3. target normalized path = `rules.map[path]` (final: no renames), else the special-use
 *    automap (the target's folder for the role, or the default name), else the source path;
 * 4. renames, in order, then the prefix (backups under `Backup/<name>`);
 * 5. namespace translation to the target (prefix, delimiter, escaping).
 * Two source folders landing on one target path is an error (the user fixes the config).
 */

import type { FolderInfo, Namespace, SpecialUse } from '../connectors/types.js';
import { fromSegments, isInbox, namespaceFor, toNormalized, toSegments } from './folder-path.js';
import { compileFolderRules, type CompiledFolderRules, type FolderRules } from './folder-rules.js';
import { MappingError } from './mapping-error.js';
import {
  DEFAULT_SPECIAL_USE_NAMES,
  findTargetSpecialFolders,
  isNamedSpecialUse,
  pickSpecialFolders,
  type SegmentedFolder,
} from './special-use.js';

/** One source folder to migrate. */
export interface PlannedFolder {
  /** Path as the source lists it. */
  readonly sourcePath: string;
  /** Full target path (target prefix and delimiter). */
  readonly targetPath: string;
  /** Role to request when creating the folder on the target (CREATE ... USE, RFC 6154 5.2); only on automapped folders. */
  readonly specialUse?: SpecialUse;
  /** A level contained the target delimiter and was escaped (see `fromSegments`). */
  readonly escaped: boolean;
}

/** One source folder left out, and why. */
export interface ExcludedFolder {
  readonly sourcePath: string;
  readonly reason: 'excluded' | 'not-included' | 'noselect';
}

/** Folders to migrate (INBOX first, then by source path) and folders left out (by source path). */
export interface FolderPlan {
  readonly folders: readonly PlannedFolder[];
  readonly excluded: readonly ExcludedFolder[];
}

export interface PlanFoldersInput {
  readonly sourceFolders: readonly FolderInfo[];
  readonly sourceNamespace: Namespace;
  readonly targetFolders: readonly FolderInfo[];
  readonly targetNamespace: Namespace;
  readonly rules: FolderRules;
}

/** Where automapped special-use folders go: normalized source path -> role and target segments. */
type Automap = Map<string, { readonly role: SpecialUse; readonly target: readonly string[] }>;

function buildAutomap(selected: readonly SegmentedFolder[], input: PlanFoldersInput): Automap {
  const automap: Automap = new Map();
  const targetRoles = findTargetSpecialFolders(input.targetFolders, input.targetNamespace);
  // One source folder per role: with "Sent" (\Sent) and a stray "Sent Items", only "Sent" is automapped.
  for (const [role, entry] of pickSpecialFolders(selected)) {
    if (!isNamedSpecialUse(role)) continue; // \All, \Flagged: virtual on most servers, keep their path.
    const existing = targetRoles.get(role);
    const target = existing === undefined ? [DEFAULT_SPECIAL_USE_NAMES[role]] : toSegments(existing, input.targetNamespace);
    automap.set(toNormalized(entry.segments), { role, target });
  }
  return automap;
}

/** Segments after map / automap, before renames; descendants of an automapped folder move with it. */
function placeFolder(
  segments: readonly string[],
  automap: Automap,
): { readonly segments: readonly string[]; readonly role?: SpecialUse } {
  const own = automap.get(toNormalized(segments));
  if (own !== undefined) return { segments: own.target, role: own.role };
  for (let depth = segments.length - 1; depth > 0; depth -= 1) {
    const ancestor = automap.get(toNormalized(segments.slice(0, depth)));
    if (ancestor !== undefined) return { segments: [...ancestor.target, ...segments.slice(depth)] };
  }
  return { segments };
}

/** Code-unit order: deterministic whatever the process locale. INBOX sorts first. */
function compareSourcePaths(a: { path: string; inbox: boolean }, b: { path: string; inbox: boolean }): number {
  if (a.inbox !== b.inbox) return a.inbox ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

interface PlacedFolder {
  readonly entry: SegmentedFolder;
  readonly segments: readonly string[];
  readonly role?: SpecialUse;
}

function placeOne(entry: SegmentedFolder, rules: CompiledFolderRules, automap: Automap): PlacedFolder {
  const normalized = toNormalized(entry.segments);
  const mapped = rules.mapped(normalized);
  const placed = mapped === undefined ? placeFolder(entry.segments, automap) : undefined;
  const segments = [...rules.prefix, ...(mapped ?? rules.rename(placed?.segments ?? entry.segments))];
  return placed?.role === undefined ? { entry, segments } : { entry, segments, role: placed.role };
}

function planOne(folder: PlacedFolder, ns: Namespace): PlannedFolder {
  const { path, escaped } = fromSegments(folder.segments, ns);
  const sourcePath = folder.entry.folder.path;
  return folder.role === undefined ? { sourcePath, targetPath: path, escaped } : { sourcePath, targetPath: path, specialUse: folder.role, escaped };
}

/**
 * On a target whose personal folders all live under INBOX (namespace prefix "INBOX." or
 * "INBOX/": Cyrus, Courier), a source folder under INBOX ("INBOX/Receipts" on Dovecot)
 * goes where its user sees it there, "INBOX.Receipts", not "INBOX.INBOX.Receipts". Unless
 * the source also has a top-level "Receipts", which lands on "INBOX.Receipts" too: then the
 * INBOX child keeps the unambiguous "INBOX.INBOX.Receipts". (imapsync maps both onto one
 * folder; dsync keeps the doubled name.)
 */
function foldInboxChildren(folders: readonly PlacedFolder[], ns: Namespace): PlacedFolder[] {
  if (!isInboxPrefix(ns)) return [...folders];
  const taken = new Set(folders.map((f) => toNormalized(f.segments)));
  return folders.map((folder) => {
    const [first, ...rest] = folder.segments;
    // A child named "inbox" (any case) would become INBOX itself: it keeps its full name.
    if (first !== 'INBOX' || rest.length === 0 || isInbox(rest[0] as string) || taken.has(toNormalized(rest))) return folder;
    return { ...folder, segments: rest };
  });
}

/** "INBOX" followed by the delimiter, in any case. */
function isInboxPrefix(ns: Namespace): boolean {
  return ns.delimiter !== '' && ns.prefix.length === 5 + ns.delimiter.length && isInbox(ns.prefix.slice(0, 5)) && ns.prefix.endsWith(ns.delimiter);
}

function assertNoCollisions(folders: readonly PlannedFolder[]): void {
  const byTarget = new Map<string, string[]>();
  for (const folder of folders) {
    byTarget.set(folder.targetPath, [...(byTarget.get(folder.targetPath) ?? []), folder.sourcePath]);
  }
  const collisions = [...byTarget].filter(([, sources]) => sources.length > 1);
  if (collisions.length === 0) return;
  const lines = collisions.map(
    ([target, sources]) => `  ${sources.map((s) => JSON.stringify(s)).join(' and ')} -> ${JSON.stringify(target)}`,
  );
  throw new MappingError(
    `Several source folders map to the same target folder:\n${lines.join('\n')}\n` +
      'Add a folder "map" entry or a rename for one of them, or exclude one.',
  );
}

/**
 * Decides, for every source folder, whether it is migrated and to which target path.
 *
 * @throws MappingError for an invalid rule (bad rename regex, empty map target) or when two
 *   source folders map to the same target path; the message lists the paths involved.
 */
export function planFolders(input: PlanFoldersInput): FolderPlan {
  const rules = compileFolderRules(input.rules);
  const selected: SegmentedFolder[] = [];
  const excluded: ExcludedFolder[] = [];
  for (const folder of input.sourceFolders) {
    const segments = toSegments(folder.path, namespaceFor(folder, input.sourceNamespace));
    const reason = folder.selectable ? rules.filter(toNormalized(segments)) : 'noselect';
    if (reason === undefined) selected.push({ folder, segments });
    else excluded.push({ sourcePath: folder.path, reason });
  }
  const automap: Automap = rules.specialUse ? buildAutomap(selected, input) : new Map();
  const sorted = selected
    .map((entry) => ({ entry, path: entry.folder.path, inbox: entry.segments.length === 1 && entry.segments[0] === 'INBOX' }))
    .sort(compareSourcePaths);
  const placed = foldInboxChildren(sorted.map(({ entry }) => placeOne(entry, rules, automap)), input.targetNamespace);
  const folders = placed.map((folder) => planOne(folder, input.targetNamespace));
  assertNoCollisions(folders);
  const sortedExcluded = excluded
    .map((folder) => ({ folder, path: folder.sourcePath, inbox: false }))
    .sort(compareSourcePaths)
    .map(({ folder }) => folder);
  return { folders, excluded: sortedExcluded };
}
