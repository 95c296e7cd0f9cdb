/**
 * A per-folder lease with an owner token. Only the holder may write the folder's
 * checkpoint (compare-and-set in the Lua scripts), so two workers on one folder (a
 * stalled job and its replacement) can never both advance it.
 *
 * The token names its process ("host:pid:random") so that a lease left behind by a
 * process that was killed on this host can be taken over at once instead of waiting out
 * the TTL, the way lock files with a PID work.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { RELEASE_LEASE, RENEW_LEASE, STEAL_LEASE } from './lua-scripts.js';
import { processGone } from './process-gone.js';

/** @defaultValue 30 s; renewed every ttl/3 while the holder works. */
export const LEASE_TTL_MS = 30_000;

export class LeaseHeldError extends Error {
  readonly code = 'LEASE_HELD';
  constructor(readonly key: string, readonly holder: string) {
    super(`folder is being worked on by ${holder}`);
    this.name = 'LeaseHeldError';
  }
}

export class Lease {
  private timer: NodeJS.Timeout | undefined;
  private lost = false;

  private constructor(private readonly redis: Redis, readonly key: string, readonly token: string, private readonly ttlMs: number) {}

  /** Takes the lease, or throws LeaseHeldError when a live holder has it. */
  static async acquire(redis: Redis, key: string, ttlMs: number = LEASE_TTL_MS): Promise<Lease> {
    const token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
    const set = await redis.set(key, token, 'PX', ttlMs, 'NX');
    if (set !== 'OK') {
      const holder = await redis.get(key);
      if (holder === null || !holderIsDeadHere(holder)) throw new LeaseHeldError(key, holder ?? 'another worker');
      const stolen = await STEAL_LEASE.run(redis, [key], [holder, token, ttlMs]);
      if (stolen !== 1) throw new LeaseHeldError(key, holder);
    }
    const lease = new Lease(redis, key, token, ttlMs);
    lease.startRenewing();
    return lease;
  }

  /** False once a renewal found the lease taken by someone else. */
  get held(): boolean {
    return !this.lost;
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await RELEASE_LEASE.run(this.redis, [this.key], [this.token]);
  }

  private startRenewing(): void {
    this.timer = setInterval(() => {
      RENEW_LEASE.run(this.redis, [this.key], [this.token, this.ttlMs]).then(
        (renewed) => { if (renewed !== 1) this.lost = true; },
        // A failed renewal is not a lost lease yet; the commit's compare-and-set decides.
        () => undefined,
      );
    }, Math.max(1000, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }
}

/** True when the token names a process on this host that no longer exists. */
function holderIsDeadHere(token: string): boolean {
  const [host, pid] = token.split(':');
  if (host !== hostname() || pid === undefined || !/^\d+$/.test(pid)) return false;
  return Number(pid) !== process.pid && processGone(Number(pid));
}
