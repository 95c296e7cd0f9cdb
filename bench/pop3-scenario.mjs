/**
 * The POP3 scenarios: mailferry POP3 -> IMAP against a raw RETR reader, on the same private
 * Dovecot, interleaved (mailferry, raw RETR, raw RETR pipelined, mailferry, ...).
 *
 * - "pop3 -> imap": POP3 and IMAP straight to Dovecot on loopback. The reference is
 *   bench/raw-pop3.mjs reading one RETR after the other (one round trip per message);
 *   the same reader with RFC 2449 PIPELINING is a second row.
 * - "pop3 rtt Nms -> imap": the POP3 side (mailferry's source and both raw readers) goes
 *   through bench/latency-proxy.mjs (--rtt, 20 ms by default), as an old ISP's POP server
 *   would be; the IMAP target is reached directly, so the rows measure the POP3 reading
 *   side. There the pipelined raw reader is the reference: one RETR per round trip is
 *   not a floor worth comparing with once round trips cost 20 ms. Its box is smaller
 *   (--pop3-latency-messages, 500 by default) so that the one-at-a-time reader stays quick.
 *
 * Each POP box is the INBOX of a fresh Dovecot user holding the bench corpus flattened
 * into one folder (no big messages). Every mailferry copy goes into a fresh target user
 * with a flushed Redis and is checked: the target's INBOX must hold exactly the source's
 * messages (SHA-256 multiset) and the summary must say copied = N. Then a no-op re-run
 * into the last target (same Redis state) must copy 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadMessages, sha256, snapshotAccount } from '../.build/test/support/imap-account.js';
import { benchCorpus, corpusStats } from './corpus.mjs';
import { REPO_ROOT, runMailferry, summaryTotals } from './mailferry.mjs';
import { median, runMeasured, tail } from './measure.mjs';
import { MiB, fmt, pairedRatio, summarize, table } from './report.mjs';
import { compareSnapshots } from './verify.mjs';
import { rawPop3ReadAll } from './raw-pop3.mjs';
import { startLatencyProxy } from './latency-proxy.mjs';

/** parseArgs options of this scenario (merged into run.mjs's). */
export const POP3_ARGS = {
  'pop3-messages': { type: 'string' },
  'pop3-pipeline': { type: 'string', default: '50' },
  'pop3-latency-messages': { type: 'string', default: '500' },
  'skip-pop3': { type: 'boolean', default: false },
  'skip-pop3-latency': { type: 'boolean', default: false },
};

export const POP3_USAGE = `  --pop3-messages N     messages in the POP3 box (default: the --messages count, 3000)
  --pop3-pipeline W     window of the pipelined raw RETR reader (default 50; 0 = skip it locally;
                        the POP3 latency scenario needs it, as its reference, and uses 50 then)
  --pop3-latency-messages N  messages in the POP box read through the latency proxy (--rtt) (default 500)
  --skip-pop3           skip both POP3 -> IMAP scenarios
  --skip-pop3-latency   skip the POP3 -> IMAP scenario through the latency proxy (--skip-latency does not)`;

/** Options of this scenario from parseArgs values; `int(name, min)` validates like run.mjs does. */
export function pop3Options(values, int) {
  return {
    pop3Messages: values['pop3-messages'] === undefined ? int('messages', 12) : int('pop3-messages', 1),
    pop3Pipeline: int('pop3-pipeline', 0),
    pop3LatencyMessages: int('pop3-latency-messages', 1),
    skipPop3: values['skip-pop3'],
    skipPop3Latency: values['skip-pop3'] || values['skip-pop3-latency'],
  };
}

/**
 * The local POP3 scenario (loopback, reference: raw RETR one at a time).
 * @param {{ opts: any, dovecot: any, redisClient: any, redisUrl: string, workDir: string,
 *   freshUser: (prefix: string) => Promise<string>, cpuNow: () => any, progress: (m: string) => void }} c
 */
export function runPop3Scenario(c) {
  return pop3Scenario(c, {
    name: 'pop3 -> imap', tag: 'pop3', messages: c.opts.pop3Messages, seed: c.opts.seed, rounds: c.opts.rounds,
    pipeline: c.opts.pop3Pipeline, reference: 'raw', pop3Port: c.dovecot.pop3Port, proxy: null,
  });
}

/**
 * The POP3 scenario through the latency proxy (--rtt) on the POP3 side; reference: the
 * pipelined raw reader. The IMAP target is reached directly.
 */
export async function runPop3LatencyScenario(c) {
  const { opts, dovecot } = c;
  const proxy = await startLatencyProxy({ upstreamPort: dovecot.pop3Port, rttMs: opts.rttMs });
  try {
    c.progress(`POP3 latency proxy on 127.0.0.1:${proxy.port} (+${opts.rttMs} ms RTT) -> Dovecot POP3 ${dovecot.pop3Port}`);
    const result = await pop3Scenario(c, {
      name: `pop3 rtt ${opts.rttMs}ms -> imap`, tag: `pop3-rtt${opts.rttMs}`, messages: opts.pop3LatencyMessages, seed: opts.seed + 2,
      rounds: opts.latencyRounds, pipeline: opts.pop3Pipeline || 50, reference: 'pipelined', pop3Port: proxy.port, proxy,
    });
    result.timerSlackMs = proxy.timerSlackMs();
    return result;
  } finally {
    await proxy.close();
  }
}

/**
 * @param {any} c see runPop3Scenario
 * @param {{ name: string, tag: string, messages: number, seed: number, rounds: number, pipeline: number,
 *   reference: 'raw' | 'pipelined', pop3Port: number, proxy: any }} s
 */
async function pop3Scenario(c, s) {
  const { opts, dovecot, progress } = c;
  const password = dovecot.password;
  const imap = (user) => ({ port: dovecot.imapPort, user, password });
  const { name } = s;

  // ---- the POP box
  const corpus = benchCorpus({ seed: s.seed, count: s.messages, big: 0 });
  const buffers = corpus.map((m) => m.raw);
  const stats = corpusStats(corpus.map((m) => ({ ...m, folder: 'INBOX' })));
  const popUser = await c.freshUser('pop');
  let t = Date.now();
  const fill = await maildirFill();
  if (fill) await fill(dovecot, popUser, buffers);
  else await loadMessages(imap(popUser), corpus.map((m) => ({ ...m, folder: 'INBOX', flags: [] })));
  progress(`[${name}] POP box "${popUser}": ${stats.messages} messages, ${(stats.bytes / MiB).toFixed(1)} MiB, filled by ${fill ? 'Maildir files' : 'IMAP APPEND'} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // The box must be the corpus (what fillInbox wrote is what Dovecot serves).
  const expected = buffers.map(sha256);
  const srcSnapshot = await snapshotAccount(imap(popUser));
  const srcCheck = compareSnapshots(new Map([['INBOX', expected.map(bytesOnly)]]), bytesOnlySnapshot(srcSnapshot));
  if (!srcCheck.byteExact || (srcSnapshot.get('INBOX')?.length ?? 0) !== stats.messages) {
    throw new Error(`the POP box does not hold the corpus: ${srcCheck.problems.slice(0, 3).join('; ')}`);
  }
  // One untimed read (direct, not through a proxy), so that Dovecot's first-session work (index, cached sizes, new/ -> cur/) is in no tool's time.
  t = Date.now();
  const warm = await rawPop3ReadAll({ port: dovecot.pop3Port, user: popUser, password });
  if (warm.messages !== stats.messages || warm.bytes !== stats.bytes) {
    throw new Error(`raw POP3 reader: read ${warm.messages} messages / ${warm.bytes} bytes, the box holds ${stats.messages} / ${stats.bytes}`);
  }
  progress(`[${name}] warm-up read (untimed): ${((Date.now() - t) / 1000).toFixed(2)} s, ${warm.messages} messages, ${warm.bytes} bytes (${warm.wireBytes} on the wire)`);
  const expectedSnapshot = new Map([['INBOX', expected.map(bytesOnly)]]);

  /** Runs `fn`, adding server CPU and the CPU used meanwhile by unrelated processes (as runScenario does), and the proxy's view. */
  const observed = async (fn) => {
    s.proxy?.resetPeaks();
    const before = c.cpuNow();
    const r = await fn();
    const after = c.cpuNow();
    const diff = (k) => (before[k] === null || after[k] === null ? null : after[k] - before[k]);
    r.serverCpu = { dovecot: diff('dovecot'), redis: diff('redis') };
    const ours = [r.cpuS, r.serverCpu.dovecot, r.serverCpu.redis, diff('bench')];
    const machine = diff('machine');
    r.iowaitS = diff('iowait');
    r.foreignCpuS = machine === null || ours.some((x) => x === null) ? null : Math.max(0, machine - ours.reduce((a, b) => a + b, 0));
    // Client turns on the POP3 connections: how often the client waited for the server (round trips).
    if (s.proxy) r.protocol = s.proxy.windowSummary();
    return r;
  };
  const mailferry = (dstUser, label) => observed(() => runMailferry({
    srcScheme: 'pop3', srcPort: s.pop3Port, dstPort: dovecot.imapPort, srcUser: popUser, dstUser, password,
    redisUrl: c.redisUrl, workDir: c.workDir, label, concurrency: opts.concurrency, env: opts.mailferryEnv,
  }));
  const rawReader = (label, pipeline) => observed(() => runMeasured(process.execPath, [
    path.join(REPO_ROOT, 'bench', 'raw-pop3.mjs'), '--port', String(s.pop3Port), '--user', popUser, ...(pipeline ? ['--pipeline', String(pipeline)] : []),
  ], {
    logDir: c.workDir, label, cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MAILFERRY_SOURCE_PASSWORD: password },
  }));

  const runs = { mailferry: [], raw: [], pipelined: [] };
  const pick = (r) => ({
    code: r.code, wallS: r.wallS, cpuS: r.cpuS, peakRssMB: r.peakRssMB, serverCpu: r.serverCpu, foreignCpuS: r.foreignCpuS, iowaitS: r.iowaitS,
    protocol: r.protocol ?? null,
  });
  const turns = (r) => (r.protocol ? `, ${r.protocol.turns} client turns on ${r.protocol.connections} POP3 connection(s)` : '');
  for (let round = 1; round <= s.rounds; round++) {
    const where = `[${name} round ${round}]`;
    // (a) mailferry into a fresh target, clean Redis state
    {
      await c.redisClient.flushall();
      const dstUser = await c.freshUser('pm');
      progress(`${where} mailferry -> ${dstUser}`);
      const r = await mailferry(dstUser, `${s.tag}-r${round}-mailferry`);
      const totals = summaryTotals(r.summary);
      const exact = await verifyTarget(expectedSnapshot, imap(dstUser));
      const ok = r.code === 0 && totals.copied === stats.messages && exact.byteExact;
      runs.mailferry.push({ round, dstUser, ok, ...pick(r), totals, phases: r.phases, exact, stderrFile: r.stderrFile });
      progress(`${where} mailferry: ${r.wallS.toFixed(2)} s, RSS ${fmt(r.peakRssMB, 0)} MiB, exit ${r.code}, copied ${totals.copied}/${stats.messages}, exact ${exact.byteExact ? 'yes' : `NO (${exact.note})`}${turns(r)}`);
      if (!ok) progress(`mailferry stderr tail:\n${tail(r.stderrFile)}\nstdout: ${r.stdout.slice(0, 2000)}`);
    }
    // (b) raw RETR, one at a time; (c) pipelined
    for (const [key, pipeline] of [['raw', 0], ['pipelined', s.pipeline]]) {
      if (key === 'pipelined' && !pipeline) continue;
      const what = pipeline ? `raw RETR pipelined x${pipeline}` : 'raw RETR';
      progress(`${where} ${what}`);
      const r = await rawReader(`${s.tag}-r${round}-${key}`, pipeline);
      let got = null;
      try {
        got = JSON.parse(r.stdout);
      } catch {
        // reported below
      }
      const ok = r.code === 0 && got?.messages === stats.messages && got?.bytes === stats.bytes;
      runs[key].push({ round, ok, ...pick(r), read: got });
      progress(`${where} ${what}: ${r.wallS.toFixed(2)} s, RSS ${fmt(r.peakRssMB, 0)} MiB, ${got?.messages ?? '?'} messages, ${got?.bytes ?? '?'} bytes${turns(r)}`);
      if (!ok) progress(`${what} stderr tail:\n${tail(r.stderrFile)}`);
    }
  }

  // ---- no-op re-runs into the last target, on its Redis state: nothing is new
  let noop = null;
  const last = runs.mailferry.at(-1);
  if (last?.ok) {
    const noops = [];
    for (let i = 1; i <= opts.noopRuns; i++) {
      const r = await mailferry(last.dstUser, `${s.tag}-noop-${i}-mailferry`);
      const totals = summaryTotals(r.summary);
      noops.push({ ...pick(r), copied: totals.copied, alreadyThere: totals.alreadyThere, phases: r.phases, stderrFile: r.stderrFile });
      progress(`[${name}] no-op re-run ${i}: ${r.wallS.toFixed(2)} s, exit ${r.code}, copied ${totals.copied}`);
    }
    const exact = await verifyTarget(expectedSnapshot, imap(last.dstUser));
    noop = { runs: noops, wallS: median(noops.map((n) => n.wallS)), idle: noops.every((n) => n.code === 0 && n.copied === 0), targetStillExact: exact.byteExact };
  } else {
    progress(`[${name}] no-op re-run skipped: the last mailferry copy did not succeed`);
  }

  const corpusFig = { messages: stats.messages, bytes: stats.bytes };
  const pipelinedLabel = `raw RETR pipelined x${s.pipeline}`;
  const tools = {
    mailferry: summarize('mailferry', runs.mailferry, corpusFig),
    raw: summarize(s.reference === 'raw' ? 'raw RETR (reference)' : 'raw RETR', runs.raw, corpusFig),
    ...(runs.pipelined.length ? { pipelined: summarize(s.reference === 'pipelined' ? `${pipelinedLabel} (reference)` : pipelinedLabel, runs.pipelined, corpusFig) } : {}),
  };
  const ratios = {
    'mailferry/raw': pairedRatio(runs.mailferry, runs.raw),
    ...(runs.pipelined.length ? { 'pipelined/raw': pairedRatio(runs.pipelined, runs.raw), 'mailferry/pipelined': pairedRatio(runs.mailferry, runs.pipelined), 'raw/pipelined': pairedRatio(runs.raw, runs.pipelined) } : {}),
  };
  const broken = Object.values(runs).flat().some((r) => !r.ok) || (noop !== null && (!noop.idle || !noop.targetStillExact)) || noop === null;
  return { name, reference: s.reference, rttMs: s.proxy ? s.proxy.rttMs : null, popUser, corpus: corpusFig, warmUp: warm, runs, tools, ratios, noop, broken };
}

/** fillInbox from the test support (Maildir files, much faster than APPEND), if this checkout has it. */
async function maildirFill() {
  const file = path.join(REPO_ROOT, '.build', 'test', 'support', 'maildir-fill.js');
  if (!fs.existsSync(file)) return null;
  return (await import('../.build/test/support/maildir-fill.js')).fillInbox ?? null;
}

const bytesOnly = (sha) => ({ sha256: sha, flags: [], internalDate: '', size: 0 });
const bytesOnlySnapshot = (snapshot) => new Map([...snapshot].map(([folder, prints]) => [folder, prints.map((p) => bytesOnly(p.sha256))]));

/** The target's INBOX must hold exactly the source's messages (SHA-256 multiset), and no other folder any message. */
async function verifyTarget(expectedSnapshot, dstRef) {
  const got = await snapshotAccount(dstRef);
  const cmp = compareSnapshots(expectedSnapshot, bytesOnlySnapshot(got));
  const elsewhere = [...got].filter(([folder, prints]) => folder !== 'INBOX' && prints.length > 0);
  const problems = [...cmp.problems, ...elsewhere.map(([folder, prints]) => `${folder}: ${prints.length} unexpected message(s) on target`)];
  const byteExact = cmp.byteExact && elsewhere.length === 0;
  return {
    byteExact, messages: cmp.messages, bytesMissing: cmp.bytesMissing, problems,
    note: byteExact ? 'target INBOX = source box (SHA-256 multiset)' : problems.slice(0, 3).join('; '),
  };
}

/** Lines for the printed report. */
export function pop3Report(p) {
  const out = [];
  out.push(`  ${p.name}: ${p.corpus.messages} messages, ${(p.corpus.bytes / MiB).toFixed(1)} MiB in the POP box's INBOX (bench corpus flattened, no big messages), ${p.runs.mailferry.length} round(s)`);
  const header = ['scenario', 'tool', 'wall s', 'msgs/s', 'MiB/s', 'peak RSS MiB', 'exact', 'x raw RETR', 'x pipelined'];
  const ratio = (key, ref) => (key === ref ? '1.00' : fmt(p.ratios[`${key}/${ref}`]?.median));
  const rows = Object.entries(p.tools).map(([key, s]) => [
    p.name,
    s.tool + (s.failedRuns ? ` (${s.failedRuns} FAILED)` : '') + (s.noisy ? ' *' : ''),
    fmt(s.wallS), fmt(s.msgsPerS, 0), fmt(s.mibPerS, 1), fmt(s.peakRssMiB, 0),
    s.byteExact === null ? 'n/a' : s.byteExact ? 'yes' : 'NO',
    ratio(key, 'raw'),
    p.tools.pipelined ? ratio(key, 'pipelined') : '-',
  ]);
  out.push(table([header, ...rows]));
  out.push('  x raw RETR, x pipelined: median over rounds of the wall-time ratio within the same round. The raw readers read only (USER/PASS,');
  out.push('  UIDL, LIST, RETR one at a time or pipelined, bodies discarded); mailferry also stores every message on the target (IMAP APPEND)');
  out.push(`  and keeps its state in Redis. Reference here: ${p.reference === 'raw' ? 'raw RETR one at a time' : 'raw RETR pipelined'}.`);
  if (p.rttMs !== null) {
    out.push(`  ${p.name}: the POP3 connections go through the latency proxy (+${p.rttMs} ms RTT${p.timerSlackMs ? `, timer slack +${p.timerSlackMs.up.toFixed(1)}/+${p.timerSlackMs.down.toFixed(1)} ms per direction` : ''}); the IMAP target is direct.`);
    const turns = (k) => p.runs[k].map((r) => (r.protocol ? `${r.protocol.turns}` : '?')).join(', ');
    out.push(`  ${p.name} POP3 client turns per run (times the client waited for the server; one-at-a-time RETR needs one per message): ${Object.keys(p.tools).map((k) => `${k} ${turns(k)}`).join('; ')}`);
  }
  const walls = (k) => p.runs[k].map((r) => `${fmt(r.wallS)} (cpu ${fmt(r.cpuS)})`).join(', ');
  const server = (k) => p.runs[k].map((r) => `${fmt(r.serverCpu?.dovecot)}/${fmt(r.serverCpu?.redis)}`).join(', ');
  const foreign = (k) => p.runs[k].map((r) => `${fmt(r.foreignCpuS)} (iowait ${fmt(r.iowaitS)})`).join(', ');
  const keys = Object.keys(p.tools);
  out.push(`  ${p.name} wall s per round (own CPU s): ${keys.map((k) => `${k} ${walls(k)}`).join('; ')}`);
  out.push(`  ${p.name} server CPU s per run (dovecot/redis): ${keys.map((k) => `${k} ${server(k)}`).join('; ')}`);
  out.push(`  ${p.name} CPU s used by unrelated processes during each run and machine iowait s: ${keys.map((k) => `${k} ${foreign(k)}`).join('; ')}`);
  if (p.tools.mailferry.exactNote) out.push(`  ${p.name} mailferry: ${p.tools.mailferry.exactNote}`);
  for (const r of p.runs.mailferry) {
    const ph = r.phases;
    if (!ph) continue;
    const done = ph.folders.length ? Math.max(...ph.folders.map((f) => f.doneS)) : null;
    const copyS = done !== null && ph.plannedS !== null ? done - ph.plannedS : null;
    const phase = copyS ? ` (copy phase ${fmt(copyS)} s: ${fmt(r.totals.copied / copyS, 0)} msgs/s)` : '';
    out.push(`  ${p.name} mailferry round ${r.round} timeline (s from spawn): first log ${fmt(ph.firstLogS)}, planned ${fmt(ph.plannedS)}, INBOX done ${fmt(done)}${phase}, exit ${fmt(r.wallS)}; copied ${r.totals.copied}${ph.warnings.length ? `; ${ph.warnings.length} warnings: ${ph.warnings.slice(0, 3).join(' | ')}` : ''}`);
  }
  if (p.noop) {
    out.push(`  ${p.name} no-op re-run (same target, same Redis state): ${p.noop.runs.map((r) => `${fmt(r.wallS)} s (cpu ${fmt(r.cpuS)}, exit ${r.code}, copied ${r.copied})`).join(', ')} (median ${fmt(p.noop.wallS)} s)${p.noop.targetStillExact ? '' : '; target NO LONGER exact afterwards'}`);
  }
  return out;
}

/** PASS/FAIL lines (correctness only: the POP3 speed figures are reported, not targeted). */
export function pop3Targets(p) {
  const mf = p.tools.mailferry;
  const copiedAll = p.runs.mailferry.every((r) => r.totals.copied === p.corpus.messages && r.code === 0);
  const exactPass = mf.byteExact === true && copiedAll && mf.failedRuns === 0;
  const noopPass = p.noop !== null && p.noop.idle && p.noop.targetStillExact;
  return [
    { name: `${p.name}: mailferry exact (target INBOX = POP box, copied = ${p.corpus.messages})`, pass: exactPass, detail: exactPass ? mf.exactNote : `${mf.exactNote}; copied ${p.runs.mailferry.map((r) => r.totals.copied).join(', ')}; exit ${p.runs.mailferry.map((r) => String(r.code)).join(', ')}` },
    { name: `${p.name}: no-op re-run copies 0`, pass: noopPass, detail: p.noop ? `copied ${p.noop.runs.map((r) => r.copied).join(', ')}, ${fmt(p.noop.wallS)} s median` : 'not measured (full copy failed)' },
  ];
}
