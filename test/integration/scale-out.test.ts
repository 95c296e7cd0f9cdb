/**
 * Scale-out through the real CLI: 20 pairs in one config, three `mailferry worker`
 * processes on one Redis, and `mailferry enqueue` queuing one run per pair. Every pair
 * completes exactly once, every target equals its source, the work is spread over more
 * than one worker, and the connection governor never let more than
 * `limits.connectionsPerAccount` (2) connections to one account be open at once, across
 * all processes (its high-water marks in Redis).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunResult, type StartedCli } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const PAIRS = 20;
const WORKERS = 3;
const PER_ACCOUNT = 2;
const names = Array.from({ length: PAIRS }, (_, i) => String(i + 1).padStart(2, '0'));

let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
const workers: StartedCli[] = [];
/** Everything each worker logged, by index. */
const logged: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

const env = () => ({ MAIL_PASSWORD: dovecot.password });

function configText(): string {
  const accounts = names.flatMap((n) => ['src', 'dst'].map((side) => `  ${side}${n}:
    url: imap://${side}${n}@127.0.0.1:${dovecot.imapPort}?tls=off
    password: { env: MAIL_PASSWORD }
`)).join('');
  const pairs = names.map((n) => `  pair${n}:\n    source: src${n}\n    target: dst${n}\n`).join('');
  return `redis: ${redis.url}
limits:
  connectionsPerAccount: ${PER_ACCOUNT}
accounts:
${accounts}pairs:
${pairs}`;
}

interface StatusRun { runId: string; pair: string; state: string; copied: number; error: string | null }
interface Status {
  pairs: Array<{ pair: string; current: StatusRun | null; last: StatusRun | null }>;
  runs: StatusRun[];
}

async function status(): Promise<Status> {
  const run = await runCli(['status', '--json', '--limit', '200', '--redis', redis.url], { timeoutMs: 30_000 });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Status;
}

/** Every `mailferry:governor:<scope>:<hash>:peak` key with its value. */
async function governorPeaks(): Promise<Map<string, number>> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await client.connect();
  try {
    const peaks = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'mailferry:governor:*:peak', 'COUNT', 1000);
      cursor = next;
      for (const key of keys) peaks.set(key, Number(await client.get(key)));
    } while (cursor !== '0');
    return peaks;
  } finally {
    client.disconnect();
  }
}

/** The warn and error lines the workers logged so far (pino levels 40 and up). */
function workerWarnings(): string {
  return logged.flatMap((text, i) => text.split('\n').filter((l) => /"level":[456]\d/.test(l)).map((l) => `worker ${i + 1}: ${l}`)).join('\n');
}

async function stopWorker(worker: StartedCli): Promise<RunResult> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  return worker.result;
}

beforeAll(async () => {
  [dovecot, redis, dir] = await Promise.all([
    startDovecot({ users: names.flatMap((n) => [`src${n}`, `dst${n}`]) }),
    startRedis(),
    makeTempDir('scale-out'),
  ]);
  // A few messages in two folders per source, each source different.
  await Promise.all(names.map((n, i) => loadMessages(account(`src${n}`), buildCorpus({ seed: 500 + i, count: 8, folders: ['INBOX', 'Work'] }))));
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await Promise.all([dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('enqueue + 3 workers, 20 pairs, connectionsPerAccount 2', () => {
  it('completes every pair exactly once, every target equals its source, work spread over workers, no account over 2 connections', async () => {
    const config = path.join(dir, 'fleet.yaml');
    writeFileSync(config, configText());

    const ready: Array<Promise<void>> = [];
    for (let i = 0; i < WORKERS; i++) {
      const worker = startCli(['worker', '--config', config, '--concurrency', '4'], { env: env(), timeoutMs: 110_000 });
      workers.push(worker);
      ready.push(new Promise<void>((resolve, reject) => {
        let seen = '';
        logged[i] = '';
        const timer = setTimeout(() => reject(new Error(`worker ${i + 1} did not log "worker started" within 30 s:\n${seen}`)), 30_000);
        worker.child.stderr.on('data', (d: string | Buffer) => {
          seen += String(d);
          logged[i] = seen;
          if (seen.includes('worker started')) {
            clearTimeout(timer);
            resolve();
          }
        });
        worker.child.once('exit', (code) => reject(new Error(`worker ${i + 1} exited with ${code}:\n${seen}`)));
      }));
    }
    await Promise.all(ready);

    // enqueue returns as soon as the runs are queued.
    const queued = Date.now();
    const enqueue = await runCli(['enqueue', '--config', config], { env: env(), timeoutMs: 30_000 });
    expect(enqueue.code, enqueue.stderr).toBe(0);
    expect(enqueue.stderr.match(/: queued run /g)?.length, enqueue.stderr).toBe(PAIRS);
    console.log(`enqueue returned after ${Date.now() - queued} ms`);

    let last: Status | undefined;
    const deadline = Date.now() + 75_000;
    for (;;) {
      last = await status();
      const done = last.pairs.filter((p) => p.current === null && p.last !== null && p.last.state !== 'running');
      if (done.length === PAIRS) break;
      if (Date.now() > deadline) throw new Error(`not every pair finished within 75 s: ${JSON.stringify(last.pairs.map((p) => [p.pair, p.current?.state ?? null, p.last?.state ?? null]))}`);
      await sleep(1000);
    }
    console.log(`20 pairs done ${((Date.now() - queued) / 1000).toFixed(1)} s after enqueue`);

    // Exactly one run per pair, completed, with every message counted as copied. A failure
    // shows the workers' warnings too (a retried folder job says why it was retried).
    const runsPerPair = new Map<string, StatusRun[]>();
    for (const run of last.runs) runsPerPair.set(run.pair, [...(runsPerPair.get(run.pair) ?? []), run]);
    const runsSeen = names.map((n) => ({ pair: `pair${n}`, runs: (runsPerPair.get(`pair${n}`) ?? []).map((r) => `${r.state}:${r.copied}${r.error ? `:${r.error}` : ''}`) }));
    expect(runsSeen, `runs per pair; worker warnings:\n${workerWarnings()}`).toEqual(names.map((n) => ({ pair: `pair${n}`, runs: ['completed:8'] })));

    // Every target equals its source.
    for (const n of names) {
      expect(await snapshotAccount(account(`dst${n}`)), `dst${n}`).toEqual(await snapshotAccount(account(`src${n}`)));
    }

    // Stop the workers; more than one of them did folder jobs.
    const results = await Promise.all(workers.map(stopWorker));
    for (const r of results) expect(r.code, r.stderr.slice(-2000)).toBe(143);
    const folderJobs = results.map((r) => r.stderr.split('\n').filter((l) => l.includes('"msg":"folder done"')).length);
    console.log(`folder jobs per worker: ${folderJobs.join(', ')}`);
    expect(folderJobs.filter((count) => count > 0).length).toBeGreaterThan(1);
    expect(folderJobs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2 * PAIRS);

    // Governor high-water marks: one per account used (40) and per server; no account above 2.
    const peaks = await governorPeaks();
    const accountPeaks = [...peaks].filter(([key]) => key.includes(':governor:account:'));
    const serverPeaks = [...peaks].filter(([key]) => key.includes(':governor:server:'));
    const histogram = accountPeaks.reduce<Record<string, number>>((acc, [, v]) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
    console.log(`governor peaks: ${accountPeaks.length} accounts (accounts by peak: ${JSON.stringify(histogram)}); server ${serverPeaks.map(([, v]) => v).join(', ')}`);
    expect(accountPeaks.length).toBe(2 * PAIRS);
    for (const [key, peak] of accountPeaks) expect(peak, key).toBeLessThanOrEqual(PER_ACCOUNT);
  }, 115_000);
});
