import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FolderState, Lease, StateKeys, folderId,
  type CopyIntent, type CopyPageCommit, type QuarantineEntry, type TargetCursor, type UidCopyCursor, type UidCursor,
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
  // Stop the renewal timers of leases the test did not release itself.
  await Promise.all(leases.splice(0).map((lease) => lease.release()));
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

/** A FolderState under a prefix of its own, so tests never see each other's keys. */
function fresh(sourcePath = 'INBOX/Projects'): { state: FolderState; keys: StateKeys; pairId: string } {
  n += 1;
  const keys = new StateKeys(`t${n}`);
  const pairId = 'pair-1';
  return { state: new FolderState(redis, keys, pairId, sourcePath), keys, pairId };
}

async function lease(state: FolderState): Promise<Lease> {
  const l = await state.acquireLease();
  leases.push(l);
  return l;
}

async function allKeys(prefix: string): Promise<Record<string, unknown>> {
  const names = (await redis.keys(`${prefix}:*`)).sort();
  const result: Record<string, unknown> = {};
  for (const name of names) {
    const type = await redis.type(name);
    result[name] = type === 'hash' ? await redis.hgetall(name) : await redis.get(name);
  }
  return result;
}

const cursor: UidCopyCursor = {
  source: { kind: 'uid', uidValidity: '1700000000', lastUid: 200, uidNext: 0 },
  target: { path: 'Projects', uidValidity: '42', uidNext: 151 },
};

/** The cursor with some fields of either side changed. */
function moved(source: Partial<UidCursor>, target: Partial<TargetCursor> = {}): UidCopyCursor {
  return { source: { ...cursor.source, ...source }, target: { ...cursor.target, ...target } };
}

/** Keys of a UID folder are its source UIDs, as strings. */
function intent(uid: number, size: number, sha256: string, targetUidNextBefore: number): CopyIntent {
  return { key: String(uid), size, sha256, targetUidNextBefore };
}

function quarantineEntry(uid: number, extra: Partial<QuarantineEntry> = {}): QuarantineEntry {
  return { key: String(uid), uidValidity: '1700000000', size: 1000 + uid, code: 'MESSAGE_TOO_LARGE', reason: `[TOOBIG] uid ${uid}`, ...extra };
}

/** A ledger entry of a page: source UID -> target UID (the date is not kept for UID folders). */
const copy = (uid: number, targetUid: number) => [String(uid), { targetUid, date: new Date(0) }] as const;

function page(extra: Partial<CopyPageCommit> = {}): CopyPageCommit {
  return { cursor, copied: [], clearIntents: [], quarantined: [], released: [], ...extra };
}

const byKey = (a: { key: string }, b: { key: string }) => Number(a.key) - Number(b.key);

describe('FolderState reads on an empty folder', () => {
  it('has no cursor, intents, quarantine or ledger', async () => {
    const { state } = fresh();
    expect(await state.cursor()).toBeNull();
    expect(await state.intents()).toEqual([]);
    expect(await state.quarantine()).toEqual([]);
    expect(await state.ledgerTargets('1700000000', [1, 2, 3])).toEqual(new Map());
    expect(await state.ledgerTargets('1700000000', [])).toEqual(new Map());
    expect(await state.copies(cursor.source, ['1', '2'])).toEqual(new Map());
  });

  it.each<[string, string]>([
    ['plain', 'INBOX'],
    ['nested', 'INBOX/Projects/2024'],
    ['unicode', 'Entwürfe/日本語 📁'],
  ])('folder id is a stable 16-hex digest (%s)', (_name, path) => {
    const { state } = fresh(path);
    expect(state.fid).toMatch(/^[0-9a-f]{16}$/);
    expect(state.fid).toBe(folderId(path));
    expect(folderId(`${path}/`)).not.toBe(state.fid);
  });
});

describe('FolderState.writeIntents', () => {
  it('records intents that intents() reads back', async () => {
    const { state } = fresh();
    const l = await lease(state);
    const intents = [intent(7, 100, 'a'.repeat(64), 50), intent(8, 200, 'b'.repeat(64), 50)];
    await state.writeIntents(l, intents);
    const read = await state.intents();
    expect(read.sort(byKey)).toEqual(intents);
  });

  it('overwrites an intent for the same source UID', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.writeIntents(l, [intent(7, 100, 'a', 50)]);
    await state.writeIntents(l, [intent(7, 100, 'a', 60)]);
    expect(await state.intents()).toEqual([intent(7, 100, 'a', 60)]);
  });
});

describe('FolderState.commitPage', () => {
  it('writes cursor, ledger, intents, quarantine and the pair folder index in one commit', async () => {
    const { state, keys, pairId } = fresh();
    const l = await lease(state);
    await state.writeIntents(l, [1, 2, 3, 4].map((uid) => intent(uid, 10, `h${uid}`, 150)));

    await state.commitPage(l, page({
      cursor: moved({ highestModseq: '98765432109876' }),
      copied: [copy(1, 150), copy(2, 0)],
      clearIntents: ['1', '2', '3'],
      quarantined: [quarantineEntry(3)],
    }));

    expect(await state.cursor()).toEqual(moved({ highestModseq: '98765432109876' }));
    expect(await state.ledgerTargets('1700000000', [1, 2, 3, 99])).toEqual(new Map([[1, 150], [2, 0]]));
    expect(await state.ledgerTargets('other-validity', [1, 2])).toEqual(new Map());
    // The same ledger through the CopyState interface, by string key under the cursor's UIDVALIDITY.
    const copies = await state.copies(cursor.source, ['1', '2', '3', '99']);
    expect([...copies].map(([key, c]) => [key, c.targetUid])).toEqual([['1', 150], ['2', 0]]);
    expect((await state.copies(moved({ uidValidity: 'other-validity' }).source, ['1', '2'])).size).toBe(0);
    expect(await state.intents()).toEqual([intent(4, 10, 'h4', 150)]);
    expect(await state.quarantine()).toEqual([quarantineEntry(3)]);
    expect(await redis.hgetall(keys.pairFolders(pairId))).toEqual({ [state.fid]: 'INBOX/Projects' });
  });

  it('a later page adds to the ledger, releases and adds quarantine entries, and moves the cursor', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page({ copied: [copy(1, 150)], quarantined: [quarantineEntry(3), quarantineEntry(5)] }));
    const next = moved({ lastUid: 400, uidNext: 401 }, { uidNext: 300 });
    await state.commitPage(l, page({ cursor: next, copied: [copy(3, 299), copy(6, 298)], quarantined: [quarantineEntry(7)], released: ['3'] }));

    expect(await state.cursor()).toEqual(next);
    expect(await state.ledgerTargets('1700000000', [1, 3, 5, 6, 7])).toEqual(new Map([[1, 150], [3, 299], [6, 298]]));
    const quarantine = (await state.quarantine()).sort(byKey);
    expect(quarantine).toEqual([quarantineEntry(5), quarantineEntry(7)]);
  });

  it('a quarantine entry without its own UIDVALIDITY takes the cursor\'s', async () => {
    const { state } = fresh();
    const l = await lease(state);
    const { uidValidity: _omitted, ...bare } = quarantineEntry(3);
    await state.commitPage(l, page({ cursor: moved({ uidValidity: '9' }), quarantined: [bare] }));
    expect(await state.quarantine()).toEqual([quarantineEntry(3, { uidValidity: '9' })]);
  });

  it('keeps a ledger per source UIDVALIDITY', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page({ copied: [copy(1, 10)] }));
    await state.commitPage(l, page({ cursor: moved({ uidValidity: '2' }), copied: [copy(1, 20)] }));
    expect(await state.ledgerTargets('1700000000', [1])).toEqual(new Map([[1, 10]]));
    expect(await state.ledgerTargets('2', [1])).toEqual(new Map([[1, 20]]));
  });

  it('an empty page still writes the cursor and registers the folder', async () => {
    const { state, keys, pairId } = fresh('Sent');
    const l = await lease(state);
    await state.commitPage(l, page({ cursor: moved({}, { path: 'Sent' }) }));
    expect((await state.cursor())?.target.path).toBe('Sent');
    // The source path is the state's own; the checkpoint hash keeps it (same Redis layout as before the cursor).
    expect(await redis.hget(keys.checkpoint(pairId, state.fid), 'sourcePath')).toBe('Sent');
    expect(await redis.hget(keys.pairFolders(pairId), state.fid)).toBe('Sent');
  });

  // Guards COMMIT_PAGE (src/state/lua-scripts.ts) replacing the checkpoint hash rather than
  // merging into it: merged, an optional field the new cursor leaves out (highestModseq)
  // would survive from an older commit and cursor() would return a stale value.
  it('a cursor without highestModseq replaces one that had it', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page({ cursor: moved({ highestModseq: '500' }) }));
    await state.commitPage(l, page({ cursor: moved({ lastUid: 300 }) }));
    expect(await state.cursor()).toEqual(moved({ lastUid: 300 }));
  });

  it('keeps unicode folder names and reasons intact', async () => {
    const path = 'Entwürfe/日本語 📁';
    const { state, keys, pairId } = fresh(path);
    const l = await lease(state);
    const next = moved({}, { path: 'Drafts/日本語 📁' });
    const q = quarantineEntry(9, { reason: 'refusé: « trop grand » 📎' });
    await state.commitPage(l, page({ cursor: next, quarantined: [q] }));
    expect(await state.cursor()).toEqual(next);
    expect(await state.quarantine()).toEqual([q]);
    expect(await redis.hget(keys.checkpoint(pairId, state.fid), 'sourcePath')).toBe(path);
    expect(await redis.hget(keys.pairFolders(pairId), state.fid)).toBe(path);
  });

  it('refuses a cursor of another kind of source, writing nothing', async () => {
    const { state, keys } = fresh();
    const l = await lease(state);
    await expect(state.commitPage(l, page({ cursor: { ...cursor, source: { kind: 'maildrop' } } }))).rejects.toThrow(/maildrop/);
    await expect(state.copies({ kind: 'item-sync' }, ['1'])).rejects.toThrow(/item-sync/);
    expect(await redis.keys(`${keys.prefix}:*`)).toEqual([l.key]);
  });
});

describe('stale lease tokens write nothing', () => {
  type Staleness = (state: FolderState, stale: Lease) => Promise<void>;
  const cases: Array<[string, Staleness]> = [
    ['released, then re-acquired by another holder', async (state, stale) => {
      await stale.release();
      await lease(state);
    }],
    ['key overwritten by someone else', async (_state, stale) => {
      await redis.set(stale.key, 'otherhost:1234:feedface', 'PX', 30_000);
    }],
    ['key expired (deleted)', async (_state, stale) => {
      await redis.del(stale.key);
    }],
  ];

  it.each(cases)('commitPage rejects with STALE_LEASE: %s', async (_name, makeStale) => {
    const { state, keys } = fresh();
    const stale = await lease(state);
    await state.commitPage(stale, page({ copied: [copy(1, 100)], quarantined: [quarantineEntry(2)] }));
    await state.writeIntents(stale, [intent(3, 1, 'x', 101)]);
    await makeStale(state, stale);
    const before = await allKeys(keys.prefix);

    await expect(state.commitPage(stale, page({
      cursor: moved({ lastUid: 999 }),
      copied: [copy(3, 101), copy(4, 102)], clearIntents: ['3'], quarantined: [quarantineEntry(5)], released: ['2'],
    }))).rejects.toThrow('STALE_LEASE');

    expect(await allKeys(keys.prefix)).toEqual(before);
    expect((await state.cursor())?.source.lastUid).toBe(200);
  });

  it.each(cases)('writeIntents rejects with STALE_LEASE: %s', async (_name, makeStale) => {
    const { state, keys } = fresh();
    const stale = await lease(state);
    await makeStale(state, stale);
    const before = await allKeys(keys.prefix);
    await expect(state.writeIntents(stale, [intent(3, 1, 'x', 101)])).rejects.toThrow('STALE_LEASE');
    expect(await allKeys(keys.prefix)).toEqual(before);
    expect(await state.intents()).toEqual([]);
  });

  it.each(cases)('reset rejects with STALE_LEASE: %s', async (_name, makeStale) => {
    const { state, keys } = fresh();
    const stale = await lease(state);
    await state.writeIntents(stale, [intent(3, 1, 'x', 101)]);
    await state.commitPage(stale, page({ quarantined: [quarantineEntry(2)] }));
    await makeStale(state, stale);
    const before = await allKeys(keys.prefix);
    await expect(state.reset(stale)).rejects.toThrow('STALE_LEASE');
    expect(await allKeys(keys.prefix)).toEqual(before);
    expect(await state.cursor()).toEqual(cursor);
  });

  it('the new holder can commit where the stale one could not', async () => {
    const { state } = fresh();
    const stale = await lease(state);
    await stale.release();
    const current = await lease(state);
    await expect(state.commitPage(stale, page())).rejects.toThrow('STALE_LEASE');
    await state.commitPage(current, page({ copied: [copy(1, 2)] }));
    expect(await state.cursor()).toEqual(cursor);
  });
});

describe('FolderState.reset', () => {
  it('drops cursor, intents and quarantine; keeps the old ledger and the folder index', async () => {
    const { state, keys, pairId } = fresh();
    const l = await lease(state);
    await state.writeIntents(l, [intent(9, 1, 'x', 1)]);
    await state.commitPage(l, page({ copied: [copy(1, 100)], quarantined: [quarantineEntry(2)] }));

    await state.reset(l);

    expect(await state.cursor()).toBeNull();
    expect(await state.intents()).toEqual([]);
    expect(await state.quarantine()).toEqual([]);
    expect(await state.ledgerTargets('1700000000', [1])).toEqual(new Map([[1, 100]]));
    expect(await redis.hget(keys.pairFolders(pairId), state.fid)).toBe('INBOX/Projects');
    expect(await redis.get(l.key)).toBe(l.token);
  });

  it('is harmless on a folder without state', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.reset(l);
    expect(await state.cursor()).toBeNull();
  });

  it('lets a new cursor be written afterwards', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page());
    await state.reset(l);
    const next = moved({ uidValidity: '2', lastUid: 5 });
    await state.commitPage(l, page({ cursor: next }));
    expect(await state.cursor()).toEqual(next);
  });
});
