import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_GOVERNOR_LIMITS, Governor, GovernorTimeoutError, StateKeys, governorHash,
  type Claim, type GovernorLimits, type GovernorOptions, type GovernorSlot,
} from '../../../src/state/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let server: RedisServer;
const clients: Redis[] = [];
const governors: Governor[] = [];
let n = 0;

beforeAll(async () => {
  server = await startRedis();
});

afterEach(() => {
  for (const governor of governors.splice(0)) governor.close();
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.destroy();
});

async function client(): Promise<Redis> {
  const redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
  clients.push(redis);
  return redis;
}

/** A fresh key prefix per test, so tests never see each other's slots. */
function freshKeys(): StateKeys {
  n += 1;
  return new StateKeys(`gov-test-${n}`);
}

/** A governor on its own Redis connection: stands for one worker process. */
async function governor(keys: StateKeys, options: GovernorOptions = {}): Promise<Governor> {
  const g = new Governor(await client(), keys, options);
  governors.push(g);
  return g;
}

function limits(overrides: Partial<GovernorLimits>): GovernorLimits {
  return { ...DEFAULT_GOVERNOR_LIMITS, ...overrides };
}

function claim(account: string, caps: Partial<GovernorLimits> = {}, server = 'imap|imap.example.com|993'): Claim {
  return { server, account: `${account}@imap.example.com:993`, limits: limits(caps) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Governor limits', () => {
  it('holds the per-account cap across many acquirers in several processes, and lets all of them through', async () => {
    const keys = freshKeys();
    const processes = await Promise.all([governor(keys), governor(keys), governor(keys)]);
    const wanted = claim('alice', { connectionsPerAccount: 3 });
    let concurrent = 0;
    let maxConcurrent = 0;
    const acquirers = Array.from({ length: 30 }, async (_, i) => {
      const [slot] = await processes[i % 3]!.acquire([wanted], { timeoutMs: 30_000 });
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await sleep(20);
      concurrent -= 1;
      await slot!.release();
    });
    await Promise.all(acquirers);
    expect(maxConcurrent).toBe(3);
    expect(await processes[0]!.peak('account', wanted.account)).toBe(3);
    expect(await processes[0]!.holders('account', wanted.account)).toBe(0);
  });

  it('holds the per-server cap across accounts', async () => {
    const keys = freshKeys();
    const processes = await Promise.all([governor(keys), governor(keys)]);
    const accounts = ['alice', 'bob', 'carol'].map((user) => claim(user, { connectionsPerServer: 4, connectionsPerAccount: 3 }));
    const acquirers = Array.from({ length: 24 }, async (_, i) => {
      const [slot] = await processes[i % 2]!.acquire([accounts[i % 3]!], { timeoutMs: 30_000 });
      await sleep(15);
      await slot!.release();
    });
    await Promise.all(acquirers);
    expect(await processes[0]!.peak('server', accounts[0]!.server)).toBe(4);
    for (const account of accounts) expect(await processes[0]!.peak('account', account.account)).toBeLessThanOrEqual(3);
    expect(await processes[0]!.holders('server', accounts[0]!.server)).toBe(0);
  });

  it('counts claims of one call that share a key (source and target on one account) against its limit', async () => {
    const g = await governor(freshKeys());
    const same = claim('alice', { connectionsPerAccount: 1 });
    const blocked = await g.tryAcquire([same, same]);
    expect(blocked).toEqual({ blocked: { limit: 'account', claim: same } });
    const roomy = claim('alice', { connectionsPerAccount: 2 });
    const slots = await g.acquire([roomy, roomy]);
    expect(await g.holders('account', roomy.account)).toBe(2);
    await Promise.all(slots.map((slot) => slot.release()));
  });

  it('takes every claim of a call or none: a pair whose one side is full takes neither side', async () => {
    const g = await governor(freshKeys());
    const full = claim('alice', { connectionsPerAccount: 1 });
    const free = claim('bob', { connectionsPerAccount: 1 }, 'imap|other.example.net|993');
    const [holding] = await g.acquire([full]);

    const attempt = await g.tryAcquire([free, full]);
    expect(attempt).toEqual({ blocked: { limit: 'account', claim: full } });
    expect(await g.holders('account', free.account)).toBe(0);
    expect(await g.holders('server', free.server)).toBe(0);

    const waiting = g.acquire([free, full], { timeoutMs: 10_000 });
    await sleep(200);
    expect(await g.holders('account', free.account)).toBe(0);
    await holding!.release();
    const pair = await waiting;
    expect(pair.map((slot) => slot.claim)).toEqual([free, full]);
    expect(await g.holders('account', free.account)).toBe(1);
    expect(await g.holders('account', full.account)).toBe(1);
    await Promise.all(pair.map((slot) => slot.release()));
  });

  it('release is idempotent and frees exactly one slot', async () => {
    const g = await governor(freshKeys());
    const wanted = claim('alice');
    const [first] = await g.acquire([wanted]);
    const [second] = await g.acquire([wanted]);
    await first!.release();
    await first!.release();
    expect(await g.holders('account', wanted.account)).toBe(1);
    await second!.release();
    expect(await g.holders('account', wanted.account)).toBe(0);
  });
});

describe('Governor expiry', () => {
  it("frees a crashed holder's slots after the TTL, while a live holder's refreshed slots stay", async () => {
    const keys = freshKeys();
    const wanted = claim('alice', { connectionsPerAccount: 1 });
    const live = await governor(keys, { slotTtlMs: 300 });
    const [held] = await live.acquire([wanted]);
    const other = await governor(keys, { slotTtlMs: 300 });
    await sleep(1000);
    expect('blocked' in await other.tryAcquire([wanted])).toBe(true);
    await held!.release();

    const crashed = await governor(keys, { slotTtlMs: 300 });
    await crashed.acquire([wanted]);
    crashed.close(); // stops refreshing, as a killed process would
    const started = Date.now();
    const [taken] = await other.acquire([wanted], { timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await other.holders('account', wanted.account)).toBe(1);
    await taken!.release();
  });
});

describe('Governor: a holder killed on this host', () => {
  it('gets its slots taken at once instead of after the TTL (a restarted daemon is not kept waiting)', async () => {
    const keys = freshKeys();
    const wanted = claim('alice', { connectionsPerAccount: 1 });
    // What a SIGKILLed process on this host leaves behind: a slot valid for another minute.
    const dead = `${hostname()}:999999:deadbeef`;
    const holders = keys.governorHolders('account', governorHash(wanted.account));
    const redis = await client();
    await redis.zadd(holders, Date.now() + 60_000, dead);
    const g = await governor(keys);
    const started = Date.now();
    const [slot] = await g.acquire([wanted], { timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await redis.zscore(holders, dead)).toBeNull();
    await slot!.release();
  });
});

describe('Governor login rate', () => {
  it('delays the 11th login with a limit of 10 per window until the first leaves the window', async () => {
    const windowMs = 1500;
    const g = await governor(freshKeys(), { loginWindowMs: windowMs });
    const wanted = claim('alice', { loginsPerMinutePerServer: 10 });
    const firstLoginAt = Date.now();
    for (let i = 0; i < 10; i++) {
      const [slot] = await g.acquire([wanted]);
      await slot!.release();
    }
    const blocked = await g.tryAcquire([wanted]);
    expect('blocked' in blocked && blocked.blocked.limit).toBe('logins');
    expect('blocked' in blocked && blocked.blocked.retryInMs).toBeGreaterThan(0);
    const [eleventh] = await g.acquire([wanted], { timeoutMs: 10_000 });
    // Redis's clock and ours are the same host's; allow a few ms of rounding.
    expect(Date.now() - firstLoginAt).toBeGreaterThanOrEqual(windowMs - 20);
    expect(Date.now() - firstLoginAt).toBeLessThan(windowMs + 1500);
    await eleventh!.release();
  });
});

describe('Governor waits end', () => {
  async function fullAccount(): Promise<{ g: Governor; wanted: Claim; held: GovernorSlot }> {
    const g = await governor(freshKeys());
    const wanted = claim('alice', { connectionsPerAccount: 1 });
    const [held] = await g.acquire([wanted]);
    return { g, wanted, held: held! };
  }

  it('rejects with an AbortError when the signal aborts, taking no slot', async () => {
    const { g, wanted, held } = await fullAccount();
    const abort = new AbortController();
    const waiting = g.acquire([wanted], { signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(g.acquire([claim('bob')], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await g.holders('account', claim('bob').account)).toBe(0);
    expect(await g.holders('account', wanted.account)).toBe(1);
    await held.release();
  });

  it('rejects with GovernorTimeoutError naming the limit when the timeout passes', async () => {
    const { g, wanted, held } = await fullAccount();
    const started = Date.now();
    const error = await g.acquire([wanted], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernorTimeoutError);
    expect((error as GovernorTimeoutError).blocked).toEqual({ limit: 'account', claim: wanted });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1500);
    await held.release();
  });
});

describe('Governor keys', () => {
  it('puts no host or user name in Redis, only hashes', async () => {
    const keys = freshKeys();
    const g = await governor(keys, { loginWindowMs: 5000 });
    const slots = await g.acquire([claim('alice'), claim('bob', {}, 'pop3|pop.example.org|995')]);
    const names = await (await client()).keys(`${keys.prefix}:*`);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(new RegExp(`^${keys.prefix}:governor:(server|account):[0-9a-f]{16}:(holders|peak|logins)$`));
      expect(name).not.toMatch(/example|alice|bob|imap|pop3/);
    }
    await Promise.all(slots.map((slot) => slot.release()));
  });
});

describe('an account\'s back-off window', () => {
  it('is seen by every governor on the same Redis, is only ever lengthened, and ends by itself', async () => {
    const keys = freshKeys();
    const here = new Governor(await client(), keys);
    const elsewhere = new Governor(await client(), keys);
    governors.push(here, elsewhere);
    expect(await elsewhere.backOffRemaining('alice@imap.example.com')).toBe(0);

    await here.backOff('alice@imap.example.com', 400);
    const remaining = await elsewhere.backOffRemaining('alice@imap.example.com');
    expect(remaining).toBeGreaterThan(300);
    expect(remaining).toBeLessThanOrEqual(400);
    // A shorter hint heard later never cuts the window short; another account is not touched.
    await elsewhere.backOff('alice@imap.example.com', 50);
    expect(await here.backOffRemaining('alice@imap.example.com')).toBeGreaterThan(250);
    expect(await here.backOffRemaining('bob@imap.example.com')).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await here.backOffRemaining('alice@imap.example.com')).toBe(0);
  });
});
