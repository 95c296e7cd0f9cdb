/**
 * BullMQ's production guide: `maxmemory-policy noeviction` is the only setting that
 * guarantees correct behaviour. An evicting Redis could silently drop a checkpoint or a
 * ledger and turn a re-run into duplicates, so we refuse to start on one.
 */
import type { Redis } from 'ioredis';

export class RedisPolicyError extends Error {
  readonly code = 'REDIS_POLICY';
  constructor(policy: string) {
    super(
      `Redis maxmemory-policy is "${policy}", but mailferry needs "noeviction" (an evicting Redis can drop checkpoints and cause duplicates). ` +
      'Fix: CONFIG SET maxmemory-policy noeviction (and put it in redis.conf).',
    );
    this.name = 'RedisPolicyError';
  }
}

export async function checkRedisPolicy(redis: Redis): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    // Managed Redis often disables CONFIG; INFO still reports the policy.
    const info = await redis.info('memory');
    policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  }
  if (policy !== undefined && policy !== 'noeviction') throw new RedisPolicyError(policy);
}
