/**
 * The reading side of a folder copy: pages of UIDs -> metadata -> byte-bounded batches
 * of exact bytes with their SHA-256. Read one batch ahead, so the source fetches the
 * next batch while the target stores the current one (each side has its own
 * connection, so no IMAP command ever waits inside another's response).
 */
import type { MessageMeta, RawMessage, SourceConnector } from '../connectors/types.js';
import type { ByteBudget } from './byte-budget.js';
import { sha256 } from './digest.js';
import { batchByBytes } from './pages.js';

export interface HashedMessage {
  readonly message: RawMessage;
  readonly srcUid: number;
  readonly size: number;
  readonly sha256: string;
}

export interface SourceBatch {
  /** The page (checkpoint unit) this batch belongs to. */
  readonly page: readonly number[];
  readonly firstOfPage: boolean;
  readonly lastOfPage: boolean;
  readonly messages: readonly HashedMessage[];
  /** UIDs of the page listed but gone from the source by the time they were fetched. */
  readonly vanished: number;
  /** Gives the batch's bytes back to the budget; call once the batch is stored (or abandoned). */
  readonly release: () => void;
}

export async function* sourceBatches(source: SourceConnector, path: string, pages: readonly (readonly number[])[], batchBytes: number, budget: ByteBudget): AsyncGenerator<SourceBatch> {
  for (const page of pages) {
    const metas = await source.fetchMeta(path, page);
    const batches = batchByBytes(metas, Math.min(batchBytes, budget.capacity));
    let vanished = page.length - metas.length;
    if (batches.length === 0) yield { page, firstOfPage: true, lastOfPage: true, messages: [], vanished, release: () => undefined };
    for (const [index, batch] of batches.entries()) {
      const release = await budget.acquire(batch.reduce((sum, m) => sum + m.size, 0));
      let raws: RawMessage[];
      try {
        raws = await fetchBatch(source, path, batch);
      } catch (error) {
        release();
        throw error;
      }
      vanished += batch.length - raws.length;
      const messages = raws.map((message) => ({ message, srcUid: message.uid, size: message.raw.length, sha256: sha256(message.raw) }));
      const lastOfPage = index === batches.length - 1;
      yield { page, firstOfPage: index === 0, lastOfPage, messages, vanished: lastOfPage ? vanished : 0, release };
    }
  }
}

/** A message at least this large is streamed into one buffer instead of fetched whole. */
export const STREAM_BYTES = 1024 * 1024;

async function fetchBatch(source: SourceConnector, path: string, batch: readonly MessageMeta[]): Promise<RawMessage[]> {
  const [only] = batch;
  if (batch.length !== 1 || !only || only.size < STREAM_BYTES || !source.streamRaw) return source.fetchRaw(path, batch.map((m) => m.uid));
  const stream = await source.streamRaw(path, only.uid);
  return stream ? [{ ...only, raw: await collect(stream, only.size) }] : [];
}

/**
 * Copies the chunks into one buffer of the announced size as they arrive, so the
 * message exists once in memory (not also as a list of chunks to concatenate).
 */
async function collect(stream: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(size);
  let length = 0;
  for await (const chunk of stream) {
    if (length + chunk.length > buffer.length) {
      // The server's RFC822.SIZE was short; grow rather than lose bytes.
      const larger = Buffer.allocUnsafe(Math.max(buffer.length * 2, length + chunk.length));
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    chunk.copy(buffer, length);
    length += chunk.length;
  }
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}

/**
 * Iterates `source` while keeping the next item's work already in flight. When the
 * consumer stops early, the item fetched ahead is handed to `abandon` (to free it).
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
