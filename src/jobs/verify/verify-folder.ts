/**
 * `mailferry verify`, per folder: read both sides' messages as SHA-256 digests (bodies in
 * bounded batches, never a whole folder in memory), then compare them as multisets, and
 * for byte-identical pairs their flags (as the target folder's PERMANENTFLAGS would keep
 * the source's) and INTERNALDATE (to the second).
 */
import { ConnectorError } from '../../connectors/connector-error.js';
import type { AnySource, FlagPolicy, ItemSyncSource, MessageMeta, RawMessage, TargetConnector } from '../../connectors/types.js';
import { mapFlags } from '../../mapping/index.js';
import { batchByBytes } from '../copy/pages.js';
import { describeChange, shapeOfMessage, survivingIdentity, type CopyShape } from '../copy/rewrite-identity.js';
import { sha256 } from '../copy/source-message.js';

/** One message of one side: how that side names it, its content hash, flags and date. */
export interface MessageDigest {
  /** IMAP/Maildir UID, POP3 message number, or EWS item id. */
  readonly id: number | string;
  readonly sha256: string;
  readonly size: number;
  readonly flags: readonly string[];
  readonly internalDate: Date;
  /** What survives a target's rewrite (rewrite-identity.ts); none for a message not read exactly. */
  readonly identity?: string;
  readonly shape?: CopyShape;
}

/** Bounds on one body fetch: at most this many bytes or messages (a single larger message goes alone). */
export interface VerifyBatchLimits {
  readonly bytes: number;
  readonly messages: number;
}

export const DEFAULT_VERIFY_BATCH: VerifyBatchLimits = { bytes: 8 * 1024 * 1024, messages: 200 };

/** Splits metadata into fetch batches bounded by bytes and count. */
export function verifyBatches<T extends { readonly size: number }>(items: readonly T[], limits: VerifyBatchLimits): T[][] {
  return batchByBytes(items, limits.bytes, limits.messages);
}


/** Metadata of many UIDs, a thousand per command. */
async function metaOf(read: (uids: readonly number[]) => Promise<MessageMeta[]>, uids: readonly number[]): Promise<MessageMeta[]> {
  const out: MessageMeta[] = [];
  for (let i = 0; i < uids.length; i += 1000) out.push(...(await read(uids.slice(i, i + 1000))));
  return out;
}

/** Reads one batch of exact bytes; `large` reads one message alone (bounded memory), where the side can. */
interface ExactReader {
  batch(uids: readonly number[]): Promise<RawMessage[]>;
  large?: (meta: MessageMeta) => Promise<RawMessage | undefined>;
}

/**
 * Hashes messages in bounded batches, with the same exact reads the copy uses. A message
 * a side cannot read exactly (RawMessage.inexact) gets a digest of its own that matches
 * nothing: verify must never call it identical.
 */
async function digestBatches(metas: readonly MessageMeta[], limits: VerifyBatchLimits, read: ExactReader): Promise<MessageDigest[]> {
  const out: MessageDigest[] = [];
  for (const batch of verifyBatches(metas, limits)) {
    const only = batch[0];
    const raws = batch.length === 1 && only !== undefined && only.size > limits.bytes && read.large
      ? [await read.large(only)].filter((m): m is RawMessage => m !== undefined)
      : await read.batch(batch.map((m) => m.uid));
    const metaByUid = new Map(batch.map((m) => [m.uid, m]));
    for (const message of raws) {
      const meta = metaByUid.get(message.uid);
      const identity = message.inexact === undefined ? survivingIdentity(message.raw) : undefined;
      out.push({
        id: message.uid, sha256: message.inexact === undefined ? sha256(message.raw) : `inexact:${message.uid}:${sha256(message.raw)}`, size: message.raw.length,
        flags: meta?.flags ?? message.flags, internalDate: meta?.internalDate ?? message.internalDate,
        ...(identity === undefined ? {} : { identity, shape: shapeOfMessage(message.raw) }),
      });
    }
  }
  return out;
}

/** Every message of a source folder (IMAP, Maildir, POP3 or EWS), as digests. */
export async function sourceDigests(source: AnySource, path: string, limits: VerifyBatchLimits = DEFAULT_VERIFY_BATCH): Promise<MessageDigest[]> {
  if (source.kind === 'item-sync') return itemDigests(source, path, limits);
  if (source.kind === 'maildrop') {
    const metas = (await source.listMaildrop()).map((e) => ({ uid: e.number, size: e.size, flags: [], internalDate: new Date(0) }));
    const large = source.features.fetchLarge;
    return digestBatches(metas, limits, { batch: (numbers) => source.retrieve(numbers), ...(large ? { large: (meta) => large(meta.uid, meta.size) } : {}) });
  }
  const metas = await metaOf((batch) => source.fetchMeta(path, batch), await source.listUids(path, 0));
  const large = source.features.fetchLarge;
  return digestBatches(metas, limits, { batch: (uids) => source.fetchRaw(path, uids), ...(large ? { large: (meta) => large(path, meta) } : {}) });
}

/** Every message of a target folder, as digests; the target must have UIDs and keep bytes (recovery 'uid-window'). */
export async function targetDigests(target: TargetConnector, path: string, limits: VerifyBatchLimits = DEFAULT_VERIFY_BATCH): Promise<MessageDigest[]> {
  const recovery = target.features.recovery;
  if (recovery.kind !== 'uid-window') {
    throw new ConnectorError(`verify "${path}": the target rebuilds what it stores (no UIDs, no exact bytes), so its messages cannot be compared byte for byte`, {
      code: 'UNSUPPORTED', scope: 'account', retry: 'never',
    });
  }
  const metas = await recovery.listWindow(path, 1);
  return digestBatches(metas, limits, { batch: (uids) => recovery.fetchRaw(path, uids) });
}

/** An item-keyed source (EWS): enumerate the folder from the start, then fetch MIME in bounded batches. */
async function itemDigests(source: ItemSyncSource, path: string, limits: VerifyBatchLimits): Promise<MessageDigest[]> {
  const items = new Map<string, number>();
  let state: string | null = null;
  for (;;) {
    const page = await source.syncItems(path, state, 512);
    for (const item of page.items) items.set(item.id, item.size);
    for (const id of page.deleted) items.delete(id);
    state = page.state;
    if (!page.more) break;
  }
  const out: MessageDigest[] = [];
  for (const batch of verifyBatches([...items].map(([id, size]) => ({ id, size })), limits)) {
    for (const item of await source.fetchItems(path, batch.map((b) => b.id))) {
      out.push({ id: item.id, sha256: sha256(item.raw), size: item.raw.length, flags: item.flags, internalDate: item.internalDate });
    }
  }
  return out;
}

/** A message present on one side only. */
export interface UnmatchedMessage {
  readonly id: number | string;
  readonly size: number;
  readonly sha256: string;
}

/** A source message whose copy the target stored changed (same Message-ID and body). */
export interface ChangedPair {
  readonly sourceId: number | string;
  readonly targetId: number | string;
  /** How, as far as size and header block tell (rewrite-identity.ts). */
  readonly how: string;
}

/** A byte-identical pair whose flags or date differ. */
export interface MismatchedPair {
  readonly sourceId: number | string;
  readonly targetId: number | string;
  /** Source flags as the target would keep them, and the target's (lower-cased, sorted). */
  readonly sourceFlags: readonly string[];
  readonly targetFlags: readonly string[];
  readonly sourceDate: string;
  readonly targetDate: string;
}

export interface FolderComparison {
  readonly sourceMessages: number;
  readonly targetMessages: number;
  readonly matched: number;
  readonly missing: readonly UnmatchedMessage[];
  readonly extra: readonly UnmatchedMessage[];
  /** Copies the target changed as it stored them: there, but not byte for byte. */
  readonly changed: readonly ChangedPair[];
  readonly flags: readonly MismatchedPair[];
  readonly dates: readonly MismatchedPair[];
}

export interface CompareOptions {
  /** The target folder's flag policy; absent when flags are not compared. */
  readonly policy?: FlagPolicy;
  /** Compare INTERNALDATE (not for POP3 sources: the pair decides their dates). */
  readonly dates: boolean;
}

/** Flags as a canonical set: lower case, no \Recent, sorted. */
function flagKey(flags: readonly string[]): string[] {
  return [...new Set(flags.map((f) => f.toLowerCase()).filter((f) => f !== '\\recent'))].sort();
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * Compares two folders as multisets of content hashes. Among byte-identical copies, pairs
 * that agree on flags and date are matched first, so duplicates with different flags are
 * not reported as differences when another pairing agrees.
 */
export function compareDigests(source: readonly MessageDigest[], target: readonly MessageDigest[], options: CompareOptions): FolderComparison {
  const wanted = (m: MessageDigest): string[] | undefined => (options.policy ? flagKey(mapFlags(m.flags, options.policy).flags) : undefined);
  const byHash = new Map<string, MessageDigest[]>();
  for (const t of target) {
    const list = byHash.get(t.sha256);
    if (list) list.push(t);
    else byHash.set(t.sha256, [t]);
  }
  const agrees = (s: MessageDigest, t: MessageDigest): boolean => {
    const flags = wanted(s);
    const flagsOk = flags === undefined || flags.join(' ') === flagKey(t.flags).join(' ');
    return flagsOk && (!options.dates || seconds(s.internalDate) === seconds(t.internalDate));
  };
  const missing: UnmatchedMessage[] = [];
  const flags: MismatchedPair[] = [];
  const dates: MismatchedPair[] = [];
  const unpaired: MessageDigest[] = [];
  let matched = 0;
  // First pass: exact agreement.
  for (const s of source) {
    const candidates = byHash.get(s.sha256);
    const index = candidates?.findIndex((t) => agrees(s, t)) ?? -1;
    if (candidates && index >= 0) {
      candidates.splice(index, 1);
      matched++;
    } else {
      unpaired.push(s);
    }
  }
  const compareMeta = (s: MessageDigest, t: MessageDigest): void => {
    const sourceFlags = wanted(s);
    const pair: MismatchedPair = {
      sourceId: s.id, targetId: t.id, sourceFlags: sourceFlags ?? [], targetFlags: flagKey(t.flags),
      sourceDate: new Date(seconds(s.internalDate) * 1000).toISOString(), targetDate: new Date(seconds(t.internalDate) * 1000).toISOString(),
    };
    if (sourceFlags !== undefined && sourceFlags.join(' ') !== pair.targetFlags.join(' ')) flags.push(pair);
    if (options.dates && pair.sourceDate !== pair.targetDate) dates.push(pair);
  };
  // Second pass: same bytes, different flags or date.
  const withoutCopy: MessageDigest[] = [];
  for (const s of unpaired) {
    const t = byHash.get(s.sha256)?.shift();
    if (t === undefined) {
      withoutCopy.push(s);
      continue;
    }
    matched++;
    compareMeta(s, t);
  }
  // Third pass: a copy the target changed as it stored it (same Message-ID and body); else missing.
  const byIdentity = new Map<string, MessageDigest[]>();
  for (const t of [...byHash.values()].flat()) {
    if (t.identity === undefined) continue;
    byIdentity.set(t.identity, [...(byIdentity.get(t.identity) ?? []), t]);
  }
  const changed: ChangedPair[] = [];
  const rewrittenCopies = new Set<MessageDigest>();
  for (const s of withoutCopy) {
    const t = s.identity === undefined ? undefined : byIdentity.get(s.identity)?.shift();
    if (t === undefined) {
      missing.push({ id: s.id, size: s.size, sha256: s.sha256 });
      continue;
    }
    rewrittenCopies.add(t);
    matched++;
    changed.push({ sourceId: s.id, targetId: t.id, how: (s.shape && t.shape && describeChange(s.shape, t.shape)) ?? 'body changed' });
    compareMeta(s, t);
  }
  const extra = [...byHash.values()].flat().filter((t) => !rewrittenCopies.has(t)).map((t) => ({ id: t.id, size: t.size, sha256: t.sha256 }));
  return { sourceMessages: source.length, targetMessages: target.length, matched, missing, extra, changed, flags, dates };
}
