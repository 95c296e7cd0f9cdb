/**
 * The HTTP endpoints of a long-running process (issue 6): a `mailferry worker` with
 * --http-port works a queued migration of a few hundred messages while the test reads
 * /healthz, /readyz, /metrics and /dashboard. Every wait is bounded.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type StartedCli } from '../support/cli.js';
import { buildCorpus, DEFAULT_FOLDERS } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, type AccountRef } from '../support/imap-account.js';
import { freePort } from '../support/ports.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const TOKEN = 'dashboard-test-token-4f9c';
const COUNT = 300;
const SOURCE_USER = 'metricsource';
const TARGET_USER = 'metrictarget';

let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
let worker: StartedCli | undefined;
let base: string;
let configFile: string;

const env = () => ({ OLD_PASSWORD: dovecot.password, NEW_PASSWORD: dovecot.password, MAILFERRY_DASHBOARD_TOKEN: TOKEN });

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(5000) });
}

/** Sum of a metric's samples (every label set), from Prometheus text. */
function sample(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m?.[1] === name) sum += Number(m[3]);
  }
  return sum;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: [SOURCE_USER, TARGET_USER] }), startRedis()]);
  dir = await makeTempDir('http');
  const source: AccountRef = { port: dovecot.imapPort, user: SOURCE_USER, password: dovecot.password };
  await loadMessages(source, buildCorpus({ seed: 61, count: COUNT }));
  configFile = join(dir, 'mailferry.yaml');
  writeFileSync(configFile, `
redis: ${redis.url}
options:
  pageSize: 25
accounts:
  old:
    url: imap://${SOURCE_USER}@127.0.0.1:${dovecot.imapPort}?tls=off
    password: { env: OLD_PASSWORD }
  new:
    url: imap://${TARGET_USER}@127.0.0.1:${dovecot.imapPort}?tls=off
    password: { env: NEW_PASSWORD }
pairs:
  alicepair:
    source: old
    target: new
`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  worker = startCli(['worker', '--config', configFile, '--concurrency', '1', '--http-port', String(port)], { env: env(), timeoutMs: 120_000 });
  await until('/healthz', async () => ((await get('/healthz')).status === 200 ? true : undefined));
}, 120_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.result;
  }
  await Promise.all([dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('worker --http-port', () => {
  it('answers /healthz and /readyz', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    const ready = await until('/readyz 200', async () => {
      const res = await get('/readyz');
      return res.status === 200 ? res : undefined;
    });
    expect(await ready.json()).toEqual({ ready: true });
  });

  it('counts a migration in /metrics while it runs, with no account, host or folder in it', async () => {
    const before = await (await get('/metrics')).text();
    expect(sample(before, 'mailferry_messages_copied_total')).toBe(0);
    expect(before).toContain('process_cpu_user_seconds_total');
    expect(before).toMatch(/mailferry_queue_jobs\{queue="work",state="waiting"\} 0/);

    const run = runCli(['enqueue', '--config', configFile, '--wait'], { env: env(), timeoutMs: 100_000 });
    let finished = false;
    void run.finally(() => { finished = true; });
    // Scrape while the run goes: the copied count only grows, and some scrape sees it part-way.
    const during: number[] = [];
    while (!finished) {
      during.push(sample(await (await get('/metrics')).text(), 'mailferry_messages_copied_total'));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const result = await run;
    expect(result.code, result.stderr).toBe(0);

    const after = await (await get('/metrics')).text();
    expect(sample(after, 'mailferry_messages_copied_total')).toBe(COUNT);
    expect([...during].sort((a, b) => a - b)).toEqual(during);
    expect(during.some((n) => n > 0 && n < COUNT), `scrapes during the run: ${during.join(',')}`).toBe(true);
    expect(sample(after, 'mailferry_bytes_copied_total')).toBeGreaterThan(COUNT * 100);
    // Counted page by page: every message handled once.
    expect(sample(after, 'mailferry_messages_processed_total')).toBe(COUNT);
    expect(sample(after, 'mailferry_messages_quarantined_total')).toBe(0);
    expect(after).toMatch(/mailferry_folders_total\{protocol="imap",outcome="done"\} \d+/);
    expect(after).toMatch(/mailferry_job_duration_seconds_count\{job="folder",outcome="completed"\} \d+/);
    expect(after).toMatch(/mailferry_job_duration_seconds_count\{job="plan",outcome="completed"\} 1/);
    expect(after).toContain('mailferry_connections_open{protocol="imap",side="source"}');
    expect(after).toMatch(/mailferry_queue_jobs\{queue="work",state="active"\} 0/);

    for (const secret of [SOURCE_USER, TARGET_USER, 'alicepair', '127.0.0.1', String(dovecot.imapPort), dovecot.password, TOKEN]) {
      expect(after).not.toContain(secret);
    }
    for (const folder of DEFAULT_FOLDERS) expect(after).not.toContain(folder);
  }, 120_000);

  it('opens the dashboard with the token only', async () => {
    expect((await get('/dashboard')).status).toBe(401);
    expect((await get('/dashboard', { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await get('/dashboard?token=wrong')).status).toBe(403);
    const page = await get('/dashboard', { authorization: `Bearer ${TOKEN}` });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const api = await get('/dashboard/api/queues', { authorization: `Bearer ${TOKEN}` });
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain('"work"');

    // A browser: ?token= sets an HttpOnly cookie and redirects to the address without it.
    const login = await get(`/dashboard?token=${TOKEN}`);
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/dashboard');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).not.toContain(TOKEN);
    const withCookie = await get('/dashboard', { cookie: cookie.split(';')[0] ?? '' });
    expect(withCookie.status).toBe(200);
    expect((await get('/dashboard', { cookie: 'mailferry_dashboard=forged' })).status).toBe(403);
  });

  it('is not ready while Redis may evict keys', async () => {
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const res = await get('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ready: false, reason: 'redis maxmemory-policy is not noeviction' });
      expect((await get('/healthz')).status).toBe(200);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
    }
    expect((await get('/readyz')).status).toBe(200);
  });

  it('stops serving when the worker stops', async () => {
    worker?.child.kill('SIGTERM');
    const stopped = await worker?.result;
    expect(stopped?.code, stopped?.stderr).toBe(143);
    await expect(get('/healthz')).rejects.toThrow();
  });
});

describe('migrate --http-port', () => {
  it('refuses a port that is taken, with exit code 2', async () => {
    const taken = Number(new URL(base).port);
    // The worker above has stopped: hold the port ourselves.
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(taken, '127.0.0.1', resolve));
    try {
      const run = await runCli(['migrate', '--config', configFile, '--http-port', String(taken)], { env: env(), timeoutMs: 30_000 });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/cannot serve HTTP on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    } finally {
      holder.close();
    }
  });
});
