/**
 * Durable state of a source folder whose messages have string keys (a POP3 maildrop:
 * UIDLs; an Exchange folder: ItemIds), copied into one target folder: the set of keys
 * already on the target with their target UID and date, write-ahead intents,
 * quarantine, where the recovery window starts and, for EWS, the sync state. Same
 * fencing and the same atomic page commit as an IMAP folder (lua-scripts.ts); only the
 * keys are strings. The lease is the folder's (FolderState.acquireLease): same key, one holder.
 */
import type { Redis } from 'ioredis';
import { folderId, type StateKeys } from './keys.js';
import type { Lease } from './lease.js';
import { COMMIT_PAGE, RESET_FOLDER, WRITE_INTENTS } from './lua-scripts.js';

export interface KeyedCheckpoint {
  readonly targetPath: string;
  readonly targetUidValidity: string;
  /** Target UIDNEXT after the last committed page: the start of the recovery window. */
  readonly targetUidNext: number;
  /** EWS: the SyncFolderItems state after the last committed page (absent: enumerate from the start). */
  readonly syncState?: string;
}

/** Where one source message went. */
export interface KeyedCopy {
  /** Target UID; 0 when the target did not report it. */
  readonly targetUid: number;
  /** The INTERNALDATE it was stored with (for `older-than` deletion and the mapping report). */
  readonly date: Date;
}

export interface KeyedIntent {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly targetUidNextBefore: number;
}

export interface KeyedQuarantine {
  readonly key: string;
  readonly size: number;
  readonly code: string;
  readonly reason: string;
}

export interface KeyedPageCommit {
  readonly checkpoint: KeyedCheckpoint;
  readonly copied: ReadonlyArray<readonly [string, KeyedCopy]>;
  readonly clearIntents: readonly string[];
  readonly quarantined: readonly KeyedQuarantine[];
  /** Keys that left quarantine (copied at last). */
  readonly released: readonly string[];
}

/** HMGET arguments per call: bounded so a 100k-message maildrop is not one giant command. */
const LOOKUP_CHUNK = 1000;

export class KeyedFolderState {
  readonly fid: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StateKeys,
    readonly pairId: string,
    readonly sourcePath: string,
  ) {
    this.fid = folderId(sourcePath);
  }

  async checkpoint(): Promise<KeyedCheckpoint | null> {
    const fields = await this.redis.hgetall(this.keys.keyedCheckpoint(this.pairId, this.fid));
    const { targetPath, targetUidValidity, targetUidNext, syncState } = fields;
    if (targetPath === undefined || targetUidValidity === undefined || targetUidNext === undefined) return null;
    const checkpoint = { targetPath, targetUidValidity, targetUidNext: Number(targetUidNext) };
    return syncState === undefined ? checkpoint : { ...checkpoint, syncState };
  }

  /** Where the given keys went; keys never copied are absent. */
  async copies(keys: readonly string[]): Promise<Map<string, KeyedCopy>> {
    const found = new Map<string, KeyedCopy>();
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

  /** Every copy this pair made, for the mapping report. */
  async allCopies(): Promise<Map<string, KeyedCopy>> {
    const all = new Map<string, KeyedCopy>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.keyedLedger(this.pairId, this.fid), cursor, 'COUNT', 1000);
      for (let i = 0; i + 1 < flat.length; i += 2) all.set(flat[i] as string, decodeCopy(flat[i + 1] as string));
      cursor = next;
    } while (cursor !== '0');
    return all;
  }

  async intents(): Promise<KeyedIntent[]> {
    const raw = await this.redis.hvals(this.keys.intents(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as KeyedIntent);
  }

  async quarantine(): Promise<KeyedQuarantine[]> {
    const raw = await this.redis.hvals(this.keys.quarantine(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as KeyedQuarantine);
  }

  async writeIntents(lease: Lease, intents: readonly KeyedIntent[]): Promise<void> {
    if (intents.length === 0) return;
    const flat = intents.flatMap((intent) => [intent.key, JSON.stringify(intent)]);
    await this.redis.eval(WRITE_INTENTS, 2, lease.key, this.keys.intents(this.pairId, this.fid), lease.token, JSON.stringify(flat));
  }

  async commitPage(lease: Lease, commit: KeyedPageCommit): Promise<void> {
    const k = this.keys;
    const { pairId, fid } = this;
    const checkpoint = { ...commit.checkpoint, targetUidNext: String(commit.checkpoint.targetUidNext) };
    await this.redis.eval(
      COMMIT_PAGE, 6,
      lease.key, k.keyedCheckpoint(pairId, fid), k.keyedLedger(pairId, fid),
      k.intents(pairId, fid), k.quarantine(pairId, fid), k.pairFolders(pairId),
      lease.token, fid, this.sourcePath,
      JSON.stringify(checkpoint),
      JSON.stringify(commit.copied.flatMap(([key, copy]) => [key, encodeCopy(copy)])),
      JSON.stringify(commit.clearIntents),
      JSON.stringify(commit.quarantined.flatMap((q) => [q.key, JSON.stringify(q)])),
      JSON.stringify(commit.released),
    );
  }

  /** Forgets everything: the target folder changed (another path, or recreated), so "on the target" no longer holds. */
  async reset(lease: Lease): Promise<void> {
    const k = this.keys;
    const { pairId, fid } = this;
    await this.redis.eval(
      RESET_FOLDER, 5, lease.key,
      k.keyedCheckpoint(pairId, fid), k.keyedLedger(pairId, fid), k.intents(pairId, fid), k.quarantine(pairId, fid),
      lease.token,
    );
  }
}

/** "targetUid unixSeconds": compact, since a ledger holds one entry per message ever copied. */
function encodeCopy(copy: KeyedCopy): string {
  return `${copy.targetUid} ${Math.floor(copy.date.getTime() / 1000)}`;
}

function decodeCopy(value: string): KeyedCopy {
  const [uid, seconds] = value.split(' ');
  return { targetUid: Number(uid), date: new Date(Number(seconds) * 1000) };
}
