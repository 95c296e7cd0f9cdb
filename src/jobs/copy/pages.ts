/** Splitting work into bounded pages: by count for checkpoints, by bytes for memory. */

/** Consecutive chunks of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, not ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Consecutive batches whose summed size stays within `budget` (and, when given, that hold
 * at most `maxItems`); a single item larger than the budget forms a batch of its own
 * (memory is then bounded by that one message).
 */
export function batchByBytes<T extends { readonly size: number }>(items: readonly T[], budget: number, maxItems = Infinity): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (bytes + item.size > budget || current.length >= maxItems)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
