/**
 * Copy state of a folder whose messages have string keys (a POP3 maildrop: UIDLs or
 * content keys; an Exchange folder: ItemIds), copied into one target folder: the keys
 * already on the target with their target UID and date, intents, quarantine, the target
 * cursor and, for EWS, the sync state (see CopyState). The lease is the folder's: same
 * key as a UID folder's, one holder.
 */
import type { Redis } from 'ioredis';
import type { CopiedMessage, CopyCursor, CopyIntent, CopyPageCommit, CopyState, QuarantineEntry, SourceCursor } from './copy-state.js';
import { folderId, type StateKeys } from './keys.js';
import { Lease } from './lease.js';
import { COMMIT_PAGE, HDEL_FIELDS, RESET_FOLDER, WRITE_INTENTS } from './lua-scripts.js';

/** HMGET arguments per call: bounded so a 100k-message maildrop is not one giant command. */
const LOOKUP_CHUNK = 1000;

export type KeyedSourceKind = 'maildrop' | 'item-sync';

export class KeyedFolderState implements CopyState {
  readonly fid: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StateKeys,
    readonly pairId: string,
    readonly sourcePath: string,
    private readonly kind: KeyedSourceKind,
  ) {
    this.fid = folderId(sourcePath);
  }

  acquireLease(): Promise<Lease> {
    return Lease.acquire(this.redis, this.keys.lease(this.pairId, this.fid));
  }

  async cursor(): Promise<CopyCursor | null> {
    const fields = await this.redis.hgetall(this.keys.keyedCheckpoint(this.pairId, this.fid));
    const { targetPath, targetUidValidity, targetUidNext, syncState } = fields;
    if (targetPath === undefined || targetUidValidity === undefined || targetUidNext === undefined) return null;
    const target = { path: targetPath, uidValidity: targetUidValidity, uidNext: Number(targetUidNext) };
    const source: SourceCursor = this.kind === 'maildrop' ? { kind: 'maildrop' } : { kind: 'item-sync', ...(syncState === undefined ? {} : { syncState }) };
    return { source, target };
  }

  /** Where the given keys went; keys never copied are absent. */
  async copies(_source: SourceCursor, keys: readonly string[]): Promise<Map<string, CopiedMessage>> {
    const found = new Map<string, CopiedMessage>();
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const slice = keys.slice(i, i + LOOKUP_CHUNK);
      const values = await this.redis.hmget(this.keys.keyedLedger(this.pairId, this.fid), ...slice);
      slice.forEach((key, j) => {
        const value = values[j];
        if (value !== null && value !== undefined) found.set(key, decodeCopy(value));
      });
    }
    return found;
  }

  /** How many copies the ledger holds (one HLEN). */
  copyCount(): Promise<number> {
    return this.redis.hlen(this.keys.keyedLedger(this.pairId, this.fid));
  }

  /** Every copy this pair made, for the mapping report. */
  async allCopies(): Promise<Map<string, CopiedMessage>> {
    const all = new Map<string, CopiedMessage>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.keyedLedger(this.pairId, this.fid), cursor, 'COUNT', 1000);
      for (let i = 0; i + 1 < flat.length; i += 2) all.set(flat[i] as string, decodeCopy(flat[i + 1] as string));
      cursor = next;
    } while (cursor !== '0');
    return all;
  }

  /** Forgets copies deleted from the target (a mirror followed the source's deletions). */
  async forget(lease: Lease, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await HDEL_FIELDS.run(this.redis, [lease.key, this.keys.keyedLedger(this.pairId, this.fid)], [lease.token, JSON.stringify(keys)]);
  }

  async intents(): Promise<CopyIntent[]> {
    const raw = await this.redis.hvals(this.keys.intents(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as CopyIntent);
  }

  async quarantine(): Promise<QuarantineEntry[]> {
    const raw = await this.redis.hvals(this.keys.quarantine(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as QuarantineEntry);
  }

  async writeIntents(lease: Lease, intents: readonly CopyIntent[]): Promise<void> {
    if (intents.length === 0) return;
    const flat = intents.flatMap((intent) => [intent.key, JSON.stringify(intent)]);
    await WRITE_INTENTS.run(this.redis, [lease.key, this.keys.intents(this.pairId, this.fid)], [lease.token, JSON.stringify(flat)]);
  }

  async commitPage(lease: Lease, commit: CopyPageCommit): Promise<void> {
    const { source, target } = commit.cursor;
    if (source.kind !== this.kind) throw new Error(`the state of a ${this.kind} folder cannot commit the cursor of a ${source.kind} source`);
    const k = this.keys;
    const { pairId, fid } = this;
    const checkpoint: Record<string, string> = { targetPath: target.path, targetUidValidity: target.uidValidity, targetUidNext: String(target.uidNext) };
    if (source.kind === 'item-sync' && source.syncState !== undefined) checkpoint.syncState = source.syncState;
    await COMMIT_PAGE.run(this.redis, [
      lease.key, k.keyedCheckpoint(pairId, fid), k.keyedLedger(pairId, fid),
      k.intents(pairId, fid), k.quarantine(pairId, fid), k.pairFolders(pairId),
    ], [
      lease.token, fid, this.sourcePath,
      JSON.stringify(checkpoint),
      JSON.stringify(commit.copied.flatMap(([key, copy]) => [key, encodeCopy(copy)])),
      JSON.stringify(commit.clearIntents),
      JSON.stringify(commit.quarantined.flatMap((q) => [q.key, JSON.stringify(q)])),
      JSON.stringify(commit.released),
    ]);
  }

  /** Forgets everything: the target folder changed (another path, or recreated), so "on the target" no longer holds. */
  async reset(lease: Lease): Promise<void> {
    const k = this.keys;
    const { pairId, fid } = this;
    await RESET_FOLDER.run(this.redis, [lease.key,
      k.keyedCheckpoint(pairId, fid), k.keyedLedger(pairId, fid), k.intents(pairId, fid), k.quarantine(pairId, fid)], [lease.token]);
  }
}

/** "targetUid unixSeconds": compact, since a ledger holds one entry per message ever copied. */
function encodeCopy(copy: CopiedMessage): string {
  return `${copy.targetUid} ${Math.floor(copy.date.getTime() / 1000)}`;
}

function decodeCopy(value: string): CopiedMessage {
  const [uid, seconds] = value.split(' ');
  return { targetUid: Number(uid), date: new Date(Number(seconds) * 1000) };
}
