import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AccountSpec, ImapAccountSpec, MaildirAccountSpec } from '../../../src/config/index.js';
import { ConnectorError } from '../../../src/connectors/connector-error.js';
import type { AnySource, TargetConnector } from '../../../src/connectors/types.js';
import { ConnectionPool, claimFor, type ConnectionPoolOptions, type ConnectorFactory } from '../../../src/jobs/index.js';
import { InterruptedError } from '../../../src/jobs/queue/interrupted-error.js';
import { DEFAULT_GOVERNOR_LIMITS, Governor, StateKeys, type GovernorLimits } from '../../../src/state/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

// A fake ConnectorFactory is enough here: the pool is under test, not a mail server.

class FakeConnector {
  connects = 0;
  closed = false;
  constructor(readonly role: 'source' | 'target', readonly account: AccountSpec, private readonly failConnect: boolean) {}

  async connect(): Promise<void> {
    this.connects += 1;
    if (this.failConnect) throw new Error('login refused');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class FakeFactory implements ConnectorFactory {
  readonly created: FakeConnector[] = [];
  /** Connectors created from now on fail to connect while this is true. */
  failConnect = false;

  async source(account: AccountSpec): Promise<AnySource> {
    return this.make('source', account) as unknown as AnySource;
  }

  async target(account: AccountSpec): Promise<TargetConnector> {
    return this.make('target', account) as unknown as TargetConnector;
  }

  /** Watchers are not the pool's concern. */
  async watcher(): Promise<undefined> {
    return undefined;
  }

  private make(role: 'source' | 'target', account: AccountSpec): FakeConnector {
    const connector = new FakeConnector(role, account, this.failConnect);
    this.created.push(connector);
    return connector;
  }
}

const fake = (connector: unknown) => connector as FakeConnector;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function imap(user: string, host = 'imap.example.com'): ImapAccountSpec {
  return { kind: 'imap', host, port: 993, user, tls: 'implicit', secret: { env: 'UNUSED_PASSWORD' } };
}

const maildir: MaildirAccountSpec = { kind: 'maildir', path: '/srv/backup/alice' };

let server: RedisServer;
let redis: Redis;
let n = 0;
const pools: ConnectionPool[] = [];
const governors: Governor[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  for (const governor of governors.splice(0)) governor.close();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

interface Setup {
  readonly pool: ConnectionPool;
  readonly factory: FakeFactory;
  readonly governor: Governor;
  readonly keys: StateKeys;
  /** Slots held now for the account (every process). */
  held(account: AccountSpec): Promise<number>;
}

function setup(caps: Partial<GovernorLimits> = {}, options: Omit<ConnectionPoolOptions, 'governor' | 'limitsFor'> = {}): Setup {
  n += 1;
  const keys = new StateKeys(`pool-test-${n}`);
  const governor = new Governor(redis, keys);
  const limits = { ...DEFAULT_GOVERNOR_LIMITS, ...caps };
  const factory = new FakeFactory();
  const pool = new ConnectionPool(factory, { governor, limitsFor: () => limits, ...options });
  pools.push(pool);
  governors.push(governor);
  return { pool, factory, governor, keys, held: (account) => governor.holders('account', claimFor(account, limits)!.account) };
}

/** Settles to 'pending' when `promise` has not settled within `ms`. */
async function stateAfter(promise: Promise<unknown>, ms: number): Promise<'pending' | 'settled'> {
  return Promise.race([promise.then(() => 'settled' as const, () => 'settled' as const), sleep(ms).then(() => 'pending' as const)]);
}

describe('ConnectionPool without a governor', () => {
  it('reuses a connector given back healthy and closes one given back unhealthy', async () => {
    const factory = new FakeFactory();
    const pool = new ConnectionPool(factory);
    pools.push(pool);
    const first = await pool.source(imap('alice'));
    await first.release(true);
    const again = await pool.source(imap('alice'));
    expect(again.connector).toBe(first.connector);
    expect(fake(again.connector).connects).toBe(2);
    await again.release(false);
    expect(fake(again.connector).closed).toBe(true);
    expect(factory.created).toHaveLength(1);
  });
});

describe('ConnectionPool with a governor', () => {
  it('holds a slot while a connector is leased and while it is idle; frees it when the connector is closed', async () => {
    const { pool, held } = setup();
    const leased = await pool.target(imap('alice'));
    expect(await held(imap('alice'))).toBe(1);
    await leased.release(true);
    expect(await held(imap('alice'))).toBe(1);
    const reused = await pool.target(imap('alice'));
    expect(reused.connector).toBe(leased.connector);
    expect(await held(imap('alice'))).toBe(1);
    await reused.release(false);
    expect(fake(reused.connector).closed).toBe(true);
    expect(await held(imap('alice'))).toBe(0);
  });

  it('frees the slots of idle connectors when the pool closes', async () => {
    const { pool, held } = setup();
    const [source, target] = await pool.leasePair(imap('alice'), imap('bob'));
    await Promise.all([source.release(true), target.release(true)]);
    expect(await held(imap('alice')) + await held(imap('bob'))).toBe(2);
    await pool.close();
    expect(fake(source.connector).closed && fake(target.connector).closed).toBe(true);
    expect(await held(imap('alice')) + await held(imap('bob'))).toBe(0);
  });

  it('closes an idle connector after the idle timeout, freeing its slot', async () => {
    const { pool, held } = setup({}, { idleMs: 150 });
    const leased = await pool.source(imap('alice'));
    await leased.release(true);
    await sleep(50);
    expect(fake(leased.connector).closed).toBe(false);
    await sleep(300);
    expect(fake(leased.connector).closed).toBe(true);
    expect(await held(imap('alice'))).toBe(0);
  });

  it('frees the slot when the connect fails', async () => {
    const { pool, factory, held } = setup();
    factory.failConnect = true;
    await expect(pool.source(imap('alice'))).rejects.toThrow('login refused');
    expect(factory.created[0]!.closed).toBe(true);
    expect(await held(imap('alice'))).toBe(0);
  });

  it('makes a second lease wait while the account cap (1) is taken, and go on once the first is given back', async () => {
    const { pool, held } = setup({ connectionsPerAccount: 1 });
    const first = await pool.source(imap('alice'));
    const second = pool.source(imap('alice'));
    expect(await stateAfter(second, 300)).toBe('pending');
    await first.release(true);
    const leased = await second;
    // Given back while someone waited for its account: closed, so its slot went to the waiter.
    expect(fake(first.connector).closed).toBe(true);
    expect(await held(imap('alice'))).toBe(1);
    await leased.release(true);
  });

  it("closes this process's idle connectors of a full account rather than wait on itself", async () => {
    const { pool, held } = setup({ connectionsPerAccount: 1 });
    const asSource = await pool.source(imap('alice'));
    await asSource.release(true);
    const started = Date.now();
    const asTarget = await pool.target(imap('alice'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake(asSource.connector).closed).toBe(true);
    expect(await held(imap('alice'))).toBe(1);
    await asTarget.release(true);
  });

  it('takes both sides of a pair together and holds neither while one side is full', async () => {
    const { pool, governor, held } = setup({ connectionsPerAccount: 1 });
    // Another process holds bob's only slot.
    const [other] = await governor.acquire([claimFor(imap('bob'), { ...DEFAULT_GOVERNOR_LIMITS, connectionsPerAccount: 1 })!]);
    // alice's idle connector from an earlier job: reused only if the pair goes through at once.
    const earlier = await pool.source(imap('alice'));
    await earlier.release(true);

    const pair = pool.leasePair(imap('alice'), imap('bob'));
    expect(await stateAfter(pair, 300)).toBe('pending');
    expect(await held(imap('alice'))).toBe(0);
    expect(fake(earlier.connector).closed).toBe(true);
    await other!.release();
    const [source, target] = await pair;
    expect(fake(source.connector).account).toEqual(imap('alice'));
    expect(fake(target.connector).account).toEqual(imap('bob'));
    expect(await held(imap('alice')) + await held(imap('bob'))).toBe(2);
    await Promise.all([source.release(true), target.release(true)]);
  });

  it('gives a pair whose one side fails to connect back without leaking the slots', async () => {
    const { pool, factory, held } = setup();
    const reusedTarget = await pool.target(imap('bob'));
    await reusedTarget.release(true);
    factory.failConnect = true;
    await expect(pool.leasePair(imap('alice'), imap('bob'))).rejects.toThrow('login refused');
    expect(await held(imap('alice'))).toBe(0);
    // The target side was fine: back in the pool, still holding its slot.
    expect(await held(imap('bob'))).toBe(1);
    factory.failConnect = false;
    expect((await pool.target(imap('bob'))).connector).toBe(reusedTarget.connector);
  });

  it('needs no slot for a Maildir account', async () => {
    const { pool, keys } = setup({ connectionsPerAccount: 1 });
    expect(claimFor(maildir, DEFAULT_GOVERNOR_LIMITS)).toBeUndefined();
    const [source, target] = await pool.leasePair(maildir, maildir);
    expect(await redis.keys(`${keys.prefix}:*`)).toEqual([]);
    await Promise.all([source.release(true), target.release(true)]);
  });

  it("counts against the account's own maxConnections", async () => {
    const { pool, held } = setup({ connectionsPerAccount: 5 });
    const capped: ImapAccountSpec = { ...imap('carol'), maxConnections: 1 };
    const first = await pool.source(capped);
    expect(await stateAfter(pool.target(capped), 300)).toBe('pending');
    expect(await held(capped)).toBe(1);
    await first.release(true);
  });

  it('gives up with THROTTLED (retry later) after the slot timeout, and with InterruptedError at shutdown', async () => {
    const abort = new AbortController();
    const { pool } = setup({ connectionsPerAccount: 1 }, { slotTimeoutMs: 200, signal: abort.signal });
    const first = await pool.source(imap('alice'));
    const throttled = await pool.target(imap('alice')).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(ConnectorError);
    expect(throttled).toMatchObject({ code: 'THROTTLED', retry: 'later' });
    const interrupted = pool.target(imap('alice'));
    setTimeout(() => abort.abort(), 50);
    await expect(interrupted).rejects.toBeInstanceOf(InterruptedError);
    await first.release(true);
  });
});
