/**
 * Special-use folders (RFC 6154): Sent, Drafts, Trash, Junk, Archive.
 *
 * A folder's role comes from its special-use attribute when the server advertises one,
 * else from a well-known (localized) name. Names only count for a top-level folder or a
 * folder directly under INBOX (servers and clients that nest everything under INBOX).
 */

import type { FolderInfo, Namespace, SpecialUse } from '../connectors/types.js';
import { namespaceFor, toSegments } from './folder-path.js';

/** Roles that are recognized by name and automapped; \All and \Flagged are attribute-only. */
export type NamedSpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive';

/** Well-known names per role, most preferred first. Compared case-insensitively (after NFC). */
export const SPECIAL_USE_NAMES: Readonly<Record<NamedSpecialUse, readonly string[]>> = {
  '\\Sent': [
    'Sent', 'Sent Items', 'Sent Messages', 'Sent Mail', 'Gesendet', 'Gesendete Elemente', 'Gesendete Objekte',
    'Envoyés', 'Éléments envoyés', 'Messages envoyés', 'Enviados', 'Elementos enviados', 'Inviata', 'Posta inviata',
    'Verzonden', 'Verzonden items',
  ],
  '\\Drafts': ['Drafts', 'Draft', 'Entwürfe', 'Brouillons', 'Borradores', 'Bozze', 'Concepten'],
  '\\Trash': [
    'Trash', 'Deleted Items', 'Deleted Messages', 'Bin', 'Papierkorb', 'Gelöschte Elemente', 'Gelöschte Objekte',
    'Corbeille', 'Éléments supprimés', 'Papelera', 'Elementos eliminados', 'Cestino', 'Prullenbak',
  ],
  '\\Junk': [
    'Junk', 'Junk E-mail', 'Junk Email', 'Junk-E-Mail', 'Spam', 'Bulk Mail', 'Spam-Verdacht', 'Indésirables',
    'Courrier indésirable', 'Correo no deseado', 'Posta indesiderata', 'Ongewenste e-mail',
  ],
  '\\Archive': ['Archive', 'Archives', 'Archiv', 'Archivio', 'Archivo', 'Archief'],
};

/** Name a role gets on a target that has no folder for it yet. */
export const DEFAULT_SPECIAL_USE_NAMES: Readonly<Record<NamedSpecialUse, string>> = {
  '\\Sent': 'Sent',
  '\\Drafts': 'Drafts',
  '\\Trash': 'Trash',
  '\\Junk': 'Junk',
  '\\Archive': 'Archive',
};

const NAMED_ROLES = Object.keys(SPECIAL_USE_NAMES) as NamedSpecialUse[];

/** True for the five roles recognized by name (and automapped by the folder plan). */
export function isNamedSpecialUse(role: SpecialUse): role is NamedSpecialUse {
  return (NAMED_ROLES as readonly SpecialUse[]).includes(role);
}

function fold(name: string): string {
  // NFC: some servers (and macOS clients) store "é" decomposed; toLowerCase is locale-independent.
  return name.normalize('NFC').toLowerCase();
}

const NAME_INDEX: ReadonlyMap<string, { readonly role: NamedSpecialUse; readonly index: number }> = new Map(
  NAMED_ROLES.flatMap((role) => SPECIAL_USE_NAMES[role].map((name, index) => [fold(name), { role, index }] as const)),
);

/** How strongly a folder claims a role; lower sorts first. */
interface RoleClaim {
  readonly role: SpecialUse;
  /** [by name?, name index, depth]: attribute beats any name, earlier names beat later ones, top level beats under-INBOX. */
  readonly rank: readonly [number, number, number];
}

function claimRole(folder: FolderInfo, segments: readonly string[]): RoleClaim | undefined {
  if (folder.specialUse !== undefined) return { role: folder.specialUse, rank: [0, 0, 0] };
  const topLevel = segments.length === 1 && segments[0] !== 'INBOX';
  const underInbox = segments.length === 2 && segments[0] === 'INBOX';
  const name = segments[segments.length - 1];
  if (name === undefined || !(topLevel || underInbox)) return undefined;
  const hit = NAME_INDEX.get(fold(name));
  return hit === undefined ? undefined : { role: hit.role, rank: [1, hit.index, segments.length] };
}

/**
 * The special-use role of one folder: its attribute (RFC 6154) when present, else a
 * well-known name (case-insensitive) of a top-level folder or one directly under INBOX.
 *
 * @param segments the folder's normalized segments (see `toSegments`).
 */
export function detectSpecialUse(folder: FolderInfo, segments: readonly string[]): SpecialUse | undefined {
  return claimRole(folder, segments)?.role;
}

/** A listed folder with its normalized segments. */
export interface SegmentedFolder {
  readonly folder: FolderInfo;
  readonly segments: readonly string[];
}

function compareRank(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * For each role, the one selectable folder that holds it: attribute first, then the
 * earliest name in {@link SPECIAL_USE_NAMES}, then top level before under INBOX, then list order.
 * So with both "Sent" and "Sent Items", the one with \Sent wins; with neither flagged, "Sent".
 */
export function pickSpecialFolders(folders: readonly SegmentedFolder[]): Map<SpecialUse, SegmentedFolder> {
  const best = new Map<SpecialUse, { entry: SegmentedFolder; claim: RoleClaim }>();
  for (const entry of folders) {
    if (!entry.folder.selectable) continue;
    const claim = claimRole(entry.folder, entry.segments);
    if (claim === undefined) continue;
    const current = best.get(claim.role);
    if (current === undefined || compareRank(claim.rank, current.claim.rank) < 0) best.set(claim.role, { entry, claim });
  }
  return new Map([...best].map(([role, { entry }]) => [role, entry]));
}

/**
 * The target's own folder for each role, as a full target path (see {@link pickSpecialFolders}).
 * Roles the target lacks are absent; the plan then uses {@link DEFAULT_SPECIAL_USE_NAMES}.
 */
export function findTargetSpecialFolders(targetFolders: readonly FolderInfo[], ns: Namespace): Map<SpecialUse, string> {
  const segmented = targetFolders.map((folder) => ({ folder, segments: toSegments(folder.path, namespaceFor(folder, ns)) }));
  return new Map([...pickSpecialFolders(segmented)].map(([role, entry]) => [role, entry.folder.path]));
}
