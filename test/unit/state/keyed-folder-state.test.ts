/** The state of a folder with string message keys (POP3, EWS) against a real Redis: what a page commit stores, and its fencing. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FolderState, Lease, KeyedFolderState, StateKeys, type CopyCursor, type CopyPageCommit, type KeyedSourceKind, type SourceCursor,
} from '../../../src/state/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let server: RedisServer;
let redis: Redis;
let n = 0;
const leases: Lease[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterEach(async () => {
  await Promise.all(leases.splice(0).map((lease) => lease.release()));
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

/** A maildrop (or EWS) state under a prefix of its own, and the folder lease that fences it. */
async function fresh(kind: KeyedSourceKind = 'maildrop'): Promise<{ state: KeyedFolderState; lease: Lease }> {
  n += 1;
  const keys = new StateKeys(`m${n}`);
  const lease = await new FolderState(redis, keys, 'pair-1', 'INBOX').acquireLease();
  leases.push(lease);
  return { state: new KeyedFolderState(redis, keys, 'pair-1', 'INBOX', kind), lease };
}

/** A maildrop has no position of its own: its cursor is the target's. */
const MAILDROP: SourceCursor = { kind: 'maildrop' };
const cursor: CopyCursor = { source: MAILDROP, target: { path: 'Imported/POP', uidValidity: '77', uidNext: 5 } };

const page = (over: Partial<CopyPageCommit> = {}): CopyPageCommit => ({
  cursor,
  copied: [['uidl-a', { targetUid: 3, date: new Date('2020-01-02T03:04:05Z') }], ['- sha256=ff #1', { targetUid: 4, date: new Date('2021-01-01T00:00:00Z') }]],
  clearIntents: ['uidl-a'],
  quarantined: [{ key: 'uidl-big', size: 9_000_000, code: 'MESSAGE_TOO_LARGE', reason: 'too large' }],
  released: [],
  ...over,
});

describe('KeyedFolderState', () => {
  it('keeps an EWS sync state with the cursor, and forgets it when a commit leaves it out', async () => {
    const { state, lease } = await fresh('item-sync');
    const synced: CopyCursor = { source: { kind: 'item-sync', syncState: 'H4sIAAAA==' }, target: { path: 'INBOX', uidValidity: '9', uidNext: 2 } };
    await state.commitPage(lease, page({ cursor: synced }));
    expect(await state.cursor()).toEqual(synced);
    const fromStart: CopyCursor = { source: { kind: 'item-sync' }, target: { path: 'INBOX', uidValidity: '9', uidNext: 3 } };
    await state.commitPage(lease, page({ cursor: fromStart }));
    expect(await state.cursor()).toEqual(fromStart);
  });

  it('refuses a cursor of another kind of source, and writes nothing', async () => {
    const { state, lease } = await fresh('maildrop');
    const synced: CopyCursor = { source: { kind: 'item-sync', syncState: 'H4sIAAAA==' }, target: { path: 'INBOX', uidValidity: '9', uidNext: 2 } };
    await expect(state.commitPage(lease, page({ cursor: synced }))).rejects.toThrow(/state of a maildrop folder cannot commit the cursor of a item-sync source/);
    expect(await state.cursor()).toBeNull();
  });

  it('a page commit stores the cursor, where each key went, and the quarantine, and clears intents', async () => {
    const { state, lease } = await fresh();
    await state.writeIntents(lease, [{ key: 'uidl-a', size: 10, sha256: 'aa', targetUidNextBefore: 3 }, { key: 'uidl-b', size: 11, sha256: 'bb', targetUidNextBefore: 3 }]);
    await state.commitPage(lease, page());
    expect(await state.cursor()).toEqual(cursor);
    const copies = await state.copies(MAILDROP, ['uidl-a', '- sha256=ff #1', 'never-seen']);
    expect([...copies.keys()]).toEqual(['uidl-a', '- sha256=ff #1']);
    expect(copies.get('uidl-a')).toEqual({ targetUid: 3, date: new Date('2020-01-02T03:04:05Z') });
    expect([...(await state.allCopies()).keys()].sort()).toEqual(['- sha256=ff #1', 'uidl-a']);
    expect((await state.intents()).map((i) => i.key)).toEqual(['uidl-b']);
    expect(await state.quarantine()).toEqual([{ key: 'uidl-big', size: 9_000_000, code: 'MESSAGE_TOO_LARGE', reason: 'too large' }]);
  });

  it('a released key leaves the quarantine', async () => {
    const { state, lease } = await fresh();
    await state.commitPage(lease, page());
    await state.commitPage(lease, page({ copied: [['uidl-big', { targetUid: 9, date: new Date(0) }]], quarantined: [], released: ['uidl-big'] }));
    expect(await state.quarantine()).toEqual([]);
  });

  it('looks up more keys than one HMGET carries', async () => {
    const { state, lease } = await fresh();
    const many = Array.from({ length: 2500 }, (_, i) => [`u${i}`, { targetUid: i + 1, date: new Date(0) }] as const);
    await state.commitPage(lease, page({ copied: many }));
    expect((await state.copies(MAILDROP, many.map(([key]) => key))).size).toBe(2500);
  });

  it('refuses a commit once another worker holds the lease, and reset forgets everything', async () => {
    const { state, lease } = await fresh();
    await state.commitPage(lease, page());
    await redis.set(lease.key, 'otherhost:1234:feedface', 'PX', 30_000);
    await expect(state.commitPage(lease, page({ copied: [['uidl-z', { targetUid: 99, date: new Date(0) }]] }))).rejects.toThrow('STALE_LEASE');
    expect((await state.copies(MAILDROP, ['uidl-z'])).size).toBe(0);
    await redis.set(lease.key, lease.token, 'PX', 30_000);
    await state.reset(lease);
    expect(await state.cursor()).toBeNull();
    expect((await state.copies(MAILDROP, ['uidl-a'])).size).toBe(0);
    expect(await state.quarantine()).toEqual([]);
  });
});
