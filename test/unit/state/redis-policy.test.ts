import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisPolicyError, checkRedisPolicy } from '../../../src/state/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterEach(async () => {
  await redis.config('SET', 'maxmemory-policy', 'noeviction');
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

/** The same Redis as seen through a managed service that disables CONFIG (INFO still works). */
function withoutConfig(client: Redis): Redis {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'config') return () => Promise.reject(new Error("ERR unknown command 'CONFIG'"));
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('checkRedisPolicy', () => {
  it.each<[string, (client: Redis) => Redis]>([
    ['CONFIG GET', (client) => client],
    ['INFO when CONFIG is disabled', withoutConfig],
  ])('passes on noeviction (%s)', async (_name, view) => {
    await expect(checkRedisPolicy(view(redis))).resolves.toBeUndefined();
  });

  it.each<[string, string, (client: Redis) => Redis]>([
    ['allkeys-lru', 'CONFIG GET', (client) => client],
    ['volatile-lru', 'CONFIG GET', (client) => client],
    ['allkeys-random', 'CONFIG GET', (client) => client],
    ['volatile-ttl', 'CONFIG GET', (client) => client],
    ['allkeys-lru', 'INFO when CONFIG is disabled', withoutConfig],
    ['volatile-lfu', 'INFO when CONFIG is disabled', withoutConfig],
  ])('refuses %s (%s) and names the policy', async (policy, _how, view) => {
    await redis.config('SET', 'maxmemory-policy', policy);
    const check = checkRedisPolicy(view(redis));
    await expect(check).rejects.toBeInstanceOf(RedisPolicyError);
    await expect(check).rejects.toMatchObject({
      code: 'REDIS_POLICY',
      name: 'RedisPolicyError',
      message: expect.stringContaining(`Redis maxmemory-policy is "${policy}", but mailferry needs "noeviction"`),
    });
    await expect(check).rejects.toThrow('CONFIG SET maxmemory-policy noeviction');
  });

  it('passes again once the policy is set back to noeviction', async () => {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await expect(checkRedisPolicy(redis)).rejects.toThrow(RedisPolicyError);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    await expect(checkRedisPolicy(redis)).resolves.toBeUndefined();
  });
});
