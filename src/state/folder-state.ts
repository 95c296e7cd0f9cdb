/**
 * Durable state of one (pair, source folder): checkpoint, ledger, write-ahead intents and
 * quarantine. Every write is fenced by the folder's lease and made in one round trip.
 */
import type { Redis } from 'ioredis';
import {
  decodeCheckpoint, encodeCheckpoint,
  type AppendIntent, type FolderCheckpoint, type QuarantineRecord,
} from './folder-checkpoint.js';
import { folderId, type StateKeys } from './keys.js';
import { Lease } from './lease.js';
import { COMMIT_PAGE, RESET_FOLDER, WRITE_INTENTS } from './lua-scripts.js';

/** Everything one page changes, committed atomically. */
export interface PageCommit {
  readonly checkpoint: FolderCheckpoint;
  /** source UID -> target UID (0 when the target did not report one). */
  readonly copied: ReadonlyArray<readonly [number, number]>;
  readonly clearIntents: readonly number[];
  readonly quarantined: readonly QuarantineRecord[];
  /** Source UIDs that left quarantine (copied at last). */
  readonly released: readonly number[];
}

export class FolderState {
  readonly fid: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StateKeys,
    readonly pairId: string,
    readonly sourcePath: string,
  ) {
    this.fid = folderId(sourcePath);
  }

  acquireLease(): Promise<Lease> {
    return Lease.acquire(this.redis, this.keys.lease(this.pairId, this.fid));
  }

  async checkpoint(): Promise<FolderCheckpoint | null> {
    return decodeCheckpoint(await this.redis.hgetall(this.keys.checkpoint(this.pairId, this.fid)));
  }

  /** Checkpoint and how much work is pending, in one round trip (for the plan's quick check). */
  async overview(): Promise<{ checkpoint: FolderCheckpoint | null; intents: number; quarantined: number }> {
    const k = this.keys;
    const replies = await this.redis.multi()
      .hgetall(k.checkpoint(this.pairId, this.fid))
      .hlen(k.intents(this.pairId, this.fid))
      .hlen(k.quarantine(this.pairId, this.fid))
      .exec();
    const [checkpoint, intents, quarantined] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    return {
      checkpoint: decodeCheckpoint((checkpoint ?? {}) as Record<string, string>),
      intents: Number(intents ?? 0),
      quarantined: Number(quarantined ?? 0),
    };
  }

  async intents(): Promise<AppendIntent[]> {
    const raw = await this.redis.hvals(this.keys.intents(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as AppendIntent);
  }

  async quarantine(): Promise<QuarantineRecord[]> {
    const raw = await this.redis.hvals(this.keys.quarantine(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as QuarantineRecord);
  }

  /** Target UIDs recorded for the given source UIDs (absent when not copied). */
  async ledgerTargets(uidValidity: string, srcUids: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    if (srcUids.length === 0) return result;
    const values = await this.redis.hmget(this.keys.ledger(this.pairId, this.fid, uidValidity), ...srcUids.map(String));
    srcUids.forEach((uid, i) => {
      const value = values[i];
      if (value !== null && value !== undefined) result.set(uid, Number(value));
    });
    return result;
  }

  /** Records the intents of a page before any of it is appended. */
  async writeIntents(lease: Lease, intents: readonly AppendIntent[]): Promise<void> {
    if (intents.length === 0) return;
    const flat = intents.flatMap((intent) => [String(intent.srcUid), JSON.stringify(intent)]);
    await this.redis.eval(WRITE_INTENTS, 2, lease.key, this.keys.intents(this.pairId, this.fid), lease.token, JSON.stringify(flat));
  }

  async commitPage(lease: Lease, commit: PageCommit): Promise<void> {
    const k = this.keys;
    const { pairId, fid } = this;
    await this.redis.eval(
      COMMIT_PAGE, 6,
      lease.key, k.checkpoint(pairId, fid), k.ledger(pairId, fid, commit.checkpoint.uidValidity),
      k.intents(pairId, fid), k.quarantine(pairId, fid), k.pairFolders(pairId),
      lease.token, fid, this.sourcePath,
      JSON.stringify(encodeCheckpoint(commit.checkpoint)),
      JSON.stringify(commit.copied.flatMap(([src, tgt]) => [String(src), String(tgt)])),
      JSON.stringify(commit.clearIntents.map(String)),
      JSON.stringify(commit.quarantined.flatMap((q) => [String(q.srcUid), JSON.stringify(q)])),
      JSON.stringify(commit.released.map(String)),
    );
  }

  /** Forgets checkpoint, intents, quarantine and the mirror's cursor (source UIDVALIDITY changed: UIDs mean nothing now). */
  async reset(lease: Lease): Promise<void> {
    const k = this.keys;
    const { pairId, fid } = this;
    await this.redis.eval(RESET_FOLDER, 6, lease.key, k.checkpoint(pairId, fid), k.intents(pairId, fid), k.quarantine(pairId, fid),
      k.mirrorCursor(pairId, fid), k.gone(pairId, fid), lease.token);
  }
}
