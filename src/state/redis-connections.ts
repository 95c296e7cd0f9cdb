/**
 * Which Redis to use (--redis, REDIS_URL, the config, else the embedded one) and
 * connections to it. Every component gets its own connection, as BullMQ workers block.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { embeddedRedisDir, ensureEmbeddedRedis } from './embedded-redis.js';
import { checkRedisPolicy } from './redis-policy.js';

/** A connection to the state Redis: handed to the state classes (and to BullMQ), never used directly outside src/state. */
export type RedisConnection = Redis;

export interface RedisTarget {
  /** Human-readable, without any password: for messages. */
  readonly label: string;
  readonly options: RedisOptions;
  readonly url?: string;
  /** The embedded server's directory, when it is the embedded one. */
  readonly embeddedIn?: string;
}

/**
 * @param idleMs - an embedded Redis stops after this long without a client (see
 * embedded-redis-reaper.ts); a Redis given by URL is never stopped.
 */
export async function resolveRedis(url: string | undefined, stateDir: string, idleMs: number): Promise<RedisTarget> {
  // Workers must wait for Redis to come back rather than fail (BullMQ production guide).
  const base: RedisOptions = { maxRetriesPerRequest: null };
  if (url) {
    const parsed = new URL(url);
    return { label: `${parsed.protocol}//${parsed.hostname}:${parsed.port || 6379}${parsed.pathname}`, options: base, url };
  }
  const embedded = await ensureEmbeddedRedis(stateDir, idleMs);
  return { label: `embedded redis (${embedded.socketPath})`, options: { ...base, path: embedded.socketPath }, embeddedIn: embeddedRedisDir(stateDir) };
}

export class RedisConnections {
  private readonly opened: Redis[] = [];

  constructor(readonly target: RedisTarget) {}

  open(): Redis {
    const { url, options } = this.target;
    const client = url === undefined ? new Redis(options) : new Redis(url, options);
    // Errors surface on the commands that fail; reconnects are automatic.
    client.on('error', () => undefined);
    this.opened.push(client);
    return client;
  }

  /** A connection for BullMQ (its own instance, closed by closeAll). */
  bullmq(): Redis {
    return this.open();
  }

  /**
   * QUIT where a connection is up; a client still trying to connect only drops its
   * attempts (a QUIT would wait for a Redis that never answers, and hang the exit).
   */
  async closeAll(): Promise<void> {
    await Promise.allSettled(this.opened.map(async (client) => {
      if (client.status !== 'ready') {
        client.disconnect();
        return;
      }
      await client.quit();
    }));
  }
}

/** Opens the state connection and refuses a Redis that may evict keys. */
export async function openStateRedis(connections: RedisConnections): Promise<Redis> {
  const redis = connections.open();
  await checkRedisPolicy(redis);
  return redis;
}
