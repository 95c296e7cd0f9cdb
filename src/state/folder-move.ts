/**
 * Moving a folder's whole state (checkpoint, ledger, intents, quarantine, mirror cursor,
 * retention record) to a new source path, when a mirror finds the source folder renamed:
 * the copies on the target are the same messages, so nothing is copied again.
 */
import type { Redis } from 'ioredis';
import type { StateKeys } from './keys.js';
import { folderId } from './keys.js';
import { Lease } from './lease.js';
import { MOVE_FOLDER } from './lua-scripts.js';

export interface FolderMove {
  readonly pairId: string;
  readonly fromPath: string;
  readonly toPath: string;
  /** Source UIDVALIDITY of the ledger (a rename keeps it). */
  readonly uidValidity: string;
  readonly targetPath: string;
}

export async function moveFolderState(redis: Redis, keys: StateKeys, move: FolderMove): Promise<void> {
  const { pairId } = move;
  const from = folderId(move.fromPath);
  const to = folderId(move.toPath);
  const fromLease = await Lease.acquire(redis, keys.lease(pairId, from));
  try {
    const toLease = await Lease.acquire(redis, keys.lease(pairId, to));
    try {
      const pairs = [
        [keys.checkpoint(pairId, from), keys.checkpoint(pairId, to)],
        [keys.ledger(pairId, from, move.uidValidity), keys.ledger(pairId, to, move.uidValidity)],
        [keys.intents(pairId, from), keys.intents(pairId, to)],
        [keys.quarantine(pairId, from), keys.quarantine(pairId, to)],
        [keys.mirrorCursor(pairId, from), keys.mirrorCursor(pairId, to)],
        [keys.gone(pairId, from), keys.gone(pairId, to)],
      ].flat();
      await MOVE_FOLDER.run(redis, [fromLease.key, toLease.key, keys.checkpoint(pairId, to), keys.pairFolders(pairId), ...pairs],
        [fromLease.token, toLease.token, from, to, move.toPath, move.targetPath]);
    } finally {
      await toLease.release();
    }
  } finally {
    await fromLease.release();
  }
}
