/**
 * `mailferry mirror` through the real CLI against a private Dovecot and Redis:
 * - a running mirror follows a scripted stream of changes on the source (new mail, flag
 *   and keyword changes, a UID MOVE, a delete+expunge, a new folder, a folder rename), and
 *   after each step the target equals the source (bytes, flags, keywords, INTERNALDATE);
 *   new mail in the watched INBOX arrives within a bounded latency;
 * - the deletion cap: a pass that would delete more than the cap holds the deletions until
 *   a run with --confirm-deletes;
 * - an empty listing of a folder that had mail is not trusted, even under a cap that would
 *   allow it.
 * Waits are bounded and generous; the only timing assertion is an upper bound.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunResult, type StartedCli } from '../support/cli.js';
import { buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import {
  connectImap, countMessages, loadMessages, snapshotAccount, type AccountRef, type AccountSnapshot,
} from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';

let dovecot: DovecotServer;
let redis: RedisServer;
/** Every CLI child still running; afterAll stops what a failed test left behind. */
const children = new Set<StartedCli>();

function account(user: string): AccountRef {
  return { port: dovecot.imapPort, user, password: dovecot.password };
}

function url(user: string): string {
  return `imap://${user}@127.0.0.1:${dovecot.imapPort}?tls=off`;
}

function env(): Record<string, string> {
  return { MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password };
}

function mirrorArgs(source: string, target: string, extra: string[] = []): string[] {
  return ['mirror', '--source', url(source), '--target', url(target), '--redis', redis.url, ...extra];
}

let serial = 0;
/** A small unique message (distinct bytes: a duplicate on the target would show in the snapshot). */
function note(folder: string, tag: string, flags: string[] = []): CorpusMessage {
  serial += 1;
  const internalDate = new Date(Date.UTC(2024, 0, 1) + serial * 3_600_000);
  const raw = Buffer.from(
    `From: Ann <ann@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: ${tag} #${serial}\r\n`
    + `Message-ID: <${tag}.${serial}@mirror.test>\r\nDate: ${internalDate.toUTCString()}\r\n\r\n${tag}: body of message ${serial}\r\n`,
  );
  return { folder, raw, flags, internalDate };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls both snapshots until they are equal; after `ms` fails with the diff. A snapshot
 * that fails is a poll that saw the target mid-change (the mirror renamed a folder between
 * the snapshot's LIST and its EXAMINE): polled again, and reported if it never succeeds.
 */
async function untilEqual(source: AccountRef, target: AccountRef, ms: number, what: string): Promise<AccountSnapshot> {
  const deadline = Date.now() + ms;
  for (;;) {
    const polled = await Promise.all([snapshotAccount(source), snapshotAccount(target)]).catch((error: unknown) => error as Error);
    if (!(polled instanceof Error) && isDeepStrictEqual(polled[0], polled[1])) return polled[0];
    if (Date.now() > deadline) {
      if (polled instanceof Error) throw new Error(`snapshots failed ${ms} ms after: ${what}: ${polled.message}`, { cause: polled });
      expect(polled[1], `target should equal the source within ${ms} ms after: ${what}`).toEqual(polled[0]);
      return polled[0];
    }
    await sleep(300);
  }
}

/** APPEND with a persistent client; resolves once the server has the message. */
async function append(client: ImapFlow, message: CorpusMessage): Promise<void> {
  const done = await client.append(message.folder, message.raw, message.flags, message.internalDate);
  if (done === false) throw new Error(`APPEND to ${message.folder} failed`);
}

/** STATUS INBOX (MESSAGES) on a persistent client: cheap enough to poll every 50 ms. */
async function inboxCount(client: ImapFlow): Promise<number> {
  const status = await client.status('INBOX', { messages: true });
  if (status === false || status.messages === undefined) throw new Error('STATUS INBOX failed');
  return status.messages;
}

/** Runs `fn` with `folder` selected read-write on `client`. */
async function inFolder<T>(client: ImapFlow, folder: string, fn: () => Promise<T>): Promise<T> {
  const lock = await client.getMailboxLock(folder);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** UIDs of `folder`, ascending. */
async function uids(client: ImapFlow, folder: string): Promise<number[]> {
  return inFolder(client, folder, async () => ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b));
}

/**
 * `mirror --once` for a pair, at least 1.5 s after the previous `--once` ended: `--once`
 * reports the first run of the pair that started up to 1 s before it asked for its own,
 * so a run started right after another would print (and exit with) the previous run's
 * summary (a product bug, exercised on its own in the last test of this file). The gap
 * keeps the other tests about what they check.
 */
let lastOnceEnded = 0;
async function once(source: string, target: string, extra: string[] = []): Promise<RunResult> {
  await sleep(Math.max(0, lastOnceEnded + 1500 - Date.now()));
  try {
    return await runCli(mirrorArgs(source, target, ['--once', ...extra]), { env: env() });
  } finally {
    lastOnceEnded = Date.now();
  }
}

async function stop(cli: StartedCli): Promise<RunResult> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGTERM');
  const result = await cli.result;
  children.delete(cli);
  return result;
}

beforeAll(async () => {
  [dovecot, redis] = await Promise.all([
    startDovecot({ users: ['live', 'copy', 'capsrc', 'captgt', 'emptysrc', 'emptytgt', 'quicksrc', 'quicktgt'] }),
    startRedis(),
  ]);
});

afterAll(async () => {
  await Promise.all([...children].map((c) => stop(c)));
  await Promise.all([dovecot?.stop(), redis?.destroy()]);
});

describe('mailferry mirror (running)', () => {
  it('follows appends, flag and keyword changes, a move, a delete, a new folder and a rename; new INBOX mail arrives within 10 s', async () => {
    const source = account('live');
    const target = account('copy');
    // Every edge case of the corpus (duplicates, 8-bit, attachments, ...) in two folders.
    await loadMessages(source, buildCorpus({ seed: 41, count: 16, folders: ['INBOX', 'Projects'] }));

    // Full passes every 3 s catch the folders nobody watches; INBOX is watched by IDLE.
    const mirror = startCli(mirrorArgs('live', 'copy', ['--poll-seconds', '3']), { env: env(), timeoutMs: 115_000 });
    children.add(mirror);
    const src = await connectImap(source);
    const dst = await connectImap(target);
    try {
      await untilEqual(source, target, 30_000, 'the first pass');

      // 1. New mail in INBOX, one at a time: the watcher should push it within seconds.
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = await inboxCount(dst);
        await append(src, note('INBOX', `new-${i}`, i % 2 === 0 ? [] : ['\\Seen']));
        const appended = Date.now();
        for (;;) {
          const now = await inboxCount(dst);
          if (now > before) break;
          if (Date.now() - appended > 20_000) throw new Error(`new-${i} did not reach the target INBOX within 20 s`);
          await sleep(50);
        }
        latencies.push(Date.now() - appended);
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      console.log(`mirror new-mail latency (ms): ${latencies.join(', ')}; median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted[sorted.length - 1]}`);
      for (const latency of latencies) expect(latency).toBeLessThan(10_000);
      await untilEqual(source, target, 20_000, 'appends to INBOX');

      // 2. Flags and keywords, in the watched INBOX and in an unwatched folder (CONDSTORE).
      const inbox = await uids(src, 'INBOX');
      await inFolder(src, 'INBOX', async () => {
        await src.messageFlagsAdd(String(inbox[0]), ['\\Flagged', '$Label2'], { uid: true });
        await src.messageFlagsRemove(String(inbox[1]), ['\\Seen'], { uid: true });
        await src.messageFlagsAdd(String(inbox[1]), ['\\Answered'], { uid: true });
      });
      const projects = await uids(src, 'Projects');
      await inFolder(src, 'Projects', async () => {
        await src.messageFlagsSet(String(projects[0]), ['\\Seen', 'Customer-Reply'], { uid: true });
      });
      await untilEqual(source, target, 20_000, 'flag and keyword changes');

      // 3. A UID MOVE from INBOX to Projects: gone from one, new in the other.
      await inFolder(src, 'INBOX', async () => {
        const moved = await src.messageMove(String(inbox[2]), 'Projects', { uid: true });
        expect(moved).toBeTruthy();
      });
      await untilEqual(source, target, 20_000, 'UID MOVE INBOX -> Projects');

      // 4. Delete + expunge one message (well within the cap).
      await inFolder(src, 'INBOX', async () => {
        expect(await src.messageDelete(String(inbox[3]), { uid: true })).toBe(true);
      });
      await untilEqual(source, target, 20_000, 'delete + expunge in INBOX');

      // 5. A new (nested) folder with messages.
      await src.mailboxCreate(['Clients', 'Acme']);
      for (let i = 0; i < 3; i++) await append(src, note('Clients/Acme', `acme-${i}`, i === 0 ? ['\\Flagged'] : []));
      await untilEqual(source, target, 20_000, 'new folder Clients/Acme with 3 messages');

      // 6. A folder rename on the source: followed on the target (same UIDVALIDITY), no second copy.
      await src.mailboxRename('Projects', 'Projects-2025');
      const after = await untilEqual(source, target, 20_000, 'rename Projects -> Projects-2025');
      expect([...after.keys()]).toContain('Projects-2025');
      expect([...after.keys()]).not.toContain('Projects');
    } finally {
      await src.logout().catch(() => src.close());
      await dst.logout().catch(() => dst.close());
    }

    const stopped = await stop(mirror);
    // One line per pass on stdout.
    expect(stopped.stdout).toMatch(/copied \d+, flags \d+, deleted \d+ \(\d+\.\d s\)/);
    // Stopping a foreground mirror with SIGTERM is its normal end; record what it exits with.
    console.log(`mirror exit on SIGTERM: code ${stopped.code}, signal ${stopped.signal}`);
    expect([0, 143], stopped.stderr).toContain(stopped.code);
  });
});

describe('mailferry mirror --once: deletions', () => {
  it('holds 20 of 40 deletions (over the cap of 10), then deletes them with --confirm-deletes', async () => {
    const source = account('capsrc');
    const target = account('captgt');
    await loadMessages(source, Array.from({ length: 40 }, (_, i) => note('Bulk', `bulk-${i}`, i % 3 === 0 ? ['\\Seen'] : [])));

    const first = await once('capsrc', 'captgt');
    expect(first.code, first.stderr).toBe(0);
    expect(await countMessages(target, 'Bulk')).toBe(40);
    expect(await snapshotAccount(target)).toEqual(await snapshotAccount(source));

    const src = await connectImap(source);
    try {
      const all = await uids(src, 'Bulk');
      await inFolder(src, 'Bulk', async () => {
        expect(await src.messageDelete(all.filter((_, i) => i % 2 === 1).join(','), { uid: true })).toBe(true);
      });
    } finally {
      await src.logout().catch(() => src.close());
    }
    expect(await countMessages(source, 'Bulk')).toBe(20);

    // Default cap: max(10, 10% of 40) = 10 < 20 → nothing deleted, all 20 held and reported.
    const held = await once('capsrc', 'captgt');
    console.log(`mirror --once with held deletions: exit code ${held.code}`);
    expect(held.stdout).toMatch(/held/);
    expect(held.stdout).toMatch(/20 deletion\(s\) held/);
    // Nothing is missing, but the target still differs from the source until someone confirms: exit 1.
    expect(held.code, held.stderr).toBe(1);
    expect(await countMessages(target, 'Bulk')).toBe(40);

    const confirmed = await once('capsrc', 'captgt', ['--confirm-deletes']);
    expect(confirmed.code, `${confirmed.stdout}\n${confirmed.stderr}`).toBe(0);
    expect(confirmed.stdout).toMatch(/deleted on the target: 20/);
    expect(await countMessages(target, 'Bulk')).toBe(20);
    expect(await snapshotAccount(target)).toEqual(await snapshotAccount(source));
  });

  it('does not trust an empty listing: a folder emptied on the source keeps its 30 copies', async () => {
    const source = account('emptysrc');
    const target = account('emptytgt');
    await loadMessages(source, Array.from({ length: 30 }, (_, i) => note('Old', `old-${i}`, ['\\Seen'])));

    const first = await once('emptysrc', 'emptytgt');
    expect(first.code, first.stderr).toBe(0);
    expect(await countMessages(target, 'Old')).toBe(30);

    const src = await connectImap(source);
    try {
      await inFolder(src, 'Old', async () => {
        expect(await src.messageDelete('1:*', { uid: true })).toBe(true);
      });
    } finally {
      await src.logout().catch(() => src.close());
    }
    expect(await countMessages(source, 'Old')).toBe(0);

    // A cap of 100% would allow all 30: only the empty-listing rule can hold them.
    const pass = await once('emptysrc', 'emptytgt', ['--delete-cap-percent', '100']);
    console.log(`mirror --once on an emptied folder: exit code ${pass.code}`);
    expect(pass.stdout).toMatch(/30 deletion\(s\) held: the source folder now lists no message/);
    expect(pass.code, pass.stderr).toBe(1);
    expect(await countMessages(target, 'Old')).toBe(30);

    // Only an explicit confirmation empties the copy.
    const confirmed = await once('emptysrc', 'emptytgt', ['--confirm-deletes']);
    expect(confirmed.code, `${confirmed.stdout}\n${confirmed.stderr}`).toBe(0);
    expect(confirmed.stdout).toMatch(/deleted on the target: 30/);
    expect(await countMessages(target, 'Old')).toBe(0);
  });

  it('back to back: a second --once right after the first reports (and waits for) its own pass', async () => {
    const source = account('quicksrc');
    const target = account('quicktgt');
    await loadMessages(source, [note('INBOX', 'quick-1'), note('INBOX', 'quick-2')]);
    const args = mirrorArgs('quicksrc', 'quicktgt', ['--once', '--json']);

    const first = await runCli(args, { env: env() });
    expect(first.code, first.stderr).toBe(0);
    const firstSummary = JSON.parse(first.stdout) as { runId: string; folders: Array<{ copied: number }> };
    expect(firstSummary.folders.reduce((sum, f) => sum + f.copied, 0)).toBe(2);

    // No pause: one new message, and at once the next pass (what a cron job or a script
    // calling `mirror --once` in a loop does).
    await loadMessages(source, [note('INBOX', 'quick-3')]);
    const second = await runCli(args, { env: env() });
    expect(second.code, second.stderr).toBe(0);
    const secondSummary = JSON.parse(second.stdout) as { runId: string; folders: Array<{ copied: number }> };
    expect(secondSummary.runId, 'the second --once printed the first run\'s summary').not.toBe(firstSummary.runId);
    expect(secondSummary.folders.reduce((sum, f) => sum + f.copied, 0)).toBe(1);
    // "--once: exits 0 when everything is on the target".
    expect(await snapshotAccount(target)).toEqual(await snapshotAccount(source));
  });
});
