/**
 * The config-file form of migrate, its validation errors, and scale-out: a
 * `mailferry worker` on the same Redis takes folder jobs of a running migration.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
const corpus = buildCorpus({ seed: 17, count: 60 });

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

function writeConfig(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

function config(target: string, extra = ''): string {
  return `
redis: ${redis.url}
accounts:
  old:
    url: imap://src@127.0.0.1:${dovecot.imapPort}?tls=off
    password: { env: OLD_PASSWORD }
  new:
    url: imap://${target}@127.0.0.1:${dovecot.imapPort}?tls=off
    password: { file: ${join(dir, 'new-password')} }
pairs:
  alice:
    source: old
    target: new
${extra}`;
}

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: ['src', 'cfg', 'scaled', 'filtered'] }), startRedis()]);
  dir = await makeTempDir('config');
  writeFileSync(join(dir, 'new-password'), `${dovecot.password}\n`);
  await loadMessages(account('src'), corpus);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

const env = () => ({ OLD_PASSWORD: dovecot.password });

describe('migrate --config', () => {
  it('runs the pair from the file (password from an env var and from a file)', async () => {
    const file = writeConfig('cfg.yaml', config('cfg'));
    const run = await runCli(['migrate', '--config', file, '--pair', 'alice'], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(await snapshotAccount(account('cfg'))).toEqual(await snapshotAccount(account('src')));
  });

  it('applies folder rules: exclude and rename', async () => {
    const file = writeConfig('filtered.yaml', config('filtered', `    folders:
      exclude: ["Sent", "Archive/**"]
      rename: [{ from: "^Work & Play$", to: "Projects/Work" }]
`));
    const run = await runCli(['migrate', '--config', file], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    const folders = [...(await snapshotAccount(account('filtered'))).keys()].sort();
    expect(folders).toContain('Projects/Work');
    expect(folders.some((f) => f === 'Sent' || f.startsWith('Archive'))).toBe(false);
    expect(folders).toContain('INBOX');
  });

  it.each([
    ['an unknown account', () => config('cfg').replace('target: new', 'target: nobody'), /pairs\.alice\.target names account "nobody", which is not under accounts \(known: old, new\)/],
    ['a password given inline', () => config('cfg').replace('password: { env: OLD_PASSWORD }', 'password: hunter2'), /accounts\.old\.password: password must be \{ env: VARIABLE_NAME \} or \{ file: \/path\/to\/file \}/],
    ['an unknown key', () => `${config('cfg')}    folderz: {}\n`, /pairs\.alice: Unrecognized key: "folderz"/],
    ['a bad rename pattern', () => config('cfg', '    folders:\n      rename: [{ from: "(unclosed", to: "x" }]\n'), /pairs\.alice\.folders: .*\(unclosed/],
    ['YAML that does not parse', () => 'accounts: [\n', /not valid YAML/],
  ])('%s is refused with exit code 2 and the place to fix', async (_name, body, message) => {
    const file = writeConfig('bad.yaml', body());
    const run = await runCli(['migrate', '--config', file], { env: env(), timeoutMs: 20_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('mailferry worker', () => {
  it('takes folder jobs of a migration running on the same Redis', async () => {
    const file = writeConfig('scaled.yaml', config('scaled'));
    const worker = startCli(['worker', '--config', file], { env: env(), timeoutMs: 60_000 });
    await new Promise<void>((resolve) => worker.child.stderr.on('data', (d: Buffer) => { if (String(d).includes('worker started')) resolve(); }));

    const run = await runCli(['migrate', '--config', file, '--concurrency', '1'], { env: env() });
    worker.child.kill('SIGTERM');
    const stopped = await worker.result;

    expect(run.code, run.stderr).toBe(0);
    expect(stopped.code, stopped.stderr).toBe(143);
    // Seven folders, one at a time in migrate: the idle worker (4 at a time) takes some.
    expect(stopped.stderr).toContain('"msg":"folder done"');
    expect(await snapshotAccount(account('scaled'))).toEqual(await snapshotAccount(account('src')));
  });

  it('whose Redis is gone, stops on a second SIGTERM at once (the first waits for a stop that cannot finish)', async () => {
    const lost = await startRedis();
    const file = writeConfig('lost-redis.yaml', config('scaled').replace(`redis: ${redis.url}`, `redis: ${lost.url}`));
    const worker = startCli(['worker', '--config', file], { env: env(), timeoutMs: 60_000 });
    await new Promise<void>((resolve) => worker.child.stderr.on('data', (d: Buffer) => { if (String(d).includes('worker started')) resolve(); }));
    await lost.destroy();
    worker.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(worker.child.exitCode, 'still stopping: its Redis is gone').toBeNull();
    const second = Date.now();
    worker.child.kill('SIGTERM');
    const stopped = await worker.result;
    expect(stopped.code, stopped.stderr.slice(-2000)).toBe(143);
    expect(Date.now() - second).toBeLessThan(5000);
    expect(stopped.stderr).toContain('second signal: exiting now');
  });
});
