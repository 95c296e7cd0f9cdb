/**
 * The embedded default: no Redis given, mailferry starts a private redis-server under
 * the state directory, reuses it on the next run, and starts it again (from its AOF)
 * after it was killed. Secrets never reach its files or the logs.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { migrate, total } from './migrate-cli.js';

let dovecot: DovecotServer;
let stateDir: string;
const corpus = buildCorpus({ seed: 3, count: 20 });

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

function redisPid(): number {
  return Number(readFileSync(join(stateDir, 'redis', 'redis.pid'), 'utf8').trim());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : statSync(path).isFile() ? [path] : [];
  });
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: ['src', 'dst'] });
  await loadMessages(account('src'), corpus);
  stateDir = await makeTempDir('state');
});

afterAll(async () => {
  // The embedded redis-server outlives each run by design; this test started it, so it ends it.
  try {
    const pid = redisPid();
    if (alive(pid)) process.kill(pid, 'SIGTERM');
  } catch {
    // never started
  }
  await dovecot?.stop();
  if (stateDir) await removeTempDir(stateDir);
});

describe('the embedded Redis', () => {
  const args = () => ['--state-dir', stateDir];

  it('is started under the state directory when no Redis is given, and reused by the next run', async () => {
    const first = await migrate(dovecot, 'src', 'dst', { args: args() });
    expect(first.code, first.stderr).toBe(0);
    expect(total(first, 'copied')).toBe(corpus.length);
    const pid = redisPid();
    expect(alive(pid)).toBe(true);

    const second = await migrate(dovecot, 'src', 'dst', { args: args() });
    expect(second.code, second.stderr).toBe(0);
    expect(total(second, 'copied')).toBe(0);
    expect(redisPid()).toBe(pid);
  });

  it('is started again from its AOF after it was killed, and the state survived', async () => {
    const pid = redisPid();
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));

    const run = await migrate(dovecot, 'src', 'dst', { args: args() });
    expect(run.code, run.stderr).toBe(0);
    expect(redisPid()).not.toBe(pid);
    // The checkpoints came back from the AOF: nothing copied, nothing had to be re-matched.
    expect(total(run, 'copied')).toBe(0);
    expect(total(run, 'alreadyThere')).toBe(0);
    expect(await snapshotAccount(account('dst'))).toEqual(await snapshotAccount(account('src')));
  });

  it('holds no password in its files, and no log line shows one', async () => {
    const run = await migrate(dovecot, 'src', 'dst', { args: args() });
    expect(run.code).toBe(0);
    const files = filesUnder(join(stateDir, 'redis'));
    expect(files.some((file) => file.includes('appendonly'))).toBe(true);
    for (const file of files.filter((f) => !f.endsWith('.sock'))) {
      expect(readFileSync(file).includes(dovecot.password), file).toBe(false);
    }
    expect(run.stdout + run.stderr).not.toContain(dovecot.password);
  });

  it('`mailferry status` reports the runs from it', async () => {
    const run = await runCli(['status', '--json', '--state-dir', stateDir], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as { runs: Array<{ state: string; copied: number; messages: { done: number; total: number } }> };
    expect(status.runs.length).toBeGreaterThanOrEqual(4);
    expect(status.runs.every((r) => r.state === 'completed')).toBe(true);
    expect(status.runs.at(-1)?.copied).toBe(corpus.length);
    expect(status.runs.at(-1)?.messages).toEqual({ done: corpus.length, total: corpus.length });
  });
});

describe('the embedded Redis stops when nobody needs it', () => {
  const pidIn = (dir: string) => Number(readFileSync(join(dir, 'redis', 'redis.pid'), 'utf8').trim());
  async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('after MAILFERRY_REDIS_IDLE_MINUTES without a client; the summary says where it lives; the next run starts it again, its state kept', async () => {
    const dir = await makeTempDir('idle-state');
    try {
      await dovecot.addUser('idle');
      const env = { MAILFERRY_REDIS_IDLE_MINUTES: '0.02' };
      const first = await migrate(dovecot, 'src', 'idle', { args: ['--state-dir', dir], env, json: false });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain(`State: embedded Redis in ${join(dir, 'redis')}; it stops after 0.02 min without a client (mailferry state stop: now).`);
      const pid = pidIn(dir);
      await until('the idle embedded Redis stopped', () => !alive(pid), 15_000);

      const again = await migrate(dovecot, 'src', 'idle', { args: ['--state-dir', dir], env });
      expect(again.code, again.stderr).toBe(0);
      expect(total(again, 'copied')).toBe(0);
      // Stopped cleanly, redis-server removes its pid file.
      await until('stopped again', () => !existsSync(join(dir, 'redis', 'redis.pid')), 15_000);
    } finally {
      await removeTempDir(dir);
    }
  });

  it('at once when its state directory is deleted, and by `mailferry state stop`', async () => {
    const gone = await makeTempDir('gone-state');
    await dovecot.addUser('gone');
    const run = await migrate(dovecot, 'src', 'gone', { args: ['--state-dir', gone] });
    expect(run.code, run.stderr).toBe(0);
    const pid = pidIn(gone);
    expect(alive(pid)).toBe(true);
    await removeTempDir(gone);
    await until('the embedded Redis of a deleted state directory stopped', () => !alive(pid), 15_000);

    const kept = await makeTempDir('stop-state');
    try {
      await dovecot.addUser('kept');
      expect((await migrate(dovecot, 'src', 'kept', { args: ['--state-dir', kept] })).code).toBe(0);
      const keptPid = pidIn(kept);
      const stopped = await runCli(['state', 'stop', '--state-dir', kept], { timeoutMs: 20_000 });
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stdout).toContain(`stopped the embedded Redis in ${join(kept, 'redis')}`);
      await until('stopped by state stop', () => !alive(keptPid), 10_000);
      const again = await runCli(['state', 'stop', '--state-dir', kept], { timeoutMs: 20_000 });
      expect(again.stdout).toContain('no embedded Redis is running');
    } finally {
      await removeTempDir(kept);
    }
  });
});

describe('two runs starting the embedded Redis at once', () => {
  it('start one server, and both complete', async () => {
    const dir = await makeTempDir('state2');
    try {
      await dovecot.addUser('twin1');
      await dovecot.addUser('twin2');
      const [a, b] = await Promise.all([
        migrate(dovecot, 'src', 'twin1', { args: ['--state-dir', dir] }),
        migrate(dovecot, 'src', 'twin2', { args: ['--state-dir', dir] }),
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(await snapshotAccount(account('twin1'))).toEqual(await snapshotAccount(account('src')));
      expect(await snapshotAccount(account('twin2'))).toEqual(await snapshotAccount(account('src')));
    } finally {
      try {
        const pid = Number(readFileSync(join(dir, 'redis', 'redis.pid'), 'utf8').trim());
        if (alive(pid)) process.kill(pid, 'SIGTERM');
      } catch {
        // never started
      }
      await removeTempDir(dir);
    }
  });
});
