/**
 * Translation of folder paths between two servers' hierarchies.
 *
 * A path is first cut into segments (namespace prefix stripped, split on the hierarchy
 * delimiter), then joined again for the other server. Rules work on the *normalized*
 * form: the segments joined with "/". Paths are decoded Unicode here; encoding to
 * modified UTF-7 (RFC 3501 5.1.3) is the connector's job, so non-ASCII names pass through.
 */

import type { FolderInfo, Namespace } from '../connectors/types.js';
import { MappingError } from './mapping-error.js';

/** Delimiter of the normalized form that rules (globs, renames, map) are written against. */
export const NORMALIZED_DELIMITER = '/';

/** Replacement for a target delimiter found inside a segment, unless the caller gives one. */
export const DEFAULT_ESCAPE = '_';

/** A target path and whether building it had to escape a delimiter inside a segment. */
export interface TargetPath {
  readonly path: string;
  /** True when at least one segment contained the target delimiter and it was replaced. */
  readonly escaped: boolean;
}

const INBOX = 'INBOX';

/**
 * True for "INBOX" in any case. RFC 3501 5.1: "The case-insensitive mailbox name INBOX is a
 * special name reserved to mean 'the primary mailbox'". ASCII-only on purpose: a Turkish
 * dotless "ınbox" upper-cases to "INBOX" with toUpperCase() but is a different name.
 */
export function isInbox(name: string): boolean {
  return /^inbox$/i.test(name);
}

/** Returns a copy with a root INBOX segment (any case) spelled "INBOX"; deeper segments are untouched. */
export function canonicalizeInbox(segments: readonly string[]): string[] {
  const out = [...segments];
  const first = out[0];
  if (first !== undefined && isInbox(first)) out[0] = INBOX;
  return out;
}

/** True when `path` starts with `prefix`, comparing a leading INBOX of the prefix case-insensitively. */
function hasPrefix(path: string, prefix: string): boolean {
  if (path.startsWith(prefix)) return true;
  const head = path.slice(0, prefix.length);
  return (
    isInbox(prefix.slice(0, INBOX.length)) &&
    isInbox(head.slice(0, INBOX.length)) &&
    head.slice(INBOX.length) === prefix.slice(INBOX.length)
  );
}

/**
 * Cuts a server path into segments: strips the personal namespace prefix (RFC 2342), e.g.
 * "INBOX." on Courier/Cyrus, and splits on the delimiter. "INBOX" itself is never prefixed
 * (it is the same mailbox in every namespace), and a root INBOX of any case becomes "INBOX".
 * A path outside the prefix is split as is. An empty delimiter means a flat server: one segment.
 *
 * @example toSegments("INBOX.Sent.2024", { prefix: "INBOX.", delimiter: "." }) // ["Sent", "2024"]
 */
export function toSegments(path: string, ns: Namespace): string[] {
  if (isInbox(path)) return [INBOX];
  const prefix = ns.prefix;
  const rest = prefix !== '' && path.length > prefix.length && hasPrefix(path, prefix) ? path.slice(prefix.length) : path;
  const segments = ns.delimiter === '' ? [rest] : rest.split(ns.delimiter);
  return canonicalizeInbox(segments);
}

/**
 * Joins segments into a path of the target server: target delimiter, namespace prefix in
 * front (except for the lone "INBOX", which is never prefixed). A segment containing the
 * target delimiter would silently become two levels, so each such character is replaced by
 * `escape` (default "_") and `escaped` is set: "a.b" under a "." server becomes "a_b".
 * On a flat target (empty delimiter) the levels themselves are joined with `escape`.
 *
 * Note: ["INBOX", "Sub"] becomes "INBOX.INBOX.Sub" under prefix "INBOX.", which is what
 * {@link toSegments} reads back as ["INBOX", "Sub"]: the round trip is exact.
 *
 * @throws MappingError when `segments` is empty or `escape` contains the target delimiter.
 */
export function fromSegments(segments: readonly string[], ns: Namespace, escape: string = DEFAULT_ESCAPE): TargetPath {
  if (segments.length === 0) throw new MappingError('Cannot build a folder path from zero segments.');
  const delimiter = ns.delimiter;
  if (delimiter !== '' && escape.includes(delimiter)) {
    throw new MappingError(
      `The escape replacement "${escape}" contains the target hierarchy delimiter "${delimiter}"; choose another.`,
    );
  }
  const canonical = canonicalizeInbox(segments);
  if (canonical.length === 1 && canonical[0] === INBOX) return { path: INBOX, escaped: false };
  if (delimiter === '') {
    return { path: ns.prefix + canonical.join(escape), escaped: canonical.length > 1 };
  }
  let escaped = false;
  const parts = canonical.map((segment) => {
    if (!segment.includes(delimiter)) return segment;
    escaped = true;
    return segment.split(delimiter).join(escape);
  });
  return { path: ns.prefix + parts.join(delimiter), escaped };
}

/**
 * Joins segments into the normalized "/"-separated form that rules match.
 * A level that itself contains "/" (possible on a "." server) reads as two levels here:
 * globs cannot tell them apart, and a map or rename result is split on every "/".
 */
export function toNormalized(segments: readonly string[]): string {
  return segments.join(NORMALIZED_DELIMITER);
}

/**
 * Splits a normalized path (as written in config: map targets, rename results) into
 * segments, root INBOX canonicalized.
 *
 * @param origin names the config entry in the error message.
 * @throws MappingError when the path is empty or has an empty segment ("a//b", "/a", "a/").
 */
export function fromNormalized(path: string, origin: string): string[] {
  const segments = path.split(NORMALIZED_DELIMITER);
  if (segments.some((segment) => segment === '')) {
    throw new MappingError(
      `${origin} produces the folder path "${path}", which is empty or has an empty level; ` +
        'write target paths as non-empty names separated by single "/".',
    );
  }
  return canonicalizeInbox(segments);
}

/**
 * The namespace to split one listed folder with: the folder's own delimiter when the server
 * gave one (RFC 3501 7.2.2: LIST reports the delimiter per mailbox), else the namespace's.
 */
export function namespaceFor(folder: FolderInfo, ns: Namespace): Namespace {
  return folder.delimiter === null || folder.delimiter === ns.delimiter ? ns : { prefix: ns.prefix, delimiter: folder.delimiter };
}
