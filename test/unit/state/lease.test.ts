import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LEASE_TTL_MS, Lease, LeaseHeldError } from '../../../src/state/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let server: RedisServer;
let redis: Redis;
let n = 0;
let deadPid: number;
const leases: Lease[] = [];

/** PID of a child process that has already exited (so no process has it, barring reuse). */
async function pidOfFinishedChild(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid;
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
  if (pid === undefined) throw new Error('child had no pid');
  return pid;
}

beforeAll(async () => {
  [server, deadPid] = await Promise.all([startRedis(), pidOfFinishedChild()]);
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(leases.splice(0).map((lease) => lease.release()));
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

function key(): string {
  n += 1;
  return `lease-test:${n}:lease`;
}

async function acquire(k: string, ttlMs?: number): Promise<Lease> {
  const lease = await Lease.acquire(redis, k, ...(ttlMs === undefined ? [] : [ttlMs]));
  leases.push(lease);
  return lease;
}

async function acquireError(k: string): Promise<LeaseHeldError> {
  try {
    await acquire(k);
  } catch (error) {
    expect(error).toBeInstanceOf(LeaseHeldError);
    return error as LeaseHeldError;
  }
  throw new Error('Lease.acquire did not throw');
}

/** Polls with real timers (only setInterval may be faked). */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Lease.acquire', () => {
  it('takes a free lease with a host:pid:random token and the TTL', async () => {
    const k = key();
    const lease = await acquire(k);
    expect(lease.key).toBe(k);
    expect(lease.token).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${process.pid}:[0-9a-f]{12}$`));
    expect(lease.held).toBe(true);
    expect(await redis.get(k)).toBe(lease.token);
    const pttl = await redis.pttl(k);
    expect(pttl).toBeGreaterThan(LEASE_TTL_MS - 5000);
    expect(pttl).toBeLessThanOrEqual(LEASE_TTL_MS);
  });

  it('uses a custom TTL', async () => {
    const k = key();
    await acquire(k, 12_345);
    const pttl = await redis.pttl(k);
    expect(pttl).toBeGreaterThan(10_000);
    expect(pttl).toBeLessThanOrEqual(12_345);
  });

  it('gives every acquisition a different token', async () => {
    const a = await acquire(key());
    const b = await acquire(key());
    expect(a.token).not.toBe(b.token);
  });

  it('throws LeaseHeldError while this (live) process holds it', async () => {
    const k = key();
    const first = await acquire(k);
    const error = await acquireError(k);
    expect(error.code).toBe('LEASE_HELD');
    expect(error.key).toBe(k);
    expect(error.holder).toBe(first.token);
    expect(error.message).toBe(`folder is being worked on by ${first.token}`);
    expect(await redis.get(k)).toBe(first.token);
  });

  it.each<[string, () => string]>([
    ['a live process on this host', () => `${hostname()}:${process.ppid}:abc`],
    ['a dead pid on another host', () => `some-other-host.example:${deadPid}:abc`],
    ['a token without a pid', () => `${hostname()}`],
    ['a token with a non-numeric pid', () => `${hostname()}:12ab:abc`],
    ['an arbitrary string', () => 'not-a-token'],
  ])('does not take over a lease held by %s', async (_name, token) => {
    const k = key();
    const holder = token();
    await redis.set(k, holder, 'PX', 30_000);
    const error = await acquireError(k);
    expect(error.holder).toBe(holder);
    expect(await redis.get(k)).toBe(holder);
    expect(await redis.pttl(k)).toBeGreaterThan(25_000);
  });

  it('takes over at once a lease whose token names a dead process on this host', async () => {
    const k = key();
    const deadToken = `${hostname()}:${deadPid}:abc`;
    await redis.set(k, deadToken, 'PX', 30_000);
    const lease = await acquire(k, 20_000);
    expect(lease.token).not.toBe(deadToken);
    expect(await redis.get(k)).toBe(lease.token);
    const pttl = await redis.pttl(k);
    expect(pttl).toBeGreaterThan(15_000);
    expect(pttl).toBeLessThanOrEqual(20_000);
  });

  it('a dead holder with no TTL on its key is taken over too', async () => {
    const k = key();
    await redis.set(k, `${hostname()}:${deadPid}:abc`);
    const lease = await acquire(k);
    expect(await redis.get(k)).toBe(lease.token);
    expect(await redis.pttl(k)).toBeGreaterThan(0);
  });

  it('can be taken again once released', async () => {
    const k = key();
    const first = await acquire(k);
    await first.release();
    const second = await acquire(k);
    expect(await redis.get(k)).toBe(second.token);
  });

  it('can be taken again once expired', async () => {
    const k = key();
    await acquire(k);
    await redis.pexpire(k, 1);
    await eventually(async () => (await redis.exists(k)) === 0);
    const second = await acquire(k);
    expect(await redis.get(k)).toBe(second.token);
  });
});

describe('Lease.release', () => {
  it('deletes our own token', async () => {
    const k = key();
    const lease = await acquire(k);
    await lease.release();
    expect(await redis.exists(k)).toBe(0);
  });

  it('leaves a token that is not ours', async () => {
    const k = key();
    const lease = await acquire(k);
    await redis.set(k, 'other-host:1:beef', 'PX', 30_000);
    await lease.release();
    expect(await redis.get(k)).toBe('other-host:1:beef');
  });

  it('does not delete the next holder’s lease when called twice', async () => {
    const k = key();
    const first = await acquire(k);
    await first.release();
    const second = await acquire(k);
    await first.release();
    expect(await redis.get(k)).toBe(second.token);
  });

  it('is a no-op when the key is gone', async () => {
    const k = key();
    const lease = await acquire(k);
    await redis.del(k);
    await expect(lease.release()).resolves.toBeUndefined();
    expect(await redis.exists(k)).toBe(0);
  });
});

describe('Lease renewal', () => {
  it('extends the TTL every ttl/3 while we hold it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const k = key();
    const lease = await acquire(k, 30_000);
    await redis.pexpire(k, 2000);
    vi.advanceTimersByTime(9_999);
    expect(await redis.pttl(k)).toBeLessThanOrEqual(2000);
    vi.advanceTimersByTime(1);
    await eventually(async () => (await redis.pttl(k)) > 20_000);
    expect(lease.held).toBe(true);
  });

  it('notices when someone else took the lease, and does not touch theirs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const k = key();
    const lease = await acquire(k, 30_000);
    await redis.set(k, 'other-host:1:beef', 'PX', 5000);
    vi.advanceTimersByTime(10_000);
    await eventually(() => !lease.held);
    expect(await redis.get(k)).toBe('other-host:1:beef');
    expect(await redis.pttl(k)).toBeLessThanOrEqual(5000);
  });

  it('notices when the lease expired', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const k = key();
    const lease = await acquire(k, 30_000);
    await redis.del(k);
    vi.advanceTimersByTime(10_000);
    await eventually(() => !lease.held);
    expect(await redis.exists(k)).toBe(0);
  });

  it('stops after release', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const k = key();
    const lease = await acquire(k, 30_000);
    await lease.release();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(30_000);
    expect(await redis.exists(k)).toBe(0);
    expect(lease.held).toBe(true);
  });

  it('never renews more often than once a second', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const k = key();
    await acquire(k, 1500);
    await redis.pexpire(k, 60_000);
    vi.advanceTimersByTime(999);
    // No renewal yet: the TTL we set is untouched.
    expect(await redis.pttl(k)).toBeGreaterThan(50_000);
    vi.advanceTimersByTime(1);
    await eventually(async () => (await redis.pttl(k)) <= 1500);
  });
});
