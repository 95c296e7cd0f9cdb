import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore, StateKeys, type FolderResult, type RunRecord } from '../../../src/state/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let server: RedisServer;
let redis: Redis;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

function fresh(): { store: RunStore; keys: StateKeys } {
  n += 1;
  const keys = new StateKeys(`rs${n}`);
  return { store: new RunStore(redis, keys), keys };
}

function record(runId: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId, pairId: 'pair-a', pairName: 'alice', state: 'running',
    startedAt: '2024-05-01T10:00:00.000Z', spec: JSON.stringify({ pairName: 'alice', rules: { include: ['INBOX/**'] } }),
    ...extra,
  };
}

function result(sourcePath: string, extra: Partial<FolderResult> = {}): FolderResult {
  return {
    sourcePath, targetPath: sourcePath, outcome: 'done',
    selected: 3, copied: 2, alreadyThere: 1, quarantined: 0, vanished: 0, bytes: 4096, quarantine: [],
    ...extra,
  };
}

describe('RunStore', () => {
  it('create stores the record and get reads it back', async () => {
    const { store } = fresh();
    const run = record('r1');
    await store.create(run);
    expect(await store.get('r1')).toEqual(run);
    expect(await store.get('missing')).toBeNull();
  });

  it('a new run is current; a newer run of the same pair supersedes it', async () => {
    const { store } = fresh();
    const first = record('r1');
    const second = record('r2', { startedAt: '2024-05-01T11:00:00.000Z' });
    await store.create(first);
    expect(await store.isCurrent(first)).toBe(true);
    await store.create(second);
    expect(await store.isCurrent(first)).toBe(false);
    expect(await store.isCurrent(second)).toBe(true);
    // The first never finished (its process died): status shows it superseded, not running.
    expect(await store.get('r1')).toMatchObject({ state: 'superseded', error: 'superseded by run r2' });
  });

  it('runs of different pairs are current independently', async () => {
    const { store } = fresh();
    const a = record('ra', { pairId: 'pair-a' });
    const b = record('rb', { pairId: 'pair-b' });
    await store.create(a);
    await store.create(b);
    expect(await store.isCurrent(a)).toBe(true);
    expect(await store.isCurrent(b)).toBe(true);
  });

  it('a run is not current when nothing was recorded for its pair', async () => {
    const { store } = fresh();
    expect(await store.isCurrent(record('never-created'))).toBe(false);
  });

  it.each<[string, 'completed' | 'failed' | 'superseded', string | undefined]>([
    ['completed', 'completed', undefined],
    ['failed with an error', 'failed', 'login to imap.example.com:993: authentication failed'],
    ['superseded', 'superseded', undefined],
  ])('finish marks the run %s, stamps finishedAt and sets a retention TTL', async (_name, state, error) => {
    const { store, keys } = fresh();
    await store.create(record('r1'));
    await store.setFolderResult('r1', 'f1', result('INBOX'));
    await store.setProgress('r1', 'f1', { sourcePath: 'INBOX', total: 3, done: 3 });
    const before = Date.now();
    await store.finish('r1', state, error);
    const run = await store.get('r1');
    expect(run?.state).toBe(state);
    expect(run?.error).toBe(error);
    expect(Date.parse(run?.finishedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(run?.finishedAt ?? '')).toBeLessThanOrEqual(Date.now() + 1000);
    expect(run?.spec).toBe(record('r1').spec);
    for (const k of [keys.run('r1'), keys.runFolders('r1'), keys.runProgress('r1')]) {
      const ttl = await redis.ttl(k);
      expect(ttl).toBeGreaterThan(29 * 24 * 3600);
      expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600);
    }
    // The current-run pointer is not touched by finishing.
    expect(await store.isCurrent(record('r1'))).toBe(true);
  });

  it('folderResults returns every folder result sorted by source path', async () => {
    const { store } = fresh();
    await store.create(record('r1'));
    const results = [
      result('Sent', { quarantined: 1, quarantine: [{ uid: 9, size: 100, reason: '[TOOBIG] too large' }] }),
      result('INBOX'),
      result('Archive/2024', { outcome: 'failed', error: 'connection lost', copied: 0 }),
    ];
    await Promise.all(results.map((r, i) => store.setFolderResult('r1', `f${i}`, r)));
    expect(await store.folderResults('r1')).toEqual([results[2], results[1], results[0]]);
    expect(await store.folderResults('other-run')).toEqual([]);
  });

  it('setFolderResult replaces the result of the same folder', async () => {
    const { store } = fresh();
    await store.setFolderResult('r1', 'f1', result('INBOX', { outcome: 'failed', error: 'x' }));
    await store.setFolderResult('r1', 'f1', result('INBOX'));
    expect(await store.folderResults('r1')).toEqual([result('INBOX')]);
  });

  it('progress returns the latest progress per folder', async () => {
    const { store } = fresh();
    await store.setProgress('r1', 'f1', { sourcePath: 'INBOX', total: 400, done: 0 });
    await store.setProgress('r1', 'f1', { sourcePath: 'INBOX', total: 400, done: 200 });
    await store.setProgress('r1', 'f2', { sourcePath: 'Sent', total: 5, done: 5 });
    const progress = (await store.progress('r1')).sort((a, b) => a.sourcePath.localeCompare(b.sourcePath));
    expect(progress).toEqual([{ sourcePath: 'INBOX', total: 400, done: 200 }, { sourcePath: 'Sent', total: 5, done: 5 }]);
    expect(await store.progress('r2')).toEqual([]);
  });

  it('recent lists the newest runs first, up to the limit', async () => {
    const { store } = fresh();
    const runs = [
      record('r-mid', { startedAt: '2024-05-02T00:00:00.000Z' }),
      record('r-old', { startedAt: '2024-05-01T00:00:00.000Z', pairId: 'pair-b' }),
      record('r-new', { startedAt: '2024-05-03T00:00:00.000Z' }),
    ];
    for (const run of runs) await store.create(run);
    expect((await store.recent(10)).map((r) => r.runId)).toEqual(['r-new', 'r-mid', 'r-old']);
    expect((await store.recent(2)).map((r) => r.runId)).toEqual(['r-new', 'r-mid']);
    expect((await store.recent(1))[0]).toEqual(runs[2]);
  });

  it('recent skips runs whose record is gone', async () => {
    const { store, keys } = fresh();
    await store.create(record('r1', { startedAt: '2024-05-01T00:00:00.000Z' }));
    await store.create(record('r2', { startedAt: '2024-05-02T00:00:00.000Z' }));
    await redis.del(keys.run('r2'));
    expect((await store.recent(10)).map((r) => r.runId)).toEqual(['r1']);
  });

  // BUG (src/state/run-store.ts:44): ZREVRANGE key 0 (limit - 1) with limit 0 is "0 -1", i.e. every run.
  it('recent(0) lists no runs', async () => {
    const { store } = fresh();
    await store.create(record('r1'));
    expect(await store.recent(0)).toEqual([]);
  });
});
