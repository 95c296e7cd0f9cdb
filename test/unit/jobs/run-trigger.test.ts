/**
 * RunTrigger against a real Redis and BullMQ queue: one run at a time per pair, requests
 * made meanwhile coalesce into the next run, and a slot left by a run that ended without
 * freeing it is taken over.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec } from '../../../src/config/index.js';
import { DEFAULT_COPY_OPTIONS, pairIdOf } from '../../../src/config/index.js';
import { ALL_FOLDERS, RunTrigger } from '../../../src/jobs/index.js';
import { PairRegistry } from '../../../src/state/index.js';
import { DEFAULT_FOLDER_RULES } from '../../../src/mapping/index.js';
import { RunStore, StateKeys } from '../../../src/state/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let server: RedisServer;
let redis: Redis;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

const spec: RunSpec = {
  pairName: 'alice',
  source: { kind: 'imap', host: '127.0.0.1', port: 1, user: 'a', tls: 'off', secret: { env: 'A' } },
  target: { kind: 'imap', host: '127.0.0.1', port: 2, user: 'b', tls: 'off', secret: { env: 'B' } },
  rules: DEFAULT_FOLDER_RULES,
  copy: DEFAULT_COPY_OPTIONS,
  mode: 'mirror',
};

async function setup() {
  n += 1;
  const keys = new StateKeys(`rt${n}`);
  const runs = new RunStore(redis, keys);
  const registry = new PairRegistry(redis, keys);
  const bullmq = { connection: { host: '127.0.0.1', port: Number(new URL(server.url).port) }, prefix: keys.prefix };
  const trigger = new RunTrigger(redis, keys, runs, registry, bullmq);
  const pair = await registry.register(spec, 'work', { watch: ['INBOX'], pollSeconds: 60 });
  const queue = new Queue('work', bullmq);
  return { keys, runs, trigger, pair, queue };
}

describe('RunTrigger', () => {
  it('starts one run, keeps later requests for the next run, and starts it when the first ends', async () => {
    const { runs, trigger, pair, queue } = await setup();
    try {
      expect(pair.pairId).toBe(pairIdOf(spec));
      const first = await trigger.request(pair.pairId, ['INBOX']);
      expect(first).toBeDefined();
      expect(await trigger.request(pair.pairId, ['Sent'])).toBeUndefined();
      expect(await trigger.request(pair.pairId, ['INBOX'])).toBeUndefined();
      expect((await runs.get(first as string))?.focus).toBe('["INBOX"]');
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });

      await runs.finish(first as string, 'completed');
      await trigger.finished(pair.pairId, first as string);
      const all = await runs.recent(10);
      expect(all).toHaveLength(2);
      const second = all.find((r) => r.runId !== first);
      // The two requests made meanwhile became one run over both folders.
      expect(second?.focus).toBe('["INBOX","Sent"]');
      expect(second?.queue).toBe('work');
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 2 });
    } finally {
      await trigger.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('a request for every folder wins over folder requests', async () => {
    const { runs, trigger, pair, queue } = await setup();
    try {
      const first = await trigger.request(pair.pairId, ['INBOX']);
      await trigger.request(pair.pairId, ['Sent']);
      await trigger.request(pair.pairId, ALL_FOLDERS);
      await runs.finish(first as string, 'completed');
      await trigger.finished(pair.pairId, first as string);
      const next = (await runs.recent(10)).find((r) => r.runId !== first);
      expect(next).toBeDefined();
      expect(next?.focus).toBeUndefined();
    } finally {
      await trigger.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('takes over a slot whose run is no longer running', async () => {
    const { keys, runs, trigger, pair, queue } = await setup();
    try {
      const first = await trigger.request(pair.pairId, ALL_FOLDERS);
      // The run ended (say its finish job's process died after recording it) without freeing the slot.
      await runs.finish(first as string, 'failed', 'killed');
      expect(await redis.get(keys.activeRun(pair.pairId))).toBe(first);
      const second = await trigger.request(pair.pairId, ALL_FOLDERS);
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      expect(await redis.get(keys.activeRun(pair.pairId))).toBe(second);
    } finally {
      await trigger.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('takes over from a running run that no worker can work (its queue has none) once it is a minute old', async () => {
    const { keys, runs, trigger, pair, queue } = await setup();
    try {
      // A one-liner left this run on its own queue and stopped: nobody serves "pair-gone".
      const stranded = (startedAt: Date, runId: string) => ({
        runId, pairId: pair.pairId, pairName: 'alice', state: 'running' as const, startedAt: startedAt.toISOString(), spec: '{}', queue: 'pair-gone',
      });
      await runs.create(stranded(new Date(), 'young'));
      await redis.set(keys.activeRun(pair.pairId), 'young');
      expect(await trigger.request(pair.pairId, ALL_FOLDERS)).toBeUndefined();

      await runs.create(stranded(new Date(Date.now() - 120_000), 'old'));
      await redis.set(keys.activeRun(pair.pairId), 'old');
      const next = await trigger.request(pair.pairId, ALL_FOLDERS);
      expect(next).toBeDefined();
      expect((await runs.get('old'))?.state).toBe('superseded');
    } finally {
      await trigger.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('refuses a pair that was never registered, and frees the slot', async () => {
    const { keys, trigger } = await setup();
    try {
      await expect(trigger.request('nosuchpair', ALL_FOLDERS)).rejects.toThrow(/not registered/);
      expect(await redis.get(keys.activeRun('nosuchpair'))).toBeNull();
    } finally {
      await trigger.close();
    }
  });
});
