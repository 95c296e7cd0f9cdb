/**
 * Connected source and target connectors kept for reuse by the jobs of one worker
 * process. Logging in costs several round trips (greeting, CAPABILITY, AUTHENTICATE, ID,
 * NAMESPACE, ENABLE; more with TLS), which dominates small folders on a distant server.
 * A connector that failed is not given back; an idle one the server has since closed
 * reconnects on its next command, and one unused for `idleMs` is closed.
 *
 * With a governor, every connection the pool opens holds a slot for its server and
 * account until it is closed, so the limits hold across all worker processes. A job's
 * new connections get their slots in one atomic step, and a blocked job holds no slot
 * while it waits (see slotsFor): two jobs can never each hold what the other waits for.
 */
import type { AccountSpec } from '../../config/index.js';
import type { AnySource } from '../../connectors/types.js';
import type { TargetConnector } from '../../connectors/types.js';
import { DEFAULT_GOVERNOR_LIMITS, type Claim, type Governor, type GovernorLimits, type GovernorSlot } from '../../state/index.js';
import type { ConnectorFactory } from './connector-factory.js';
import { claimFor, claimsOverlap, waitForSlots } from './governed-claims.js';
import { IdleConnectors, type Pooled } from './governed-idle.js';

/** Idle connectors hold governor slots and server connections: let them go after this long. */
const DEFAULT_IDLE_MS = 30_000;
/** A job blocked longer than this goes back to the queue (THROTTLED) rather than hold a worker. */
const DEFAULT_SLOT_TIMEOUT_MS = 60_000;

export interface Leased<T> {
  readonly connector: T;
  /** Gives the connector back; `healthy: false` closes it instead. */
  release(healthy: boolean): Promise<void>;
}

export interface ConnectionPoolOptions {
  /** Shared caps on connections and logins; without one the pool opens connections freely. */
  readonly governor?: Governor;
  /** The limits an account's connections count against (its own cap included); DEFAULT_GOVERNOR_LIMITS by default. */
  readonly limitsFor?: (account: AccountSpec) => GovernorLimits;
  /** @defaultValue 30 s */
  readonly idleMs?: number;
  /** How long a lease waits for governor slots before THROTTLED (retry later). @defaultValue 60 s */
  readonly slotTimeoutMs?: number;
  /** Worker shutdown: a lease waiting for slots ends with InterruptedError. */
  readonly signal?: AbortSignal;
  /** Told of every connector this pool creates (+1) and closes (-1), for an open-connections gauge. */
  readonly onConnection?: (protocol: AccountSpec['kind'], side: 'source' | 'target', delta: 1 | -1) => void;
}

type Connectable = { connect(): Promise<void>; close(): Promise<void> };

/** One side of a lease between choosing its connector and connecting it. */
interface Reservation<T> {
  readonly key: string;
  readonly account: AccountSpec;
  /** Where the connector goes when given back healthy. */
  readonly idle: { put(key: string, pooled: Pooled<T>): void };
  readonly create: () => Promise<T>;
  /** An idle connector to reuse (it keeps its slot), or none: a new one needs `claim`'s slot. */
  reused: Pooled<T> | undefined;
  claim: Claim | undefined;
}

export class ConnectionPool {
  private readonly idleSources: IdleConnectors<AnySource>;
  private readonly idleTargets: IdleConnectors<TargetConnector>;
  /** Claims this process's leases are blocked on: a connector given back that would serve them is closed instead. */
  private readonly waiting = new Set<readonly Claim[]>();
  private closed = false;
  /** Live connectors and what they count as (for `onConnection`). */
  private readonly counted = new WeakMap<object, { protocol: AccountSpec['kind']; side: 'source' | 'target' }>();

  constructor(private readonly factory: ConnectorFactory, private readonly options: ConnectionPoolOptions = {}) {
    const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    const expire = (pooled: Pooled<Connectable>): void => void this.discard(pooled).catch(() => undefined);
    this.idleSources = new IdleConnectors<AnySource>(idleMs, expire);
    this.idleTargets = new IdleConnectors<TargetConnector>(idleMs, expire);
  }

  async source(account: AccountSpec): Promise<Leased<AnySource>> {
    const side = this.reserve(this.idleSources, account, this.creator('source', account, () => this.factory.source(account)));
    const [slot] = await this.slotsFor([side]);
    return this.open(side, slot);
  }

  async target(account: AccountSpec): Promise<Leased<TargetConnector>> {
    const side = this.reserve(this.idleTargets, account, this.creator('target', account, () => this.factory.target(account)));
    const [slot] = await this.slotsFor([side]);
    return this.open(side, slot);
  }

  /** Both connectors of a pair, slots taken together and logins in parallel. If one side fails the other is given back. */
  async leasePair(source: AccountSpec, target: AccountSpec): Promise<[Leased<AnySource>, Leased<TargetConnector>]> {
    const sides = [
      this.reserve(this.idleSources, source, this.creator('source', source, () => this.factory.source(source))),
      this.reserve(this.idleTargets, target, this.creator('target', target, () => this.factory.target(target))),
    ] as const;
    const [sourceSlot, targetSlot] = await this.slotsFor(sides);
    const [leasedSource, leasedTarget] = await Promise.allSettled([this.open(sides[0], sourceSlot), this.open(sides[1], targetSlot)]);
    if (leasedSource.status === 'fulfilled' && leasedTarget.status === 'fulfilled') return [leasedSource.value, leasedTarget.value];
    if (leasedSource.status === 'fulfilled') await leasedSource.value.release(true);
    if (leasedTarget.status === 'fulfilled') await leasedTarget.value.release(true);
    // The source's failure first, as the caller would have met it.
    throw leasedSource.status === 'rejected' ? leasedSource.reason : (leasedTarget as PromiseRejectedResult).reason;
  }

  /** Closes every idle connector (at worker shutdown); connectors given back later are closed too. */
  async close(): Promise<void> {
    this.closed = true;
    const idle: Pooled<Connectable>[] = [...this.idleSources.takeWhere(), ...this.idleTargets.takeWhere()];
    await Promise.allSettled(idle.map((pooled) => this.discard(pooled)));
  }

  /** `create`, counting what it creates for `onConnection`. */
  private creator<T extends object>(side: 'source' | 'target', account: AccountSpec, create: () => Promise<T>): () => Promise<T> {
    const notify = this.options.onConnection;
    if (notify === undefined) return create;
    return async () => {
      const connector = await create();
      this.counted.set(connector, { protocol: account.kind, side });
      notify(account.kind, side, 1);
      return connector;
    };
  }

  private reserve<T>(idle: IdleConnectors<T>, account: AccountSpec, create: () => Promise<T>): Reservation<T> {
    // Everything that decides how the session was opened is part of the key: the whole
    // spec (it holds references to secrets, never secrets themselves).
    const key = JSON.stringify(account);
    const reused = idle.take(key);
    return { key, account, idle, create, reused, claim: reused === undefined ? this.claimOf(account) : undefined };
  }

  private claimOf(account: AccountSpec): Claim | undefined {
    if (this.options.governor === undefined) return undefined;
    return claimFor(account, this.options.limitsFor?.(account) ?? DEFAULT_GOVERNOR_LIMITS);
  }

  /** The slots of the sides that need a new connection, in side order (undefined for the others). */
  private async slotsFor(sides: readonly Reservation<Connectable>[]): Promise<(GovernorSlot | undefined)[]> {
    const governor = this.options.governor;
    const claims = sides.flatMap((side) => side.claim ?? []);
    if (governor === undefined || claims.length === 0) return sides.map(() => undefined);
    try {
      const first = await governor.tryAcquire(claims);
      const slots = 'slots' in first ? first.slots : await this.waitHoldingNothing(governor, sides, first.blocked.limit !== 'logins');
      return sides.map((side) => side.claim === undefined ? undefined : slots.shift());
    } catch (error) {
      for (const side of sides) if (side.reused !== undefined) side.idle.put(side.key, side.reused);
      throw error;
    }
  }

  /**
   * Blocked: hold nothing while waiting. A reused connector's slot goes too (it is
   * claimed again with the rest), and with `closeIdle` so do our idle connectors that
   * count against the same server or account, or this process would wait on itself.
   */
  private async waitHoldingNothing(governor: Governor, sides: readonly Reservation<Connectable>[], closeIdle: boolean): Promise<GovernorSlot[]> {
    for (const side of sides) {
      if (side.reused?.slot === undefined) continue;
      await this.discard(side.reused).catch(() => undefined);
      side.reused = undefined;
      side.claim = this.claimOf(side.account);
    }
    const claims = sides.flatMap((side) => side.claim ?? []);
    // Registered first: a connector given back from now on that would serve us is closed, not kept idle.
    this.waiting.add(claims);
    try {
      if (closeIdle) await this.closeIdle((slot) => claims.some((claim) => claimsOverlap(claim, slot.claim)));
      return await waitForSlots(governor, claims, {
        timeoutMs: this.options.slotTimeoutMs ?? DEFAULT_SLOT_TIMEOUT_MS,
        ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
      });
    } finally {
      this.waiting.delete(claims);
    }
  }

  /** Connects the side's connector, a new one holding `slot`; a failed connect closes it and frees the slot. */
  private async open<T extends Connectable>(side: Reservation<T>, slot: GovernorSlot | undefined): Promise<Leased<T>> {
    let pooled = side.reused;
    if (pooled === undefined) {
      const connector = await side.create().catch(async (error: unknown) => {
        await slot?.release();
        throw error;
      });
      pooled = { connector, slot };
    }
    const opened = pooled;
    try {
      await opened.connector.connect();
    } catch (error) {
      await this.discard(opened);
      throw error;
    }
    return {
      connector: opened.connector,
      release: async (healthy) => {
        if (healthy && !this.closed && !this.someoneWaitsFor(opened.slot)) side.idle.put(side.key, opened);
        else await this.discard(opened);
      },
    };
  }

  private someoneWaitsFor(slot: GovernorSlot | undefined): boolean {
    return slot !== undefined && [...this.waiting].some((claims) => claims.some((claim) => claimsOverlap(claim, slot.claim)));
  }

  private async closeIdle(matches: (slot: GovernorSlot) => boolean): Promise<void> {
    const chosen = (pooled: Pooled<Connectable>) => pooled.slot !== undefined && matches(pooled.slot);
    const idle: Pooled<Connectable>[] = [...this.idleSources.takeWhere(chosen), ...this.idleTargets.takeWhere(chosen)];
    await Promise.allSettled(idle.map((pooled) => this.discard(pooled)));
  }

  /** Closes the connector, then frees its slot (even when closing failed: the connection is gone or going). */
  private async discard(pooled: Pooled<Connectable>): Promise<void> {
    const counted = this.counted.get(pooled.connector);
    if (counted !== undefined) {
      this.counted.delete(pooled.connector);
      this.options.onConnection?.(counted.protocol, counted.side, -1);
    }
    try {
      await pooled.connector.close();
    } finally {
      await pooled.slot?.release();
    }
  }
}
