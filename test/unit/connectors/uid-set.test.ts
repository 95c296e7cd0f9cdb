import { describe, expect, it } from 'vitest';
import { compressUids, uidSetChunks } from '../../../src/connectors/imap/uid-set.js';

describe('compressUids', () => {
  it.each<[string, number[], string]>([
    ['empty', [], ''],
    ['single UID', [5], '5'],
    ['two adjacent UIDs', [5, 6], '5:6'],
    ['two apart', [5, 7], '5,7'],
    ['ranges and singles', [1, 2, 3, 5, 7, 8], '1:3,5,7:8'],
    ['unsorted input', [8, 3, 1, 7, 5, 2], '1:3,5,7:8'],
    ['duplicates', [1, 1, 2, 2, 3, 5, 5, 7, 8, 8], '1:3,5,7:8'],
    ['unsorted with duplicates', [7, 3, 8, 1, 3, 2, 5, 8, 1], '1:3,5,7:8'],
    ['all one duplicated UID', [4, 4, 4], '4'],
    ['one long range', Array.from({ length: 1000 }, (_, i) => i + 1), '1:1000'],
    ['numeric not lexicographic order', [10, 9, 100, 2], '2,9:10,100'],
    ['large UIDs', [4294967294, 4294967295, 1], '1,4294967294:4294967295'],
    ['range ending the list', [1, 3, 4, 5], '1,3:5'],
    ['single ending the list', [1, 2, 3, 9], '1:3,9'],
  ])('%s', (_name, uids, expected) => {
    expect(compressUids(uids)).toBe(expected);
  });

  it('does not modify its input', () => {
    const uids = [3, 1, 2, 2];
    compressUids(uids);
    expect(uids).toEqual([3, 1, 2, 2]);
  });

  it('round-trips: expanding the set gives the distinct sorted input', () => {
    const uids = Array.from({ length: 500 }, (_, i) => ((i * 37) % 211) + 1);
    const expanded = compressUids(uids).split(',').flatMap((part) => {
      const [a, b] = part.split(':').map(Number) as [number, number | undefined];
      return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
    expect(expanded).toEqual([...new Set(uids)].sort((x, y) => x - y));
  });
});

describe('uidSetChunks', () => {
  it('is one set when it fits, none for no UIDs', () => {
    expect(uidSetChunks([3, 1, 2, 9])).toEqual(['1:3,9']);
    expect(uidSetChunks([])).toEqual([]);
  });

  it('splits scattered UIDs into sets within the length, keeping every UID once', () => {
    const uids = Array.from({ length: 3000 }, (_, i) => i * 2 + 1);
    const chunks = uidSetChunks(uids, 100);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(100);
    expect(chunks.join(',')).toBe(compressUids(uids));
  });

  it('never splits a range', () => {
    expect(uidSetChunks([1, 2, 3, 10, 11, 12, 20], 9)).toEqual(['1:3,10:12', '20']);
  });
});
