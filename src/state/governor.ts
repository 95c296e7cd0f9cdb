/**
 * The connection governor: caps on connections per server and per account, and on logins
 * per server, shared through Redis by every worker process. Mail providers count a
 * user's connections across all clients and lock out accounts that log in too often;
 * each worker process keeping its own count would multiply the load by the number of
 * workers.
 *
 * A job takes all the slots it needs (source and target) in one atomic step, so it never
 * holds one while waiting for the other and two jobs cannot deadlock. Slots expire unless
 * refreshed: a crashed process's slots free themselves after the TTL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { processGone } from './process-gone.js';
import type { Redis } from 'ioredis';
import { checkLimits, type Claim, type GovernorBlock, type GovernorLimitName } from './governor-limits.js';
import { ACQUIRE_SLOTS, BACK_OFF, COUNT_HOLDERS, REFRESH_SLOTS, RELEASE_SLOT } from './governor-scripts.js';
import type { StateKeys } from './keys.js';

/** @defaultValue 60 s; each slot is refreshed every TTL/3 while its holder lives. */
export const GOVERNOR_SLOT_TTL_MS = 60_000;
/** The window `loginsPerMinutePerServer` counts over; shorter only in tests. */
export const GOVERNOR_LOGIN_WINDOW_MS = 60_000;

/** Retry delays while blocked: short enough to notice a freed slot, long enough to spare Redis. */
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 500;

export type GovernorScope = 'server' | 'account';

export interface GovernorOptions {
  readonly slotTtlMs?: number;
  readonly loginWindowMs?: number;
}

export interface AcquireOptions {
  /** Rejects with the signal's reason (an AbortError by default) when it aborts. */
  readonly signal?: AbortSignal;
  /** Rejects with GovernorTimeoutError when still blocked after this long; no limit by default. */
  readonly timeoutMs?: number;
}

/** A connection slot held for one claim. */
export interface GovernorSlot {
  readonly claim: Claim;
  /** Frees the slot. Idempotent; never rejects (an unreleased slot expires after its TTL). */
  release(): Promise<void>;
}

export type GovernorAttempt = { readonly slots: GovernorSlot[] } | { readonly blocked: GovernorBlock };

/** Still blocked when the caller's timeout ran out; `blocked` says by which limit, for logs. */
export class GovernorTimeoutError extends Error {
  readonly code = 'GOVERNOR_TIMEOUT';
  constructor(readonly blocked: GovernorBlock) {
    super(`no connection slot: the ${blocked.limit} limit of ${blocked.limit === 'account' ? blocked.claim.account : blocked.claim.server} is reached`);
    this.name = 'GovernorTimeoutError';
  }
}

/** The hash that stands for a server or account key in Redis key names: no address reaches Redis. */
export function governorHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16);
}

interface HeldSlot {
  readonly serverKey: string;
  readonly accountKey: string;
}

export class Governor {
  private readonly slotTtlMs: number;
  private readonly loginWindowMs: number;
  /** Slots this process holds, by holder id: refreshed together on one timer. */
  private readonly held = new Map<string, HeldSlot>();
  /** Waiters to wake at once when one of our slots is released (other processes: backoff). */
  private readonly wakers = new Set<() => void>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly redis: Redis, private readonly keys: StateKeys, options: GovernorOptions = {}) {
    this.slotTtlMs = options.slotTtlMs ?? GOVERNOR_SLOT_TTL_MS;
    this.loginWindowMs = options.loginWindowMs ?? GOVERNOR_LOGIN_WINDOW_MS;
  }

  /** Takes every claim's slot, or none; waits while a limit blocks. Slots come in claim order. */
  async acquire(claims: readonly Claim[], options: AcquireOptions = {}): Promise<GovernorSlot[]> {
    const { signal, timeoutMs } = options;
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      const result = await this.tryAcquire(claims);
      if ('slots' in result) return result.slots;
      throwIfAborted(signal);
      // A process killed on this host leaves its slots behind until they expire: free them now.
      if (await this.reapDeadHolders(result.blocked)) continue;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new GovernorTimeoutError(result.blocked);
      await this.pause(Math.min(remaining, retryDelay(attempt, result.blocked)), signal);
    }
  }

  /** One attempt: every claim's slot, or which limit blocked (and nothing taken). */
  async tryAcquire(claims: readonly Claim[]): Promise<GovernorAttempt> {
    if (this.closed) throw new Error('the governor is closed');
    // host:pid:random, like lease tokens, so that a dead holder on this host can be recognised.
    const ids = claims.map(() => `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`);
    const keys: string[] = [];
    const args: (string | number)[] = [this.slotTtlMs, this.loginWindowMs];
    claims.forEach((claim, i) => {
      checkLimits(claim.limits);
      const server = governorHash(claim.server);
      const account = governorHash(claim.account);
      keys.push(
        this.keys.governorHolders('server', server), this.keys.governorHolders('account', account),
        this.keys.governorLogins(server), this.keys.governorPeak('server', server), this.keys.governorPeak('account', account),
      );
      args.push(ids[i]!, claim.limits.connectionsPerServer, claim.limits.connectionsPerAccount, claim.limits.loginsPerMinutePerServer);
    });
    if (claims.length === 0) return { slots: [] };
    const [outcome, index, retryInMs] = await ACQUIRE_SLOTS.run(this.redis, keys, args) as [string, number, number];
    if (outcome !== 'ok') {
      const limit = outcome as GovernorLimitName;
      const claim = claims[index]!;
      return { blocked: limit === 'logins' ? { limit, claim, retryInMs } : { limit, claim } };
    }
    return { slots: claims.map((claim, i) => this.hold(claim, ids[i]!, keys[i * 5]!, keys[i * 5 + 1]!)) };
  }

  /**
   * Removes the slots of processes that no longer exist on this host from the keys that
   * blocked (never the login history: a login happened). True if any was removed.
   */
  private async reapDeadHolders(blocked: GovernorBlock): Promise<boolean> {
    if (blocked.limit === 'logins') return false;
    const key = blocked.limit === 'server'
      ? this.keys.governorHolders('server', governorHash(blocked.claim.server))
      : this.keys.governorHolders('account', governorHash(blocked.claim.account));
    const dead = (await this.redis.zrange(key, 0, -1)).filter(holderIsDeadHere);
    if (dead.length === 0) return false;
    const server = this.keys.governorHolders('server', governorHash(blocked.claim.server));
    const account = this.keys.governorHolders('account', governorHash(blocked.claim.account));
    await this.redis.multi().zrem(server, ...dead).zrem(account, ...dead).exec();
    return true;
  }

  /**
   * The account's server asked to wait `ms` (ARCHITECTURE.md, "Queues and jobs"): every
   * worker process holds back the account's requests until then. The window lives in
   * Redis with an expiry, so it ends by itself and a crashed process leaves nothing behind.
   */
  async backOff(account: string, ms: number): Promise<void> {
    const window = Math.max(1, Math.ceil(ms));
    await BACK_OFF.run(this.redis, [this.keys.governorBackoff(governorHash(account))], [window]);
  }

  /** Milliseconds left of the account's back-off window; 0 when none is open. */
  async backOffRemaining(account: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.keys.governorBackoff(governorHash(account))));
  }

  /** Slots held right now (not expired) on a server or for an account, by every process. */
  async holders(scope: GovernorScope, key: string): Promise<number> {
    return await COUNT_HOLDERS.run(this.redis, [this.keys.governorHolders(scope, governorHash(key))]) as number;
  }

  /** The most slots ever held at once on a server or for an account. */
  async peak(scope: GovernorScope, key: string): Promise<number> {
    return Number(await this.redis.get(this.keys.governorPeak(scope, governorHash(key))) ?? 0);
  }

  /** Stops refreshing; slots not released expire after their TTL. Pending waits end at their next attempt. */
  close(): void {
    this.closed = true;
    this.stopRefreshing();
  }

  private hold(claim: Claim, id: string, serverKey: string, accountKey: string): GovernorSlot {
    this.held.set(id, { serverKey, accountKey });
    this.startRefreshing();
    return {
      claim,
      release: async () => {
        if (!this.held.delete(id)) return;
        if (this.held.size === 0) this.stopRefreshing();
        // A failed release only delays the slot's end to its expiry; the caller is cleaning up and can do no better.
        await RELEASE_SLOT.run(this.redis, [serverKey, accountKey], [id]).catch(() => undefined);
        for (const wake of [...this.wakers]) wake();
      },
    };
  }

  private startRefreshing(): void {
    if (this.refreshTimer !== undefined || this.closed) return;
    this.refreshTimer = setInterval(() => {
      const ids = [...this.held.keys()];
      const keys = [...this.held.values()].flatMap((slot) => [slot.serverKey, slot.accountKey]);
      // A missed refresh is retried on the next tick, well before the TTL runs out.
      if (ids.length > 0) REFRESH_SLOTS.run(this.redis, keys, [this.slotTtlMs, ...ids]).catch(() => undefined);
    }, Math.max(10, Math.floor(this.slotTtlMs / 3)));
    this.refreshTimer.unref();
  }

  private stopRefreshing(): void {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Sleeps `ms`, less when one of our slots is released or the signal aborts. */
  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Jittered, growing 50..500 ms; the login rate's own hint when it gave one (plus jitter, so waiters spread). */
function retryDelay(attempt: number, blocked: GovernorBlock): number {
  const backoff = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** attempt);
  const jittered = backoff / 2 + Math.random() * (backoff / 2);
  return Math.max(MIN_BACKOFF_MS, blocked.retryInMs === undefined ? jittered : blocked.retryInMs + Math.random() * MIN_BACKOFF_MS);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new DOMException('the wait for a connection slot was aborted', 'AbortError');
}

/** A holder id "host:pid:random" of a process on this host that is gone. */
function holderIsDeadHere(id: string): boolean {
  const [host, pid] = id.split(':');
  if (host !== hostname() || pid === undefined || !/^\d+$/.test(pid)) return false;
  return Number(pid) !== process.pid && processGone(Number(pid));
}
