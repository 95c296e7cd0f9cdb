import { describe, expect, it } from 'vitest';
import { ContentKeys, identifyMessages } from '../../../src/jobs/copy/maildrop-keys.js';

describe('identifyMessages', () => {
  it('a unique UIDL is the key', () => {
    const id = identifyMessages([{ number: 1, uidl: 'a1', size: 10 }, { number: 2, uidl: 'b2', size: 20 }]);
    expect(id.entries.map((e) => e.identity)).toEqual([{ kind: 'uidl', key: 'a1' }, { kind: 'uidl', key: 'b2' }]);
    expect(id).toMatchObject({ sharedUidl: 0, withoutUidl: 0 });
  });

  it('a UIDL shared by several messages makes all of them content-keyed within that UIDL', () => {
    const id = identifyMessages([{ number: 1, uidl: 'x', size: 1 }, { number: 2, uidl: 'y', size: 1 }, { number: 3, uidl: 'x', size: 1 }]);
    expect(id.entries.map((e) => e.identity)).toEqual([
      { kind: 'content', scope: 'x' }, { kind: 'uidl', key: 'y' }, { kind: 'content', scope: 'x' },
    ]);
    expect(id.sharedUidl).toBe(2);
  });

  it('no UIDL: content-keyed', () => {
    const id = identifyMessages([{ number: 1, size: 1 }]);
    expect(id.entries[0]?.identity).toEqual({ kind: 'content', scope: '-' });
    expect(id.withoutUidl).toBe(1);
  });
});

describe('ContentKeys', () => {
  it('numbers identical messages by occurrence, per scope, and never yields a possible UIDL', () => {
    const keys = new ContentKeys();
    const a = keys.keyOf('-', 'aa');
    expect([a, keys.keyOf('-', 'aa'), keys.keyOf('-', 'bb'), keys.keyOf('x', 'aa')])
      .toEqual(['- sha256=aa #1', '- sha256=aa #2', '- sha256=bb #1', 'x sha256=aa #1']);
    // UIDLs are 0x21-0x7E only (RFC 1939 7): a key with a space cannot collide with one.
    expect(a).toMatch(/ /);
  });
});
