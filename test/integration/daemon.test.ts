/**
 * `mailferry daemon --config FILE` through the real CLI against a private Dovecot and Redis:
 * - restart: a mirror pair keeps following a source that receives mail while the daemon
 *   AND Redis are killed with SIGKILL and restarted; in the end every message is on the
 *   target exactly once, with its flags;
 * - backup schedule: a `mode: backup` pair on a 6-field cron fills `Backup/<pair>/...` on
 *   an IMAP target, the next scheduled run copies only what is new, and a message deleted
 *   on the source stays in the backup; a flag change is followed, and `status --json`
 *   shows the per-folder result of that flags-only run;
 * - backup into a Maildir (`maildir:///PATH` target) and `migrate --source maildir:///PATH`
 *   restore the same bytes, flags, keywords and INTERNALDATEs.
 * Waits are bounded and generous; nothing asserts on speed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { killRunningDaemons, startDaemon as startDaemonProcess, stopDaemon, until, waitStarted, type Daemon } from '../support/daemon.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import {
  connectImap, loadMessages, snapshotAccount, type AccountRef, type AccountSnapshot,
} from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

let dovecot: DovecotServer;
let dir: string;
/** Every Redis started here. */
const redises: RedisServer[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

function imapUrl(user: string): string {
  return `imap://${user}@127.0.0.1:${dovecot.imapPort}?tls=off`;
}

const env = () => ({ MAIL_PASSWORD: dovecot.password });

function writeConfig(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

/** An IMAP account entry of a config, password from $MAIL_PASSWORD. */
function imapAccount(name: string, user: string): string {
  return `  ${name}:\n    url: ${imapUrl(user)}\n    password: { env: MAIL_PASSWORD }\n`;
}

async function newRedis(): Promise<RedisServer> {
  const redis = await startRedis({ appendfsync: 'always' });
  redises.push(redis);
  return redis;
}

function startDaemon(config: string, timeoutMs = 140_000): Daemon {
  return startDaemonProcess(config, { env: env(), timeoutMs });
}

/** The finished-run log lines of a pair (msg is the one-line summary). */
function runLines(daemon: Daemon, pair: string): Array<Record<string, unknown>> {
  return daemon.logs.filter((l) => l['pair'] === pair && typeof l['runId'] === 'string' && typeof l['state'] === 'string' && / copied \d+/.test(String(l['msg'])));
}

interface StatusRun {
  runId: string;
  pair: string;
  state: string;
  startedAt: string;
  finishedAt: string | null;
  copied: number;
  folders: Array<{ sourcePath: string; result: { mirrored?: { flagsUpdated: number; deleted: number; deletionsHeld: number; heldReason?: string } } | null }>;
}
interface Status {
  pairs: Array<{ pair: string; pairId: string; mode: string; schedule?: string; current: StatusRun | null; last: StatusRun | null }>;
  runs: StatusRun[];
}

async function status(redisUrl: string): Promise<Status> {
  const run = await runCli(['status', '--json', '--limit', '100', '--redis', redisUrl], { timeoutMs: 30_000 });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Status;
}

let serial = 0;
/** A unique message of about `kb` KiB (unique bytes: a duplicate on the target shows). */
function note(folder: string, tag: string, flags: string[] = [], kb = 1): CorpusMessage {
  serial += 1;
  const internalDate = new Date(Date.UTC(2023, 5, 1) + serial * 60_000);
  const filler = `${'line of filler text for the body, to give the copy some work '.repeat(2)}\r\n`.repeat(Math.max(1, Math.round((kb * 1024) / 130)));
  const raw = Buffer.from(
    `From: Ann <ann@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: ${tag} #${serial}\r\n`
    + `Message-ID: <${tag}.${serial}@daemon.test>\r\nDate: ${internalDate.toUTCString()}\r\n\r\n${tag} ${serial}\r\n${filler}`,
  );
  return { folder, raw, flags, internalDate };
}

async function append(client: ImapFlow, message: CorpusMessage): Promise<void> {
  if ((await client.append(message.folder, message.raw, message.flags, message.internalDate)) === false) {
    throw new Error(`APPEND to ${message.folder} failed`);
  }
}

/** The folders of `snapshot` under `prefix/`, with the prefix taken off (a backup's view of its source). */
function under(snapshot: AccountSnapshot, prefix: string): AccountSnapshot {
  return new Map([...snapshot].filter(([folder]) => folder.startsWith(`${prefix}/`)).map(([folder, prints]) => [folder.slice(prefix.length + 1), prints]));
}

/** Content hashes that occur more than once in a folder. */
function duplicates(snapshot: AccountSnapshot): string[] {
  const found: string[] = [];
  for (const [folder, prints] of snapshot) {
    const seen = new Set<string>();
    for (const p of prints) {
      if (seen.has(p.sha256)) found.push(`${folder}: ${p.sha256}`);
      seen.add(p.sha256);
    }
  }
  return found;
}

beforeAll(async () => {
  [dovecot, dir] = await Promise.all([
    startDovecot({ users: ['livesrc', 'livetgt', 'office', 'vault', 'laptop', 'restored'] }),
    makeTempDir('daemon'),
  ]);
});

afterAll(async () => {
  await killRunningDaemons();
  await Promise.all(redises.map((r) => r.destroy()));
  await Promise.all([dovecot?.stop(), dir ? removeTempDir(dir) : undefined]);
});

describe('daemon: mirror pair across a crash of the daemon and of Redis', () => {
  it('SIGKILL of daemon and Redis mid-stream, restart of both: every message on the target exactly once, flags equal', async () => {
    const redis = await newRedis();
    const source = account('livesrc');
    const target = account('livetgt');
    await loadMessages(source, [
      ...Array.from({ length: 8 }, (_, i) => note('INBOX', `start-${i}`, i % 2 ? ['\\Seen'] : [], 8)),
      ...Array.from({ length: 4 }, (_, i) => note('Lists', `list-${i}`, ['\\Seen', '$Label1'], 8)),
    ]);
    const config = writeConfig('live.yaml', `
redis: ${redis.url}
accounts:
${imapAccount('src', 'livesrc')}${imapAccount('dst', 'livetgt')}
pairs:
  live:
    source: src
    target: dst
    mode: mirror
    mirror: { watch: [INBOX], pollSeconds: 5 }
`);

    const client = await connectImap(source);
    let daemon = startDaemon(config);
    try {
      await waitStarted(daemon);
      // Messages keep arriving (INBOX watched, Lists only by full passes), some with flags.
      let n = 0;
      const appendSome = async (count: number) => {
        for (let i = 0; i < count; i++, n++) {
          await append(client, note(n % 4 === 3 ? 'Lists' : 'INBOX', `stream-${n}`, n % 5 === 0 ? ['\\Flagged'] : n % 3 === 0 ? ['\\Seen', 'Project-X'] : [], 16));
          await sleep(80);
        }
      };
      await appendSome(20);
      // Some were copied already: the daemon is mid-stream.
      await until(async () => ((await snapshotAccount(target)).get('INBOX')?.length ?? 0) > 8, 20_000, 'the daemon copies the first messages');
      const appending = appendSome(15);
      // Kill while a run is between "planned" and its end (bounded: else kill anyway).
      const inProgress = () => {
        const ended = new Set(runLines(daemon, 'live').map((l) => l['runId']));
        return daemon.logs.some((l) => l['msg'] === 'run planned' && !ended.has(l['runId']));
      };
      const caught = await until(inProgress, 10_000, 'a run in progress', 10).then(() => true, () => false);
      const [killed] = await Promise.all([stopDaemon(daemon, 'SIGKILL'), redis.kill9()]);
      expect(killed.signal).toBe('SIGKILL');
      await appending;
      // Nothing runs now; the source still changes.
      await appendSome(5);

      await redis.start();
      daemon = startDaemon(config);
      await waitStarted(daemon);
      await appendSome(15);
      // A flag change after the restart, on a message copied before the crash.
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd('1', ['\\Answered', '$Label2']);
      } finally {
        lock.release();
      }

      const sourceSnapshot = await snapshotAccount(source);
      let targetSnapshot: AccountSnapshot = new Map();
      // Generous: a run the killed daemon was working keeps the pair's run slot until BullMQ
      // hands its jobs to the new daemon as stalled (lock expiry plus stalled check: about
      // 60 s observed); every run asked for meanwhile waits behind it.
      const lastChange = Date.now();
      const deadline = lastChange + 100_000;
      while (Date.now() < deadline) {
        targetSnapshot = await snapshotAccount(target);
        if (isDeepStrictEqual(targetSnapshot, sourceSnapshot)) break;
        await sleep(500);
      }
      const converged = Date.now();
      const runs = (await status(redis.url)).runs.filter((r) => r.pair === 'live');
      console.log(`daemon restart: killed ${caught ? 'with a run in progress' : 'between runs'}; runs after restart by state: ${JSON.stringify(runs.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.state]: (acc[r.state] ?? 0) + 1 }), {}))}`);
      console.log(`daemon restart: target equal after ${((converged - lastChange) / 1000).toFixed(1)} s from the last change; ${[...sourceSnapshot.values()].reduce((s, p) => s + p.length, 0)} messages`);
      expect(duplicates(targetSnapshot), 'messages copied twice').toEqual([]);
      expect(targetSnapshot, daemon.stderr().slice(-4000)).toEqual(sourceSnapshot);
    } finally {
      await client.logout().catch(() => client.close());
    }
    const stopped = await stopDaemon(daemon);
    expect(stopped.code, stopped.stderr.slice(-2000)).toBe(143);
  }, 170_000);
});

describe('daemon: backup pairs', () => {
  let redis: RedisServer;
  let config: string;
  const source = () => account('office');
  const target = () => account('vault');

  beforeAll(async () => {
    redis = await newRedis();
    await loadMessages(source(), buildCorpus({ seed: 73, count: 24 }));
    config = writeConfig('backup.yaml', `
redis: ${redis.url}
accounts:
${imapAccount('office', 'office')}${imapAccount('vault', 'vault')}
pairs:
  nightly:
    source: office
    target: vault
    mode: backup
    schedule: "*/5 * * * * *"
`);
  });

  /** Runs of the pair from `status --json`, oldest first. */
  async function nightlyRuns(): Promise<StatusRun[]> {
    return (await status(redis.url)).runs.filter((r) => r.pair === 'nightly').sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  }

  /** The first run of the pair started after `since`, once it has ended. */
  async function firstRunAfter(since: number, what: string): Promise<StatusRun> {
    let found: StatusRun | undefined;
    await until(async () => {
      found = (await nightlyRuns()).find((r) => Date.parse(r.startedAt) > since);
      return found !== undefined && found.state !== 'running';
    }, 30_000, what);
    return found!;
  }

  it('a scheduled backup fills Backup/<pair>/..., the next run copies only the 3 new messages, a deletion on the source stays in the backup', async () => {
    const daemon = startDaemon(config);
    try {
      await waitStarted(daemon);
      await until(() => runLines(daemon, 'nightly').length >= 1, 30_000, 'the first scheduled backup run ends');
      const first = runLines(daemon, 'nightly')[0]!;
      expect(first['state'], String(first['msg'])).toBe('completed');
      expect(String(first['msg'])).toMatch(/nightly: copied 24, /);
      const afterFirst = await snapshotAccount(target());
      expect([...afterFirst.keys()]).toContain('Backup/nightly/INBOX');
      // Only the backup folders besides the target's own (empty) INBOX.
      expect([...afterFirst.keys()].filter((f) => !f.startsWith('Backup/nightly/'))).toEqual(['INBOX']);
      expect(under(afterFirst, 'Backup/nightly')).toEqual(await snapshotAccount(source()));

      // Right after a run ended, so no run starts while we append (runs start at :00, :05, ...).
      await loadMessages(source(), [note('INBOX', 'later-1', ['\\Seen']), note('INBOX', 'later-2'), note('Sent', 'later-3', ['\\Seen', '$Forwarded'])]);
      const added = Date.now();
      const next = await firstRunAfter(added, 'a scheduled run after the 3 new messages ends');
      const runs = await nightlyRuns();
      expect(next.state).toBe('completed');
      expect(next.copied, JSON.stringify(runs.map((r) => [r.startedAt, r.state, r.copied]))).toBe(3);
      // Every run but the first together copied just those 3.
      expect(runs.slice(1).reduce((sum, r) => sum + r.copied, 0)).toBe(3);
      const withNew = await snapshotAccount(source());
      expect(under(await snapshotAccount(target()), 'Backup/nightly')).toEqual(withNew);

      // A deletion on the source: the backup keeps the message (no keepDeletedDays).
      const client = await connectImap(source());
      try {
        const lock = await client.getMailboxLock('INBOX');
        try {
          expect(await client.messageDelete('1')).toBe(true);
        } finally {
          lock.release();
        }
      } finally {
        await client.logout().catch(() => client.close());
      }
      expect((await snapshotAccount(source())).get('INBOX')?.length).toBe((withNew.get('INBOX')?.length ?? 0) - 1);
      const afterDelete = await firstRunAfter(Date.now(), 'a scheduled run after the deletion ends');
      expect(afterDelete.state).toBe('completed');
      expect(under(await snapshotAccount(target()), 'Backup/nightly')).toEqual(withNew);

      const pair = (await status(redis.url)).pairs.find((p) => p.pair === 'nightly');
      expect(pair).toMatchObject({ mode: 'backup', schedule: '*/5 * * * * *' });
      expect(pair?.last?.state).toBe('completed');
    } finally {
      const stopped = await stopDaemon(daemon);
      expect(stopped.code, stopped.stderr.slice(-2000)).toBe(143);
    }
  });

  it('a run that only updated flags: the backup follows, and status --json lists that folder\'s result', async () => {
    // Same pair and Redis: a restarted daemon carries on from the state of the test above.
    const daemon = startDaemon(config);
    try {
      await waitStarted(daemon);
      await firstRunAfter(Date.now(), 'a first scheduled run of the restarted daemon ends');
      const client = await connectImap(source());
      try {
        const lock = await client.getMailboxLock('Sent');
        try {
          await client.messageFlagsAdd('1', ['\\Flagged', '$Label2']);
        } finally {
          lock.release();
        }
      } finally {
        await client.logout().catch(() => client.close());
      }
      const run = await firstRunAfter(Date.now(), 'a scheduled run after the flag change ends');
      expect(run.state).toBe('completed');
      expect(run.copied).toBe(0);
      expect(under(await snapshotAccount(target()), 'Backup/nightly').get('Sent')).toEqual((await snapshotAccount(source())).get('Sent'));
      // The daemon's one-line summary of that run says so.
      await until(() => runLines(daemon, 'nightly').some((l) => l['runId'] === run.runId), 10_000, `the log line of run ${run.runId}`);
      expect(String(runLines(daemon, 'nightly').find((l) => l['runId'] === run.runId)?.['msg'])).toMatch(/nightly: copied 0, flags 1, deleted 0 /);
      // status --json: the run's folders include Sent with what the run did there.
      const sent = run.folders.find((f) => f.sourcePath === 'Sent');
      expect(sent?.result?.mirrored, `status --json runs[].folders of run ${run.runId}: ${JSON.stringify(run.folders)}`).toMatchObject({ flagsUpdated: 1 });
    } finally {
      const stopped = await stopDaemon(daemon);
      expect(stopped.code, stopped.stderr.slice(-2000)).toBe(143);
    }
  });

  it('a backup into maildir:///PATH restores (migrate --source maildir:///PATH) to the same bytes, flags, keywords and dates', async () => {
    const source = account('laptop');
    const archive = path.join(dir, 'archive');
    await loadMessages(source, buildCorpus({ seed: 97, count: 30 }));
    const config = writeConfig('archive.yaml', `
redis: ${redis.url}
accounts:
${imapAccount('laptop', 'laptop')}  archive:
    url: maildir://${archive}
pairs:
  archive:
    source: laptop
    target: archive
    mode: backup
`);
    const backup = await runCli(['migrate', '--config', config, '--pair', 'archive'], { env: env() });
    expect(backup.code, `${backup.stdout}\n${backup.stderr}`).toBe(0);

    const restore = await runCli(['migrate', '--source', `maildir://${archive}`, '--target', imapUrl('restored'), '--redis', redis.url], {
      env: { MAILFERRY_TARGET_PASSWORD: dovecot.password },
    });
    expect(restore.code, `${restore.stdout}\n${restore.stderr}`).toBe(0);
    expect(await snapshotAccount(account('restored'))).toEqual(await snapshotAccount(source));
  });
});
