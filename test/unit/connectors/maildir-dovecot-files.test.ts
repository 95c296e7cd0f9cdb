import { describe, expect, it } from 'vitest';
import { findKeyword, freeIndex, parseKeywords, serializeKeywords } from '../../../src/connectors/maildir/keywords-file.js';
import { parseUidlist, serializeUidlist } from '../../../src/connectors/maildir/uidlist.js';

describe('dovecot-keywords', () => {
  const dovecot = '0 $Forwarded\n1 $Label1\n2 Project-X\n';

  it('round-trips Dovecot\'s bytes', () => {
    const table = parseKeywords(dovecot);
    expect(table).toEqual(['$Forwarded', '$Label1', 'Project-X']);
    expect(serializeKeywords(table)).toBe(dovecot);
  });

  it('keeps the index of a sparse table and skips malformed lines', () => {
    const table = parseKeywords('0 $Forwarded\ngarbage\n3 Later\n30 TooFar\n');
    expect(table[3]).toBe('Later');
    expect(freeIndex(table)).toBe(1);
    expect(serializeKeywords(table)).toBe('0 $Forwarded\n3 Later\n');
  });

  it('finds keywords case-insensitively; 26 is full', () => {
    expect(findKeyword(parseKeywords(dovecot), 'project-x')).toBe(2);
    expect(freeIndex(Array.from({ length: 26 }, (_, n) => `k${n}`))).toBe(-1);
  });
});

describe('dovecot-uidlist', () => {
  const dovecot = [
    '3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1',
    '25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394',
    '25017 W2481 :1276533073.M242911P3632.kurkku,S=2411',
    '25021 :1276536211.M573209P4467.kurkku,S=900',
    '',
  ].join('\n');

  it('round-trips a version 3 file byte for byte, extension fields included', () => {
    const list = parseUidlist(dovecot);
    expect(list).toMatchObject({ uidValidity: 1275660208, nextUid: 25022, guid: '3085f01b7f11094c501100008c4a11c1' });
    expect(list.entries.map((e) => e.uid)).toEqual([25006, 25017, 25021]);
    expect(list.entries[1]).toEqual({ uid: 25017, ext: 'W2481', base: '1276533073.M242911P3632.kurkku,S=2411' });
    expect(serializeUidlist(list)).toBe(dovecot);
  });

  it('keeps unknown header fields; strips flags from names that carry them', () => {
    const list = parseUidlist('3 V5 N3 Gabc E1\n1 :base1:2,S\n2 :base2\n');
    expect(list.entries.map((e) => e.base)).toEqual(['base1', 'base2']);
    expect(serializeUidlist(list)).toBe('3 V5 N3 Gabc E1\n1 :base1\n2 :base2\n');
  });

  it('reads version 1 and writes it as version 3', () => {
    const list = parseUidlist('1 1035478339 3\n1 1035478339.27041_118.foo.org\n2 1035478339.27041_119.foo.org:2,S\n');
    expect(serializeUidlist(list)).toBe('3 V1035478339 N3\n1 :1035478339.27041_118.foo.org\n2 :1035478339.27041_119.foo.org\n');
  });

  it('raises N past the highest UID', () => {
    expect(parseUidlist('3 V1 N2\n7 :x\n').nextUid).toBe(8);
  });

  it('refuses an unknown version', () => {
    expect(() => parseUidlist('2 V1 N1\n')).toThrow(/version/);
  });
});
