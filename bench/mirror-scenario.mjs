/**
 * The mirror scenario: how long new mail takes to appear on the target while `mailferry
 * mirror` runs (IDLE on INBOX), against what a poll-based tool needs for the same
 * message: one incremental mbsync pass (the floor of a cron or loop around mbsync or
 * imapsync, before any poll interval is added).
 *
 * A source and a target user (fresh, INBOX plus a few folders with the bench corpus'
 * first messages) are mirrored; then K messages are appended to the source's INBOX one at
 * a time. For each: the time until a second session on the target finds it by Message-ID
 * (polled every 20 ms), then one mbsync pass copying it into a third user, timed. A flag
 * change and a deletion are timed the same way (mirror only). Finally the target must
 * equal the source (content hashes, flags, dates).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { connectImap, loadMessages, snapshotAccount } from '../.build/test/support/imap-account.js';
import { benchCorpus } from './corpus.mjs';
import { REPO_ROOT } from './mailferry.mjs';
import { runMbsync } from './mbsync.mjs';
import { median } from './measure.mjs';
import { fmt } from './report.mjs';
import { compareSnapshots } from './verify.mjs';

export const MIRROR_ARGS = {
  'mirror-probes': { type: 'string', default: '15' },
  'skip-mirror': { type: 'boolean', default: false },
};

export const MIRROR_USAGE = `  --mirror-probes K     new messages timed in the mirror scenario (default 15)
  --skip-mirror         skip the mirror latency scenario`;

export function mirrorOptions(values, int) {
  return { mirrorProbes: int('mirror-probes', 1), skipMirror: values['skip-mirror'] };
}

const POLL_MS = 20;
const STEP_TIMEOUT_MS = 30_000;

/** @param {{ opts: any, dovecot: any, redisUrl: string, workDir: string, freshUser: (p: string) => Promise<string>, progress: (m: string) => void }} c */
export async function runMirrorScenario(c) {
  const { dovecot, workDir } = c;
  const [src, dst, ref] = [await c.freshUser('msrc'), await c.freshUser('mdst'), await c.freshUser('mref')];
  const account = (user) => ({ port: dovecot.imapPort, user, password: dovecot.password });
  const seedMail = benchCorpus({ count: 60, seed: c.opts.seed, big: 0 });
  await loadMessages(account(src), seedMail);
  const mbsync = { srcPort: dovecot.imapPort, dstPort: dovecot.imapPort, srcUser: src, dstUser: ref, password: dovecot.password, workDir };
  await runMbsync({ ...mbsync, label: 'mirror-mbsync-initial' });

  const logFile = path.join(workDir, 'mirror.stderr.log');
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'mailferry.js'), 'mirror',
    '--source', `imap://${src}@127.0.0.1:${dovecot.imapPort}?tls=off`, '--target', `imap://${dst}@127.0.0.1:${dovecot.imapPort}?tls=off`,
    '--redis', c.redisUrl, '--poll-seconds', '600'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password },
    stdio: ['ignore', 'pipe', fs.openSync(logFile, 'w')],
  });
  const lines = [];
  child.stdout.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  const [source, target] = [await connectImap(account(src)), await connectImap(account(dst))];
  try {
    await waitFor(async () => lines.some((l) => /copied [1-9]/.test(l)), 60_000, 'the first mirror pass');
    c.progress(`mirror ${src} -> ${dst} running; timing ${c.opts.mirrorProbes} new messages`);
    const latencies = [];
    const mbsyncPasses = [];
    let lastId = '';
    for (let i = 0; i < c.opts.mirrorProbes; i += 1) {
      lastId = `<probe-${i}-${Date.now()}@bench.example>`;
      const raw = Buffer.from(`From: probe@example.com\r\nTo: x@example.com\r\nSubject: probe ${i}\r\nMessage-ID: ${lastId}\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nprobe ${i}\r\n`);
      await source.append('INBOX', raw, [], new Date());
      const started = performance.now();
      await waitFor(() => found(target, lastId), STEP_TIMEOUT_MS, `probe ${i} on the target`);
      latencies.push((performance.now() - started) / 1000);
      const pass = await runMbsync({ ...mbsync, label: `mirror-mbsync-${i}` });
      mbsyncPasses.push(pass.wallS ?? pass.wall ?? null);
      await new Promise((r) => setTimeout(r, 200));
    }
    // A flag and a deletion, on the last probe.
    await source.mailboxOpen('INBOX');
    const [uid] = await source.search({ header: { 'message-id': lastId } }, { uid: true });
    let started = performance.now();
    await source.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true });
    await waitFor(async () => (await flagsOf(target, lastId))?.has('\\Flagged') === true, STEP_TIMEOUT_MS, 'the flag on the target');
    const flagS = (performance.now() - started) / 1000;
    started = performance.now();
    await source.messageDelete(String(uid), { uid: true });
    await waitFor(async () => !(await found(target, lastId)), STEP_TIMEOUT_MS, 'the deletion on the target');
    const deleteS = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1500));
    const diff = compareSnapshots(await snapshotAccount(account(src)), await snapshotAccount(account(dst)));
    return {
      name: 'mirror: new mail to target', probes: latencies.length, latencies, mbsyncPasses,
      medianS: median(latencies), maxS: Math.max(...latencies), mbsyncMedianS: median(mbsyncPasses.filter((x) => x !== null)),
      flagS, deleteS, identical: diff.byteExact && diff.metaMismatch === 0 ? true : diff.problems.join('; ') || `${diff.metaMismatch} flag/date mismatch(es)`, passes: lines.length,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => { child.once('exit', r); setTimeout(r, 10_000).unref(); });
    await Promise.allSettled([source.logout(), target.logout()]);
  }
}

async function found(client, messageId) {
  await client.mailboxOpen('INBOX', { readOnly: true });
  const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
  return Array.isArray(uids) && uids.length > 0;
}

async function flagsOf(client, messageId) {
  await client.mailboxOpen('INBOX', { readOnly: true });
  const [uid] = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
  if (!uid) return undefined;
  const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
  return message ? message.flags : undefined;
}

async function waitFor(check, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

export function mirrorReport(m) {
  return [
    `  ${m.name}: ${m.probes} messages appended one at a time to the source INBOX (mirror watching it with IDLE)`,
    `    mailferry mirror: median ${fmt(m.medianS)} s, max ${fmt(m.maxS)} s until visible on the target; flag ${fmt(m.flagS)} s, deletion ${fmt(m.deleteS)} s`,
    `    reference, one incremental mbsync pass per message (a poll loop's floor, before its interval): median ${fmt(m.mbsyncMedianS)} s`,
    `    ratio mirror latency / mbsync pass: ${fmt(m.mbsyncMedianS ? m.medianS / m.mbsyncMedianS : null)}x; target identical to source: ${m.identical === true ? 'yes' : JSON.stringify(m.identical)}`,
  ];
}

export function mirrorTargets(m) {
  return [
    { name: 'mirror: new mail on the target within 5 s (median)', pass: m.medianS !== null && m.medianS < 5, detail: `median ${fmt(m.medianS)} s, max ${fmt(m.maxS)} s over ${m.probes} messages (${fmt(m.mbsyncMedianS ? m.medianS / m.mbsyncMedianS : null)}x one mbsync pass)` },
    { name: 'mirror: target identical to source afterwards', pass: m.identical === true, detail: m.identical === true ? 'content, flags and dates equal' : JSON.stringify(m.identical) },
  ];
}
