/**
 * What a mirror or backup keeps per folder besides the copy state (FolderState): the
 * cursor up to which flags and deletions are in sync, and, for a backup's retention,
 * when each deletion on the source was first seen. Writes are fenced by the folder lease.
 */
import type { Redis } from 'ioredis';
import { folderId, type StateKeys } from './keys.js';
import type { Lease } from './lease.js';
import { HDEL_FIELDS, HSETNX_FIELDS, REPLACE_HASH } from './lua-scripts.js';

/** The source folder as it was when flags and deletions were last in sync with the target. */
export interface MirrorCursor {
  readonly uidValidity: string;
  /** Source HIGHESTMODSEQ (CONDSTORE) read before the flags were compared; absent without CONDSTORE. */
  readonly modseq?: string;
  /** Source message count and UIDNEXT then: both unchanged (and the modseq) = nothing to do. */
  readonly messages: number;
  readonly uidNext: number;
}

export class MirrorState {
  readonly fid: string;

  constructor(private readonly redis: Redis, private readonly keys: StateKeys, readonly pairId: string, sourcePath: string) {
    this.fid = folderId(sourcePath);
  }

  async cursor(): Promise<MirrorCursor | null> {
    const f = await this.redis.hgetall(this.keys.mirrorCursor(this.pairId, this.fid));
    if (f.uidValidity === undefined || f.messages === undefined || f.uidNext === undefined) return null;
    const cursor: MirrorCursor = { uidValidity: f.uidValidity, messages: Number(f.messages), uidNext: Number(f.uidNext) };
    return f.modseq === undefined ? cursor : { ...cursor, modseq: f.modseq };
  }

  async setCursor(lease: Lease, cursor: MirrorCursor): Promise<void> {
    const fields: Record<string, string> = { uidValidity: cursor.uidValidity, messages: String(cursor.messages), uidNext: String(cursor.uidNext) };
    if (cursor.modseq !== undefined) fields.modseq = cursor.modseq;
    await REPLACE_HASH.run(this.redis, [lease.key, this.keys.mirrorCursor(this.pairId, this.fid)], [lease.token, JSON.stringify(fields)]);
  }

  /** Every copied message of the folder under `uidValidity`: source UID -> target UID (0: unknown). */
  async ledger(uidValidity: string): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    const key = this.keys.ledger(this.pairId, this.fid, uidValidity);
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', 5000);
      for (let i = 0; i + 1 < flat.length; i += 2) result.set(Number(flat[i]), Number(flat[i + 1]));
      cursor = next;
    } while (cursor !== '0');
    return result;
  }

  /** Forgets messages deleted from the target: out of the ledger and the retention record. */
  async forget(lease: Lease, uidValidity: string, srcUids: readonly number[]): Promise<void> {
    if (srcUids.length === 0) return;
    const k = this.keys;
    await HDEL_FIELDS.run(this.redis, [lease.key, k.ledger(this.pairId, this.fid, uidValidity), k.gone(this.pairId, this.fid)],
      [lease.token, JSON.stringify(srcUids.map(String))]);
  }

  /** Source UID -> when it was first seen gone (ms since the epoch). */
  async gone(): Promise<Map<number, number>> {
    const raw = await this.redis.hgetall(this.keys.gone(this.pairId, this.fid));
    return new Map(Object.entries(raw).map(([uid, ms]) => [Number(uid), Number(ms)]));
  }

  /** Records `now` for the UIDs not recorded yet. */
  async markGone(lease: Lease, srcUids: readonly number[], now: number): Promise<void> {
    if (srcUids.length === 0) return;
    await HSETNX_FIELDS.run(this.redis, [lease.key, this.keys.gone(this.pairId, this.fid)], [lease.token, String(now), JSON.stringify(srcUids.map(String))]);
  }
}
