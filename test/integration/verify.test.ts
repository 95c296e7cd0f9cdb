/**
 * `mailferry verify` against real Dovecot accounts: identical after a migration (IMAP,
 * Maildir target, POP3 source), then each kind of difference found and counted after
 * the target is changed behind its back; usage and account errors have their exit codes.
 * Also `--report FILE` of migrate: the JSON a run leaves behind.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type RunResult } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { connectImap, loadMessages, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { imapUrl, migrateUrls, pop3Url } from './migrate-cli.js';

let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
const corpus = buildCorpus({ seed: 23, count: 40 });

const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });
const env = () => ({ MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password });

function verify(source: string, target: string, extra: string[] = []): Promise<RunResult> {
  return runCli(['verify', '--source', source, '--target', target, ...extra], { env: env(), timeoutMs: 60_000 });
}

const lastLine = (run: RunResult): string => run.stdout.trim().split('\n').at(-1) ?? '';

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([startDovecot({ users: ['src', 'dst', 'pop', 'popdst'] }), startRedis()]);
  dir = await makeTempDir('verify');
  await loadMessages(account('src'), corpus);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('migrate --report', () => {
  it('writes the run as JSON, atomically, with per-folder counts and totals', async () => {
    const report = join(dir, 'report.json');
    const run = await migrateUrls(dovecot, imapUrl(dovecot, 'src'), imapUrl(dovecot, 'dst'), { redisUrl: redis.url, args: ['--report', report] });
    expect(run.code, run.stderr).toBe(0);
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown> & {
      folders: Array<Record<string, unknown>>; totals: Record<string, number>;
    };
    expect(parsed).toMatchObject({ state: 'completed', exitCode: 0, pair: expect.stringContaining('src@') });
    expect(typeof parsed['runId']).toBe('string');
    expect(Date.parse(String(parsed['startedAt']))).not.toBeNaN();
    expect(Date.parse(String(parsed['finishedAt']))).not.toBeNaN();
    expect(parsed.folders.length).toBeGreaterThan(3);
    for (const folder of parsed.folders) {
      expect(Object.keys(folder)).toEqual(expect.arrayContaining(['sourcePath', 'targetPath', 'outcome', 'selected', 'copied', 'alreadyThere', 'quarantined', 'vanished', 'bytes', 'quarantine']));
    }
    expect(parsed.totals['copied']).toBe(corpus.length);
    expect(parsed.totals['bytes']).toBe(corpus.reduce((sum, m) => sum + m.raw.length, 0));
    // No temporary file left next to it.
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('mailferry verify', () => {
  it('finds a migrated account identical (IMAP -> IMAP)', async () => {
    const run = await verify(imapUrl(dovecot, 'src'), imapUrl(dovecot, 'dst'));
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(lastLine(run)).toBe(`VERIFY identical: folders=${new Set(corpus.map((m) => m.folder)).size} messages=${corpus.length} missing=0 extra=0 flags=0 dates=0`);
  });

  it('finds a Maildir backup target identical', async () => {
    const maildir = `maildir://${join(dir, 'Maildir')}`;
    const run = await migrateUrls(dovecot, imapUrl(dovecot, 'src'), maildir, { redisUrl: redis.url });
    expect(run.code, run.stderr).toBe(0);
    const checked = await verify(imapUrl(dovecot, 'src'), maildir);
    expect(checked.code, checked.stderr + checked.stdout).toBe(0);
    expect(lastLine(checked)).toMatch(/^VERIFY identical: .* missing=0 extra=0 flags=0 dates=0$/);
  });

  it('compares a POP3 source by content only, into its --pop3-folder', async () => {
    await loadMessages(account('pop'), corpus.filter((m) => m.folder === 'INBOX'));
    const run = await migrateUrls(dovecot, pop3Url(dovecot, 'pop'), imapUrl(dovecot, 'popdst'), { redisUrl: redis.url, args: ['--pop3-folder', 'Imported/POP'] });
    expect(run.code, run.stderr).toBe(0);
    const checked = await verify(pop3Url(dovecot, 'pop'), imapUrl(dovecot, 'popdst'), ['--pop3-folder', 'Imported/POP']);
    expect(checked.code, checked.stderr + checked.stdout).toBe(0);
    expect(checked.stdout).toContain('INBOX -> Imported/POP: identical');
    expect(checked.stdout).toContain('only content is compared');
  });

  it('reports missing, extra, flag and date differences and exits 1', async () => {
    const client = await connectImap(account('dst'));
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const uids = (await client.search({ all: true }, { uid: true })) || [];
        expect(uids.length).toBeGreaterThanOrEqual(3);
        await client.messageFlagsAdd(String(uids[1]), ['$VerifyProbe'], { uid: true });
        // Same bytes, another date: one missing (deleted) and one with a different date.
        const [first] = await client.fetchAll(String(uids[2]), { source: true, flags: true }, { uid: true });
        await client.append('INBOX', first!.source!, [...(first!.flags ?? [])], new Date('2001-02-03T04:05:06Z'));
        await client.messageDelete(String(uids[2]), { uid: true });
        await client.messageDelete(String(uids[0]), { uid: true });
        await client.append('INBOX', Buffer.from('From: x@example.org\r\nSubject: extra\r\nMessage-ID: <extra@example.org>\r\n\r\nextra\r\n'), []);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    const run = await verify(imapUrl(dovecot, 'src'), imapUrl(dovecot, 'dst'));
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(lastLine(run)).toMatch(/^VERIFY differs: folders=\d+ messages=\d+ missing=1 extra=1 flags=1 dates=1$/);
    expect(run.stdout).toMatch(/INBOX: differs: missing 1, extra 1, flags 1, dates 1/);
    expect(run.stdout).toMatch(/missing on target: UID \d+/);
    expect(run.stdout).toMatch(/flags differ: .*\$verifyprobe/i);

    const json = await verify(imapUrl(dovecot, 'src'), imapUrl(dovecot, 'dst'), ['--json']);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { result: string; totals: Record<string, number>; pairs: Array<{ folders: Array<{ sourcePath: string; missing: number }> }> };
    expect(parsed.result).toBe('differs');
    expect(parsed.totals).toMatchObject({ missing: 1, extra: 1, flags: 1, dates: 1 });
    expect(parsed.pairs[0]?.folders.find((f) => f.sourcePath === 'INBOX')?.missing).toBe(1);
  });

  it('compares a backup pair with its prefix, and notes that extra mail may be expected', async () => {
    const config = join(dir, 'backup.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, `
redis: ${redis.url}
accounts:
  old: { url: "${imapUrl(dovecot, 'src')}", password: { env: MAILFERRY_SOURCE_PASSWORD } }
  new: { url: "${imapUrl(dovecot, 'popdst')}", password: { env: MAILFERRY_TARGET_PASSWORD } }
pairs:
  keep:
    source: old
    target: new
    mode: backup
    backup: { prefix: "Backup/old" }
`);
    const run = await runCli(['migrate', '--config', config], { env: env(), timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const checked = await runCli(['verify', '--config', config, 'keep'], { env: env(), timeoutMs: 60_000 });
    expect(checked.code, checked.stderr + checked.stdout).toBe(0);
    expect(checked.stdout).toMatch(/INBOX -> Backup\/old\/INBOX: identical/);
    expect(checked.stdout).toContain('extra messages on the target may be expected');
  });

  it('exits 2 on usage errors and 3 when an account cannot log in', async () => {
    const usage = await runCli(['verify'], { env: env(), timeoutMs: 20_000 });
    expect(usage.code).toBe(2);
    const ews = await verify(imapUrl(dovecot, 'src'), 'ews://a@127.0.0.1:1/EWS/Exchange.asmx?tls=off&auth=basic');
    expect(ews.code).toBe(2);
    expect(ews.stderr).toContain('not supported for ews targets yet');
    const refused = await runCli(['verify', '--source', imapUrl(dovecot, 'src'), '--target', imapUrl(dovecot, 'dst')], {
      env: { MAILFERRY_SOURCE_PASSWORD: 'wrong-password', MAILFERRY_TARGET_PASSWORD: dovecot.password }, timeoutMs: 60_000,
    });
    expect(refused.code, refused.stderr).toBe(3);
  });
});
