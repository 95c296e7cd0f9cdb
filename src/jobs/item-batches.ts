/**
 * The reading side of an item-keyed copy (EWS): ids with their sizes -> byte-bounded
 * batches of MIME with SHA-256, in the same shape as source-batches.ts so that the
 * target side (window claims, APPEND, quarantine) is shared. Each item gets a run-local
 * number as its "srcUid", mapped back to its id by the caller.
 */
import type { ItemSyncSource } from '../connectors/types.js';
import type { ByteBudget } from './byte-budget.js';
import { sha256 } from './digest.js';
import { batchByBytes } from './pages.js';
import type { HashedMessage } from './source-batches.js';

export interface ItemRef {
  /** Run-local number standing in for a UID. */
  readonly serial: number;
  readonly id: string;
  readonly size: number;
}

export interface ItemBatch {
  readonly messages: readonly HashedMessage[];
  /** Ids of the batch that were gone by the time they were fetched. */
  readonly vanished: number;
  readonly release: () => void;
}

export async function* itemBatches(source: ItemSyncSource, path: string, items: readonly ItemRef[], batchBytes: number, budget: ByteBudget): AsyncGenerator<ItemBatch> {
  for (const batch of batchByBytes(items, Math.min(batchBytes, budget.capacity))) {
    const release = await budget.acquire(batch.reduce((sum, item) => sum + item.size, 0));
    try {
      const serialOf = new Map(batch.map((item) => [item.id, item.serial]));
      const fetched = await source.fetchItems(path, batch.map((item) => item.id));
      const messages = fetched.flatMap((item): HashedMessage[] => {
        const serial = serialOf.get(item.id);
        if (serial === undefined) return [];
        const message = { uid: serial, size: item.raw.length, flags: item.flags, internalDate: item.internalDate, raw: item.raw };
        return [{ message, srcUid: serial, size: item.raw.length, sha256: sha256(item.raw) }];
      });
      yield { messages, vanished: batch.length - messages.length, release };
    } catch (error) {
      release();
      throw error;
    }
  }
}
