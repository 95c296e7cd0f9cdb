/**
 * The queue dashboard in a real browser (Debian's chromium, headless, driven by
 * playwright-core): open it with ?token=, wait for the queue to render, keep a screenshot
 * in test-output/dashboard.png.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, startCli, type StartedCli } from '../support/cli.js';
import { freePort } from '../support/ports.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const TOKEN = 'screenshot-token-7d21';
const CHROMIUM = '/usr/bin/chromium';

let redis: RedisServer;
let dir: string;
let worker: StartedCli | undefined;
let browser: Browser | undefined;
let base: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = await makeTempDir('dashboard');
  const config = join(dir, 'mailferry.yaml');
  // No mail server: the dashboard only needs the queue; the pair's run waits in it.
  writeFileSync(config, `
redis: ${redis.url}
accounts:
  old: { url: "imap://nobody@127.0.0.1:1?tls=off", password: { env: OLD_PASSWORD } }
  new: { url: "imap://nobody@127.0.0.1:2?tls=off", password: { env: OLD_PASSWORD } }
pairs:
  shown:
    source: old
    target: new
`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  worker = startCli(['worker', '--config', config, '--http-port', String(port)], {
    env: { OLD_PASSWORD: 'unused', MAILFERRY_DASHBOARD_TOKEN: TOKEN }, timeoutMs: 120_000,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not start')), 30_000);
    worker?.child.stderr.on('data', (d: Buffer) => {
      if (String(d).includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // A run in the queue, so the dashboard has a job to show (it fails fast: nothing listens on those ports).
  const enqueued = await runCli(['enqueue', '--config', config], { env: { OLD_PASSWORD: 'unused' }, timeoutMs: 30_000 });
  expect(enqueued.code, enqueued.stderr).toBe(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.result;
  }
  await Promise.all([redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('the queue dashboard', () => {
  it('renders the served queue in a browser opened with the token', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const response = await page.goto(`${base}/dashboard?token=${TOKEN}`, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    expect(response?.status()).toBe(200);
    // The redirect dropped the token from the address.
    expect(page.url()).toBe(`${base}/dashboard`);
    await page.getByText('work', { exact: true }).first().waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);

    const outDir = join(repoRoot, 'test-output');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, 'dashboard.png');
    writeFileSync(file, await page.screenshot({ fullPage: true }));
    expect(statSync(file).size).toBeGreaterThan(5_000);
    expect(await page.getByText('work', { exact: true }).count()).toBeGreaterThan(0);
    expect(await page.content()).not.toContain(TOKEN);
  }, 60_000);
});
