import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FolderState, Lease, StateKeys, folderId, type FolderCheckpoint, type PageCommit, type QuarantineRecord } from '../../../src/state/index.js';
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

const checkpoint: FolderCheckpoint = {
  sourcePath: 'INBOX/Projects', targetPath: 'Projects', uidValidity: '1700000000',
  lastUid: 200, sourceUidNext: 0, targetUidValidity: '42', targetUidNext: 151,
};

function quarantineRecord(srcUid: number, extra: Partial<QuarantineRecord> = {}): QuarantineRecord {
  return { srcUid, uidValidity: '1700000000', size: 1000 + srcUid, code: 'MESSAGE_TOO_LARGE', reason: `[TOOBIG] uid ${srcUid}`, ...extra };
}

function page(extra: Partial<PageCommit> = {}): PageCommit {
  return { checkpoint, copied: [], clearIntents: [], quarantined: [], released: [], ...extra };
}

describe('FolderState reads on an empty folder', () => {
  it('has no checkpoint, intents, quarantine or ledger', async () => {
    const { state } = fresh();
    expect(await state.checkpoint()).toBeNull();
    expect(await state.intents()).toEqual([]);
    expect(await state.quarantine()).toEqual([]);
    expect(await state.ledgerTargets('1700000000', [1, 2, 3])).toEqual(new Map());
    expect(await state.ledgerTargets('1700000000', [])).toEqual(new Map());
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
    const intents = [
      { srcUid: 7, size: 100, sha256: 'a'.repeat(64), targetUidNextBefore: 50 },
      { srcUid: 8, size: 200, sha256: 'b'.repeat(64), targetUidNextBefore: 50 },
    ];
    await state.writeIntents(l, intents);
    const read = await state.intents();
    expect(read.sort((a, b) => a.srcUid - b.srcUid)).toEqual(intents);
  });

  it('overwrites an intent for the same source UID', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.writeIntents(l, [{ srcUid: 7, size: 100, sha256: 'a', targetUidNextBefore: 50 }]);
    await state.writeIntents(l, [{ srcUid: 7, size: 100, sha256: 'a', targetUidNextBefore: 60 }]);
    expect(await state.intents()).toEqual([{ srcUid: 7, size: 100, sha256: 'a', targetUidNextBefore: 60 }]);
  });
});

describe('FolderState.commitPage', () => {
  it('writes checkpoint, ledger, intents, quarantine and the pair folder index in one commit', async () => {
    const { state, keys, pairId } = fresh();
    const l = await lease(state);
    await state.writeIntents(l, [1, 2, 3, 4].map((srcUid) => ({ srcUid, size: 10, sha256: `h${srcUid}`, targetUidNextBefore: 150 })));

    await state.commitPage(l, page({
      checkpoint: { ...checkpoint, highestModseq: '98765432109876' },
      copied: [[1, 150], [2, 0]],
      clearIntents: [1, 2, 3],
      quarantined: [quarantineRecord(3)],
    }));

    expect(await state.checkpoint()).toEqual({ ...checkpoint, highestModseq: '98765432109876' });
    expect(await state.ledgerTargets('1700000000', [1, 2, 3, 99])).toEqual(new Map([[1, 150], [2, 0]]));
    expect(await state.ledgerTargets('other-validity', [1, 2])).toEqual(new Map());
    expect(await state.intents()).toEqual([{ srcUid: 4, size: 10, sha256: 'h4', targetUidNextBefore: 150 }]);
    expect(await state.quarantine()).toEqual([quarantineRecord(3)]);
    expect(await redis.hgetall(keys.pairFolders(pairId))).toEqual({ [state.fid]: 'INBOX/Projects' });
  });

  it('a later page adds to the ledger, releases and adds quarantine entries, and moves the checkpoint', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page({ copied: [[1, 150]], quarantined: [quarantineRecord(3), quarantineRecord(5)] }));
    const next = { ...checkpoint, lastUid: 400, targetUidNext: 300, sourceUidNext: 401 };
    await state.commitPage(l, page({ checkpoint: next, copied: [[3, 299], [6, 298]], quarantined: [quarantineRecord(7)], released: [3] }));

    expect(await state.checkpoint()).toEqual(next);
    expect(await state.ledgerTargets('1700000000', [1, 3, 5, 6, 7])).toEqual(new Map([[1, 150], [3, 299], [6, 298]]));
    const quarantine = (await state.quarantine()).sort((a, b) => a.srcUid - b.srcUid);
    expect(quarantine).toEqual([quarantineRecord(5), quarantineRecord(7)]);
  });

  it('keeps a ledger per source UIDVALIDITY', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page({ copied: [[1, 10]] }));
    await state.commitPage(l, page({ checkpoint: { ...checkpoint, uidValidity: '2' }, copied: [[1, 20]] }));
    expect(await state.ledgerTargets('1700000000', [1])).toEqual(new Map([[1, 10]]));
    expect(await state.ledgerTargets('2', [1])).toEqual(new Map([[1, 20]]));
  });

  it('an empty page still writes the checkpoint and registers the folder', async () => {
    const { state, keys, pairId } = fresh('Sent');
    const l = await lease(state);
    await state.commitPage(l, page({ checkpoint: { ...checkpoint, sourcePath: 'Sent', targetPath: 'Sent' } }));
    expect((await state.checkpoint())?.sourcePath).toBe('Sent');
    expect(await redis.hget(keys.pairFolders(pairId), state.fid)).toBe('Sent');
  });

  // BUG (latent, src/state/lua-scripts.ts COMMIT_PAGE, the HSET loop over the checkpoint fields):
  // the checkpoint hash is merged, not replaced, so an optional field the new checkpoint leaves
  // out (highestModseq) survives from an older commit and checkpoint() returns a stale value.
  it('a checkpoint without highestModseq replaces one that had it', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page({ checkpoint: { ...checkpoint, highestModseq: '500' } }));
    await state.commitPage(l, page({ checkpoint: { ...checkpoint, lastUid: 300 } }));
    expect(await state.checkpoint()).toEqual({ ...checkpoint, lastUid: 300 });
  });

  it('keeps unicode folder names and reasons intact', async () => {
    const path = 'Entwürfe/日本語 📁';
    const { state, keys, pairId } = fresh(path);
    const l = await lease(state);
    const cp = { ...checkpoint, sourcePath: path, targetPath: 'Drafts/日本語 📁' };
    const q = quarantineRecord(9, { reason: 'refusé: « trop grand » 📎' });
    await state.commitPage(l, page({ checkpoint: cp, quarantined: [q] }));
    expect(await state.checkpoint()).toEqual(cp);
    expect(await state.quarantine()).toEqual([q]);
    expect(await redis.hget(keys.pairFolders(pairId), state.fid)).toBe(path);
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
    await state.commitPage(stale, page({ copied: [[1, 100]], quarantined: [quarantineRecord(2)] }));
    await state.writeIntents(stale, [{ srcUid: 3, size: 1, sha256: 'x', targetUidNextBefore: 101 }]);
    await makeStale(state, stale);
    const before = await allKeys(keys.prefix);

    await expect(state.commitPage(stale, page({
      checkpoint: { ...checkpoint, lastUid: 999 },
      copied: [[3, 101], [4, 102]], clearIntents: [3], quarantined: [quarantineRecord(5)], released: [2],
    }))).rejects.toThrow('STALE_LEASE');

    expect(await allKeys(keys.prefix)).toEqual(before);
    expect((await state.checkpoint())?.lastUid).toBe(200);
  });

  it.each(cases)('writeIntents rejects with STALE_LEASE: %s', async (_name, makeStale) => {
    const { state, keys } = fresh();
    const stale = await lease(state);
    await makeStale(state, stale);
    const before = await allKeys(keys.prefix);
    await expect(state.writeIntents(stale, [{ srcUid: 3, size: 1, sha256: 'x', targetUidNextBefore: 101 }])).rejects.toThrow('STALE_LEASE');
    expect(await allKeys(keys.prefix)).toEqual(before);
    expect(await state.intents()).toEqual([]);
  });

  it.each(cases)('reset rejects with STALE_LEASE: %s', async (_name, makeStale) => {
    const { state, keys } = fresh();
    const stale = await lease(state);
    await state.writeIntents(stale, [{ srcUid: 3, size: 1, sha256: 'x', targetUidNextBefore: 101 }]);
    await state.commitPage(stale, page({ quarantined: [quarantineRecord(2)] }));
    await makeStale(state, stale);
    const before = await allKeys(keys.prefix);
    await expect(state.reset(stale)).rejects.toThrow('STALE_LEASE');
    expect(await allKeys(keys.prefix)).toEqual(before);
    expect(await state.checkpoint()).toEqual(checkpoint);
  });

  it('the new holder can commit where the stale one could not', async () => {
    const { state } = fresh();
    const stale = await lease(state);
    await stale.release();
    const current = await lease(state);
    await expect(state.commitPage(stale, page())).rejects.toThrow('STALE_LEASE');
    await state.commitPage(current, page({ copied: [[1, 2]] }));
    expect(await state.checkpoint()).toEqual(checkpoint);
  });
});

describe('FolderState.reset', () => {
  it('drops checkpoint, intents and quarantine; keeps the old ledger and the folder index', async () => {
    const { state, keys, pairId } = fresh();
    const l = await lease(state);
    await state.writeIntents(l, [{ srcUid: 9, size: 1, sha256: 'x', targetUidNextBefore: 1 }]);
    await state.commitPage(l, page({ copied: [[1, 100]], quarantined: [quarantineRecord(2)] }));

    await state.reset(l);

    expect(await state.checkpoint()).toBeNull();
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
    expect(await state.checkpoint()).toBeNull();
  });

  it('lets a new checkpoint be written afterwards', async () => {
    const { state } = fresh();
    const l = await lease(state);
    await state.commitPage(l, page());
    await state.reset(l);
    const next = { ...checkpoint, uidValidity: '2', lastUid: 5 };
    await state.commitPage(l, page({ checkpoint: next }));
    expect(await state.checkpoint()).toEqual(next);
  });
});
