/**
 * Readiness: Redis answers, it will not evict (maxmemory-policy noeviction, see
 * state/redis-policy.ts), and this process's queue workers are running.
 */
import type { Redis } from 'ioredis';
import { checkRedisPolicy, RedisPolicyError } from '../state/index.js';

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/** How long Redis gets to answer before the process counts as not ready. */
const REDIS_TIMEOUT_MS = 2000;

export async function checkReadiness(redis: Redis, workersRunning: () => boolean): Promise<Readiness> {
  try {
    await withTimeout(redis.ping(), REDIS_TIMEOUT_MS);
  } catch (error) {
    return { ready: false, reason: `redis does not answer PING: ${(error as Error).message}` };
  }
  try {
    await withTimeout(checkRedisPolicy(redis), REDIS_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof RedisPolicyError) return { ready: false, reason: 'redis maxmemory-policy is not noeviction' };
    return { ready: false, reason: `cannot read the redis maxmemory-policy: ${(error as Error).message}` };
  }
  if (!workersRunning()) return { ready: false, reason: 'queue workers are not running' };
  return { ready: true };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}
