/**
 * Byte-bounded batches of exact bytes, for every kind of source: the bytes of a batch are
 * taken from the process-wide budget before it is fetched and given back once it is
 * stored, so memory stays bounded however many folders run and however large messages are.
 */
import type { ByteBudget } from './byte-budget.js';
import { batchByBytes } from './pages.js';
import type { SourceMessage } from './source-message.js';

export interface FetchedBatch {
  readonly messages: readonly SourceMessage[];
  readonly vanished: number;
  readonly first: boolean;
  readonly last: boolean;
  readonly release: () => void;
}

export interface BatchLimits {
  readonly batchBytes: number;
  readonly budget: ByteBudget;
}

/** A message at least this large is read on its own, straight into one buffer, where the source can. */
export const LARGE_MESSAGE_BYTES = 1024 * 1024;

/** Fetches `refs` batch by batch; `fetch` returns the messages still there (ids gone are absent). */
export async function* fetchBatches<R extends { readonly size: number }>(
  refs: readonly R[], limits: BatchLimits, fetch: (batch: readonly R[]) => Promise<SourceMessage[]>,
): AsyncGenerator<FetchedBatch> {
  const batches = batchByBytes(refs, Math.min(limits.batchBytes, limits.budget.capacity));
  for (const [index, batch] of batches.entries()) {
    const release = await limits.budget.acquire(batch.reduce((sum, ref) => sum + ref.size, 0));
    let messages: SourceMessage[];
    try {
      messages = await fetch(batch);
    } catch (error) {
      release();
      throw error;
    }
    yield { messages, vanished: batch.length - messages.length, first: index === 0, last: index === batches.length - 1, release };
  }
}

/**
 * Iterates `source` while keeping the next item's work already in flight, so the source
 * fetches the next batch while the target stores the current one (each side has its own
 * connection, so no IMAP command ever waits inside another's response). When the consumer
 * stops early, the item fetched ahead is handed to `abandon` (to free it).
 */
export async function* readAhead<T>(source: AsyncGenerator<T>, abandon: (item: T) => void): AsyncGenerator<T> {
  // A prefetch can fail while the consumer is busy: mark it handled at once (the failure
  // still surfaces when it is awaited), or Node would end the process on it.
  const fetchNext = () => {
    const next = source.next();
    next.catch(() => undefined);
    return next;
  };
  let pending = fetchNext();
  try {
    for (;;) {
      const current = await pending;
      if (current.done) return;
      pending = fetchNext();
      yield current.value;
    }
  } finally {
    // The consumer stopped (or failed): free what was fetched ahead, and let no failure of it go unhandled.
    pending.then((next) => { if (!next.done) abandon(next.value); }, () => undefined);
  }
}
