/** Pair modes in the config file: mirror and backup options, schedules, and the errors that name the fix. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfigFile } from '../../../src/config/config-file.js';
import { allowedDeletions } from '../../../src/config/sync-modes.js';

let dir: string;
let counter = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailferry-modes-test-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function load(pairs: string, extra = '') {
  counter += 1;
  const file = path.join(dir, `modes-${counter}.yaml`);
  fs.writeFileSync(file, `
accounts:
  old: { url: "imaps://alice@old.example.com", password: { env: A }, maxConnections: 3 }
  new: { url: "imaps://alice@new.example.com", password: { env: B } }
  pop: { url: "pop3s://alice@pop.example.com", password: { env: C } }
  archive: { url: "maildir:///var/backups/alice" }
pairs:
${pairs}
${extra}`);
  return loadConfigFile(file);
}

function loadError(pairs: string): string {
  try {
    load(pairs);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('config: pair modes', () => {
  it('defaults to migrate, without a schedule or watchers', () => {
    const config = load('  p: { source: old, target: new }');
    expect(config.pairs.get('p')?.mode).toBeUndefined();
    expect(config.services.get('p')).toEqual({ watch: [] });
  });

  it('gives a mirror its watchers, poll interval and deletion cap', () => {
    const config = load(`
  m:
    source: old
    target: new
    mode: mirror
    mirror: { watch: [INBOX, "Lists/**"], pollSeconds: 120, deleteCap: { percent: 5 } }`);
    expect(config.pairs.get('m')).toMatchObject({ mode: 'mirror', mirror: { deleteCap: { percent: 5, minimum: 10 }, confirmDeletes: false } });
    expect(config.services.get('m')).toEqual({ watch: ['INBOX', 'Lists/**'], pollSeconds: 120 });
  });

  it('puts an IMAP backup under Backup/<pair> with source names, and a Maildir backup at its root', () => {
    const config = load(`
  nightly: { source: old, target: new, mode: backup, backup: { keepDeletedDays: 30 } }
  local: { source: old, target: archive, mode: backup, schedule: "30 3 * * 0" }`);
    expect(config.pairs.get('nightly')).toMatchObject({ mode: 'backup', backup: { keepDeletedDays: 30 }, rules: { prefix: 'Backup/nightly', specialUse: false } });
    expect(config.services.get('nightly')).toEqual({ schedule: '0 2 * * *', watch: [] });
    expect(config.pairs.get('local')?.rules.prefix).toBeUndefined();
    expect(config.services.get('local')?.schedule).toBe('30 3 * * 0');
  });

  it('keeps per-account connection caps and the file\'s limits', () => {
    const config = load('  p: { source: old, target: new }', 'limits: { connectionsPerAccount: 4, loginsPerMinutePerServer: 30 }');
    expect(config.pairs.get('p')?.source).toMatchObject({ maxConnections: 3 });
    expect(config.limits).toEqual({ connectionsPerAccount: 4, loginsPerMinutePerServer: 30 });
  });

  it('names the fix for impossible combinations', () => {
    expect(loadError('  p: { source: pop, target: new, mode: mirror }')).toMatch(/mode mirror needs an IMAP or Graph source/);
    expect(loadError('  p: { source: old, target: new, schedule: "every day" }')).toMatch(/pairs\.p\.schedule: "every day" is not a cron pattern/);
    expect(loadError('  p: { source: old, target: new, mirror: { pollSeconds: 60 } }')).toMatch(/pairs\.p\.mirror: only for mode: mirror/);
    expect(loadError('  p: { source: old, target: new, mode: sync }')).toMatch(/pairs\.p\.mode/);
  });
});

describe('allowedDeletions', () => {
  it('is the share of the folder, but never below the minimum', () => {
    expect(allowedDeletions({ percent: 10, minimum: 10 }, 5)).toBe(10);
    expect(allowedDeletions({ percent: 10, minimum: 10 }, 1000)).toBe(100);
    expect(allowedDeletions({ percent: 0, minimum: 0 }, 1000)).toBe(0);
  });
});
