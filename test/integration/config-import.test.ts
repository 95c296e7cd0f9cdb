/**
 * `mailferry config import` through the real CLI: imapsync's bulk lines become a config
 * whose passwords are files, and `migrate --config` with it copies every pair; a file with
 * bad lines is refused with their line numbers and leaves nothing behind.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages, snapshotAccount, type AccountRef } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;

const account = (user: string): AccountRef => ({ port: dovecot.imapPort, user, password: dovecot.password });

beforeAll(async () => {
  [dovecot, redis, dir] = await Promise.all([startDovecot({ users: ['ann-old', 'ann-new', 'bob-old', 'bob-new'] }), startRedis(), makeTempDir('config-import')]);
  await loadMessages(account('ann-old'), buildCorpus({ seed: 71, count: 6, folders: ['INBOX', 'Work'] }));
  await loadMessages(account('bob-old'), buildCorpus({ seed: 72, count: 5, folders: ['INBOX'] }));
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('mailferry config import', () => {
  it('turns imapsync lines into a config with password files, and migrate --config copies every pair', async () => {
    const lines = path.join(dir, 'accounts.txt');
    const pw = dovecot.password;
    writeFileSync(lines, `# host1;user1;password1;host2;user2;password2\n127.0.0.1;ann-old;${pw};127.0.0.1;ann-new;${pw}\n127.0.0.1;bob-old;${pw};127.0.0.1;bob-new;${pw};\n`);
    const config = path.join(dir, 'pairs.yaml');
    const template = `imap://{user}@{host}:${dovecot.imapPort}?tls=off`;
    const imported = await runCli(['config', 'import', lines, '--source-template', template, '--target-template', template, '--secrets-dir', path.join(dir, 'secrets'), '--output', config]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(readdirSync(path.join(dir, 'secrets')).sort()).toEqual(['ann-old.source', 'ann-old.target', 'bob-old.source', 'bob-old.target']);

    const run = await runCli(['migrate', '--config', config, '--redis', redis.url], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(await snapshotAccount(account('ann-new'))).toEqual(await snapshotAccount(account('ann-old')));
    expect(await snapshotAccount(account('bob-new'))).toEqual(await snapshotAccount(account('bob-old')));
  });

  it('refuses a file with bad lines, naming each by its number, and writes nothing', async () => {
    const lines = path.join(dir, 'bad.txt');
    writeFileSync(lines, '127.0.0.1;a;pw;127.0.0.1;b;pw\n127.0.0.1;a;pw;127.0.0.1\nold.example.com;c;;new.example.com;c;pw\n');
    const imported = await runCli(['config', 'import', lines, '--secrets-dir', path.join(dir, 'bad-secrets')]);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain(`${lines}:2: 4 fields; expected host1;user1;password1;host2;user2;password2`);
    expect(imported.stderr).toContain(`${lines}:3: empty password1`);
    expect(imported.stdout).toBe('');
    expect(existsSync(path.join(dir, 'bad-secrets'))).toBe(false);
  });
});
