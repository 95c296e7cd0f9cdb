/** The source folders a pair has copy state for (a page commit records each in the pair's folder index). */
import type { Redis } from 'ioredis';
import type { StateKeys } from './keys.js';

export async function pairFolderPaths(redis: Redis, keys: StateKeys, pairId: string): Promise<string[]> {
  return Object.values(await redis.hgetall(keys.pairFolders(pairId)));
}
