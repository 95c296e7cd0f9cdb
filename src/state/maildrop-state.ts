/**
 * Durable state of a POP3 maildrop copied into one target folder: the set of message
 * keys (UIDLs) already on the target with their target UID and date, write-ahead
 * intents, quarantine, and where the recovery window starts. Same fencing and the same
 * atomic page commit as an IMAP folder (lua-scripts.ts); only the keys are strings.
 * The lease is the folder's (FolderState.acquireLease): same key, one holder.
 */
import type { Redis } from 'ioredis';
import { folderId, type StateKeys } from './keys.js';
import type { Lease } from './lease.js';
import { COMMIT_PAGE, RESET_FOLDER, WRITE_INTENTS } from './lua-scripts.js';

export interface MaildropCheckpoint {
  readonly targetPath: string;
  readonly targetUidValidity: string;
  /** Target UIDNEXT after the last committed page: the start of the recovery window. */
  readonly targetUidNext: number;
}

/** Where one source message went. */
export interface MaildropCopy {
  /** Target UID; 0 when the target did not report it. */
  readonly targetUid: number;
  /** The INTERNALDATE it was stored with (for `older-than` deletion and the mapping report). */
  readonly date: Date;
}

export interface MaildropIntent {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly targetUidNextBefore: number;
}

export interface MaildropQuarantine {
  readonly key: string;
  readonly size: number;
  readonly code: string;
  readonly reason: string;
}

export interface MaildropPageCommit {
  readonly checkpoint: MaildropCheckpoint;
  readonly copied: ReadonlyArray<readonly [string, MaildropCopy]>;
  readonly clearIntents: readonly string[];
  readonly quarantined: readonly MaildropQuarantine[];
  /** Keys that left quarantine (copied at last). */
  readonly released: readonly string[];
}

/** HMGET arguments per call: bounded so a 100k-message maildrop is not one giant command. */
const LOOKUP_CHUNK = 1000;

export class MaildropState {
  readonly fid: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StateKeys,
    readonly pairId: string,
    readonly sourcePath: string,
  ) {
    this.fid = folderId(sourcePath);
  }

  async checkpoint(): Promise<MaildropCheckpoint | null> {
    const fields = await this.redis.hgetall(this.keys.maildropCheckpoint(this.pairId, this.fid));
    const { targetPath, targetUidValidity, targetUidNext } = fields;
    if (targetPath === undefined || targetUidValidity === undefined || targetUidNext === undefined) return null;
    return { targetPath, targetUidValidity, targetUidNext: Number(targetUidNext) };
  }

  /** Where the given keys went; keys never copied are absent. */
  async copies(keys: readonly string[]): Promise<Map<string, MaildropCopy>> {
    const found = new Map<string, MaildropCopy>();
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const slice = keys.slice(i, i + LOOKUP_CHUNK);
      const values = await this.redis.hmget(this.keys.maildropLedger(this.pairId, this.fid), ...slice);
      slice.forEach((key, j) => {
        const value = values[j];
        if (value !== null && value !== undefined) found.set(key, decodeCopy(value));
      });
    }
    return found;
  }

  /** Every copy this pair made, for the mapping report. */
  async allCopies(): Promise<Map<string, MaildropCopy>> {
    const all = new Map<string, MaildropCopy>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.maildropLedger(this.pairId, this.fid), cursor, 'COUNT', 1000);
      for (let i = 0; i + 1 < flat.length; i += 2) all.set(flat[i] as string, decodeCopy(flat[i + 1] as string));
      cursor = next;
    } while (cursor !== '0');
    return all;
  }

  async intents(): Promise<MaildropIntent[]> {
    const raw = await this.redis.hvals(this.keys.intents(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as MaildropIntent);
  }

  async quarantine(): Promise<MaildropQuarantine[]> {
    const raw = await this.redis.hvals(this.keys.quarantine(this.pairId, this.fid));
    return raw.map((value) => JSON.parse(value) as MaildropQuarantine);
  }

  async writeIntents(lease: Lease, intents: readonly MaildropIntent[]): Promise<void> {
    if (intents.length === 0) return;
    const flat = intents.flatMap((intent) => [intent.key, JSON.stringify(intent)]);
    await this.redis.eval(WRITE_INTENTS, 2, lease.key, this.keys.intents(this.pairId, this.fid), lease.token, JSON.stringify(flat));
  }

  async commitPage(lease: Lease, commit: MaildropPageCommit): Promise<void> {
    const k = this.keys;
    const { pairId, fid } = this;
    const checkpoint = { ...commit.checkpoint, targetUidNext: String(commit.checkpoint.targetUidNext) };
    await this.redis.eval(
      COMMIT_PAGE, 6,
      lease.key, k.maildropCheckpoint(pairId, fid), k.maildropLedger(pairId, fid),
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
      k.maildropCheckpoint(pairId, fid), k.maildropLedger(pairId, fid), k.intents(pairId, fid), k.quarantine(pairId, fid),
      lease.token,
    );
  }
}

/** "targetUid unixSeconds": compact, since a ledger holds one entry per message ever copied. */
function encodeCopy(copy: MaildropCopy): string {
  return `${copy.targetUid} ${Math.floor(copy.date.getTime() / 1000)}`;
}

function decodeCopy(value: string): MaildropCopy {
  const [uid, seconds] = value.split(' ');
  return { targetUid: Number(uid), date: new Date(Number(seconds) * 1000) };
}
