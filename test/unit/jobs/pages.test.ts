import { describe, expect, it } from 'vitest';
import { batchByBytes, chunk } from '../../../src/jobs/copy/pages.js';

describe('chunk', () => {
  it.each<[string, number[], number, number[][]]>([
    ['empty input', [], 3, []],
    ['fewer items than the size', [1, 2], 3, [[1, 2]]],
    ['exact multiple of the size', [1, 2, 3, 4, 5, 6], 3, [[1, 2, 3], [4, 5, 6]]],
    ['remainder in the last chunk', [1, 2, 3, 4, 5, 6, 7], 3, [[1, 2, 3], [4, 5, 6], [7]]],
    ['size 1', [1, 2, 3], 1, [[1], [2], [3]]],
    ['size larger than input', [1, 2, 3], 100, [[1, 2, 3]]],
  ])('%s', (_name, items, size, expected) => {
    expect(chunk(items, size)).toEqual(expected);
  });

  it('keeps order and loses nothing', () => {
    const items = Array.from({ length: 1001 }, (_, i) => i);
    const chunks = chunk(items, 200);
    expect(chunks).toHaveLength(6);
    expect(chunks.every((c) => c.length <= 200)).toBe(true);
    expect(chunks.flat()).toEqual(items);
  });

  it('does not alias the input', () => {
    const items = [1, 2, 3];
    const [first] = chunk(items, 3);
    first?.push(4);
    expect(items).toEqual([1, 2, 3]);
  });
});

describe('chunk with a bad size', () => {
  it.each([[0], [-1], [1.5], [Number.NaN]])('refuses size %s instead of looping forever', (size) => {
    expect(() => chunk([1, 2, 3], size)).toThrow(RangeError);
  });
});

describe('batchByBytes', () => {
  const sized = (...sizes: number[]) => sizes.map((size, id) => ({ id, size }));
  const shape = (batches: Array<Array<{ size: number }>>) => batches.map((b) => b.map((item) => item.size));

  it.each<[string, number[], number, number[][]]>([
    ['empty input', [], 10, []],
    ['everything fits', [1, 2, 3], 10, [[1, 2, 3]]],
    ['exactly the budget fits in one batch', [4, 6], 10, [[4, 6]]],
    ['one byte over the budget splits', [4, 7], 10, [[4], [7]]],
    ['single item exactly the budget', [10], 10, [[10]]],
    ['oversize item alone', [25], 10, [[25]]],
    ['oversize item first stands alone', [25, 1, 2], 10, [[25], [1, 2]]],
    ['oversize item in the middle stands alone', [3, 4, 25, 1], 10, [[3, 4], [25], [1]]],
    ['oversize item last stands alone', [3, 4, 25], 10, [[3, 4], [25]]],
    ['two oversize items are two batches', [11, 12], 10, [[11], [12]]],
    ['budget reached exactly, then a new batch', [5, 5, 5, 5, 1], 10, [[5, 5], [5, 5], [1]]],
    ['zero-size items join the current batch', [10, 0, 0], 10, [[10, 0, 0]]],
  ])('%s', (_name, sizes, budget, expected) => {
    expect(shape(batchByBytes(sized(...sizes), budget))).toEqual(expected);
  });

  it('keeps order, loses nothing, and stays within the budget unless an item alone exceeds it', () => {
    const items = sized(...Array.from({ length: 300 }, (_, i) => (i * 7919) % 1000));
    const budget = 2500;
    const batches = batchByBytes(items, budget);
    expect(batches.flat()).toEqual(items);
    for (const batch of batches) {
      const bytes = batch.reduce((sum, item) => sum + item.size, 0);
      expect(batch.length === 1 || bytes <= budget).toBe(true);
    }
    // Greedy: no batch could have taken the first item of the next one.
    for (let i = 0; i + 1 < batches.length; i += 1) {
      const bytes = batches[i]!.reduce((sum, item) => sum + item.size, 0);
      expect(bytes + batches[i + 1]![0]!.size).toBeGreaterThan(budget);
    }
  });
});
