/**
 * Copy state of a folder of a UID source (IMAP, Maildir): the cursor, a ledger per source
 * UIDVALIDITY (source UID -> target UID), intents and quarantine (see CopyState). When
 * the source's UIDVALIDITY changes, the old ledger is simply no longer consulted.
 */
import type { Redis } from 'ioredis';
import type { CopiedMessage, CopyCursor, CopyIntent, CopyPageCommit, CopyState, QuarantineEntry, SourceCursor, UidCursor } from './copy-state.js';
import { decodeCheckpoint, encodeCheckpoint, type AppendIntent, type QuarantineRecord } from './folder-checkpoint.js';
import { folderId, type StateKeys } from './keys.js';
import { Lease } from './lease.js';
import { COMMIT_PAGE, RESET_FOLDER, WRITE_INTENTS } from './lua-scripts.js';

/** A UID folder's cursor and how much work is pending, in one round trip (for the plan's quick check). */
export interface FolderOverview {
  readonly cursor: UidCopyCursor | null;
  readonly intents: number;
  readonly quarantined: number;
}

/** Copies of a UID source always carry a UID cursor. */
export interface UidCopyCursor extends CopyCursor {
  readonly source: UidCursor;
}

export class FolderState implements CopyState {
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

  async cursor(): Promise<UidCopyCursor | null> {
    return toCursor(decodeCheckpoint(await this.redis.hgetall(this.keys.checkpoint(this.pairId, this.fid))));
  }

  async overview(): Promise<FolderOverview> {
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
      cursor: toCursor(decodeCheckpoint((checkpoint ?? {}) as Record<string, string>)),
      intents: Number(intents ?? 0),
      quarantined: Number(quarantined ?? 0),
    };
  }

  async intents(): Promise<CopyIntent[]> {
    const raw = await this.redis.hvals(this.keys.intents(this.pairId, this.fid));
    return raw.map((value) => {
      const { srcUid, ...intent } = JSON.parse(value) as AppendIntent;
      return { key: String(srcUid), ...intent };
    });
  }

  async quarantine(): Promise<QuarantineEntry[]> {
    const raw = await this.redis.hvals(this.keys.quarantine(this.pairId, this.fid));
    return raw.map((value) => {
      const { srcUid, ...record } = JSON.parse(value) as QuarantineRecord;
      return { key: String(srcUid), ...record };
    });
  }

  async copies(source: SourceCursor, keys: readonly string[]): Promise<Map<string, CopiedMessage>> {
    if (source.kind !== 'uid') throw new Error(`a UID folder's state was asked with a ${source.kind} cursor`);
    const targets = await this.ledgerTargets(source.uidValidity, keys.map(Number));
    return new Map([...targets].map(([uid, targetUid]) => [String(uid), { targetUid, date: new Date(0) }]));
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
  async writeIntents(lease: Lease, intents: readonly CopyIntent[]): Promise<void> {
    if (intents.length === 0) return;
    const flat = intents.flatMap(({ key, ...intent }) => [key, JSON.stringify({ srcUid: Number(key), ...intent } satisfies AppendIntent)]);
    await WRITE_INTENTS.run(this.redis, [lease.key, this.keys.intents(this.pairId, this.fid)], [lease.token, JSON.stringify(flat)]);
  }

  async commitPage(lease: Lease, commit: CopyPageCommit): Promise<void> {
    const { source, target } = commit.cursor;
    if (source.kind !== 'uid') throw new Error(`a UID folder's state cannot commit a ${source.kind} cursor`);
    const k = this.keys;
    const { pairId, fid } = this;
    const checkpoint = encodeCheckpoint({
      sourcePath: this.sourcePath, targetPath: target.path, targetUidValidity: target.uidValidity, targetUidNext: target.uidNext,
      uidValidity: source.uidValidity, lastUid: source.lastUid, sourceUidNext: source.uidNext,
      ...(source.highestModseq === undefined ? {} : { highestModseq: source.highestModseq }),
    });
    const quarantined = commit.quarantined.map(({ key, ...q }): QuarantineRecord => ({ srcUid: Number(key), ...q, uidValidity: q.uidValidity ?? source.uidValidity }));
    await COMMIT_PAGE.run(this.redis, [
      lease.key, k.checkpoint(pairId, fid), k.ledger(pairId, fid, source.uidValidity),
      k.intents(pairId, fid), k.quarantine(pairId, fid), k.pairFolders(pairId),
    ], [
      lease.token, fid, this.sourcePath,
      JSON.stringify(checkpoint),
      JSON.stringify(commit.copied.flatMap(([key, copy]) => [key, String(copy.targetUid)])),
      JSON.stringify(commit.clearIntents),
      JSON.stringify(quarantined.flatMap((q) => [String(q.srcUid), JSON.stringify(q)])),
      JSON.stringify(commit.released),
    ]);
  }

  /** Forgets cursor, intents, quarantine and the mirror's cursor (source UIDVALIDITY changed: UIDs mean nothing now). */
  async reset(lease: Lease): Promise<void> {
    const k = this.keys;
    const { pairId, fid } = this;
    await RESET_FOLDER.run(this.redis, [lease.key, k.checkpoint(pairId, fid), k.intents(pairId, fid), k.quarantine(pairId, fid),
      k.mirrorCursor(pairId, fid), k.gone(pairId, fid)], [lease.token]);
  }
}

function toCursor(c: ReturnType<typeof decodeCheckpoint>): UidCopyCursor | null {
  if (c === null) return null;
  return {
    target: { path: c.targetPath, uidValidity: c.targetUidValidity, uidNext: c.targetUidNext },
    source: {
      kind: 'uid', uidValidity: c.uidValidity, lastUid: c.lastUid, uidNext: c.sourceUidNext,
      ...(c.highestModseq === undefined ? {} : { highestModseq: c.highestModseq }),
    },
  };
}
