#!/usr/bin/env node
/**
 * `npm run bench`: mailferry against mbsync and a raw FETCH of every body, on the same
 * private Dovecot, interleaved (mailferry, mbsync, raw, mailferry, mbsync, raw, ...),
 * then a no-op re-run, then the same through a latency proxy. See bench/README.md.
 *
 * Exit status: 0 when the bench ran (targets missed or not), 1 when the bench itself broke.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { startDovecot } from '../.build/test/support/dovecot.js';
import { loadMessages, snapshotAccount } from '../.build/test/support/imap-account.js';
import { startRedis } from '../.build/test/support/redis.js';
import { BIG_SIZE, benchCorpus, corpusStats } from './corpus.mjs';
import { startLatencyProxy } from './latency-proxy.mjs';
import { cliStartup, REPO_ROOT, runMailferry, shebangEnv, shebangNodeFlags, summaryTotals, usePlainNode } from './mailferry.mjs';
import { mbsyncAvailable, runMbsync } from './mbsync.mjs';
import { killActiveRuns, median, rssMethod, runMeasured, tail } from './measure.mjs';
import { HEADER, MiB, NOISE_LIMIT, fmt, pairedRatio, scenarioRows, summarize, table } from './report.mjs';
import { compareSnapshots, describeMeta, snapshotWithoutTuid } from './verify.mjs';
import { summarizeProfile } from './cpu-profile.mjs';
import { findPids, machineBusySeconds, machineIowaitSeconds, treeCpuSeconds } from './proc-cpu.mjs';
import { POP3_ARGS, POP3_USAGE, pop3Options, pop3Report, pop3Targets, runPop3LatencyScenario, runPop3Scenario } from './pop3-scenario.mjs';
import { MIRROR_ARGS, MIRROR_USAGE, mirrorOptions, mirrorReport, mirrorTargets, runMirrorScenario } from './mirror-scenario.mjs';

const USAGE = `usage: node bench/run.mjs [options]
  --messages N          messages in the local corpus (default 3000)
  --big K               ~12 MiB messages added to the local corpus (default 3)
  --rounds R            interleaved rounds of the local scenario (default 2)
  --latency-messages N  messages in the latency scenario's corpus (default 1000)
  --latency-rounds R    interleaved rounds through the proxy (default 1)
  --rtt MS              round trip added by the latency proxy (default 20)
  --skip-latency        skip the IMAP latency scenario (the POP3 one has --skip-pop3-latency)
${POP3_USAGE}
${MIRROR_USAGE}
  --noop-runs N         no-op re-runs (default 3)
  --concurrency N       pass --concurrency to mailferry (default: mailferry's own, 4)
  --cap N               per-account connection cap checked in the latency scenario (default 4)
  --redis-fsync MODE    appendfsync of the private Redis: everysec (default) or always
  --seed N              corpus seed (default 20240601)
  --json FILE           also write all results as JSON
  --profile             one extra (untimed) local mailferry run under node --cpu-prof and bench/trace-hooks.mjs:
                        where its CPU goes, what it waits on, memory at the RSS peak
  --plain-node          run \`node bin/mailferry.js\` without the node flags of its shebang
                        (default: apply them, as the installed \`mailferry\` command does)
  --dovecot-conf LINE   append a line to the private Dovecot's config (repeatable; e.g. 'mail_fsync = never')
  --mailferry-env K=V   extra environment for every mailferry run (repeatable; e.g. MALLOC_ARENA_MAX=2)
  --keep-logs           keep the work directory (logs, mbsyncrc, profiles) even on success`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '3000' },
      big: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '2' },
      'latency-messages': { type: 'string', default: '1000' },
      'latency-rounds': { type: 'string', default: '1' },
      rtt: { type: 'string', default: '20' },
      'skip-latency': { type: 'boolean', default: false },
      ...POP3_ARGS,
      ...MIRROR_ARGS,
      'noop-runs': { type: 'string', default: '3' },
      concurrency: { type: 'string' },
      cap: { type: 'string', default: '4' },
      'redis-fsync': { type: 'string', default: 'everysec' },
      seed: { type: 'string', default: '20240601' },
      json: { type: 'string' },
      'keep-logs': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'mailferry-env': { type: 'string', multiple: true, default: [] },
      'plain-node': { type: 'boolean', default: false },
      'dovecot-conf': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}`);
    return n;
  };
  if (!['everysec', 'always'].includes(values['redis-fsync'])) throw new Error('--redis-fsync must be everysec or always');
  return {
    messages: int('messages', 12),
    big: int('big', 0),
    rounds: int('rounds', 1),
    latencyMessages: int('latency-messages', 12),
    latencyRounds: int('latency-rounds', 1),
    rttMs: int('rtt', 0),
    skipLatency: values['skip-latency'],
    ...pop3Options(values, int),
    ...mirrorOptions(values, int),
    noopRuns: int('noop-runs', 1),
    concurrency: values.concurrency === undefined ? undefined : int('concurrency', 1),
    cap: int('cap', 1),
    redisFsync: values['redis-fsync'],
    seed: int('seed', 0),
    json: values.json,
    keepLogs: values['keep-logs'],
    profile: values.profile,
    plainNode: values['plain-node'],
    dovecotConf: values['dovecot-conf'],
    mailferryEnv: Object.fromEntries(values['mailferry-env'].map((kv) => {
      const i = kv.indexOf('=');
      if (i < 1) throw new Error(`--mailferry-env wants NAME=VALUE, got "${kv}"`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    })),
  };
}

const t0 = Date.now();
function progress(message) {
  process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
}

/** Everything this process started, stopped in reverse order. */
const cleanups = [];
async function cleanup() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (error) {
      progress(`cleanup: ${error.message}`);
    }
  }
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  usePlainNode(opts.plainNode);
  if (!mbsyncAvailable()) throw new Error('/usr/bin/mbsync not found (Debian package isync)');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailferry-bench-'));
  let keepWork = opts.keepLogs;
  progress(`work dir ${workDir}; peak RSS via ${rssMethod()}`);
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ missing: run `npm run build && npm run build:support` (or `npm run bench`)');

  const dovecot = await startDovecot({ users: ['src', 'lat'], ...(opts.dovecotConf.length ? { extraConfig: `${opts.dovecotConf.join('\n')}\n` } : {}) });
  cleanups.push(() => dovecot.stop());
  const redis = await startRedis({ appendfsync: opts.redisFsync });
  cleanups.push(() => redis.destroy());
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 3, lazyConnect: true });
  redisClient.on('error', () => {});
  await redisClient.connect();
  cleanups.push(() => redisClient.quit());
  const password = dovecot.password;
  const port = dovecot.imapPort;
  const dovecotPid = findPids('-F', path.join(dovecot.dir, 'dovecot.conf'))[0];
  /** CPU seconds so far of Dovecot (master + every imap/auth child), Redis, and this process (the proxy). */
  const cpuNow = () => ({
    dovecot: treeCpuSeconds(dovecotPid),
    redis: treeCpuSeconds(redis.pid),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    machine: machineBusySeconds(),
    iowait: machineIowaitSeconds(),
  });
  progress(`dovecot on 127.0.0.1:${port} (${dovecot.dir}${opts.dovecotConf.length ? `; extra config: ${opts.dovecotConf.join('; ')}` : ''}), redis ${redis.url} (appendfsync ${opts.redisFsync})`);

  let userSeq = 0;
  const freshUser = async (prefix) => {
    const name = `${prefix}${++userSeq}`;
    await dovecot.addUser(name);
    return name;
  };

  const results = {
    options: opts,
    code: { ...codeVersion(), nodeFlags: opts.plainNode ? [] : shebangNodeFlags(), nodeEnv: shebangEnv() },
    environment: {
      node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, rssMethod: rssMethod(),
      mbsync: (await runMeasured('/usr/bin/mbsync', ['--version'], { logDir: workDir, label: 'mbsync-version' })).stdout.trim(),
    },
    scenarios: {},
    noop: null,
    targets: [],
  };

  // ---------------------------------------------------------------- local scenario
  const corpus = benchCorpus({ seed: opts.seed, count: opts.messages, big: opts.big });
  const stats = corpusStats(corpus);
  progress(`corpus: ${stats.messages} messages in ${stats.folders} folders, ${(stats.bytes / MiB).toFixed(1)} MiB, largest ${(stats.largest / MiB).toFixed(1)} MiB; loading into "src"`);
  let t = Date.now();
  await loadMessages({ port, user: 'src', password }, corpus);
  progress(`loaded in ${((Date.now() - t) / 1000).toFixed(1)} s; snapshotting the source`);
  const srcRef = { port, user: 'src', password };
  const srcSnapshot = await snapshotAccount(srcRef);
  const startupS = await cliStartup(workDir);
  progress(`mailferry CLI start-up alone (--help): ${startupS.toFixed(2)} s`);

  const local = await runScenario({
    name: 'local', opts, rounds: opts.rounds, corpus: stats, srcUser: 'src', srcSnapshot, freshUser, password,
    imapPort: port, directPort: port, redisClient, redisUrl: redis.url, workDir, proxy: null, cpuNow,
  });
  results.scenarios.local = local;

  // ---------------------------------------------------------------- no-op re-run
  const last = local.runs.mailferry.at(-1);
  if (last?.ok) {
    const noops = [];
    for (let i = 1; i <= opts.noopRuns; i++) {
      const before = cpuNow();
      const r = await runMailferry({
        srcPort: port, dstPort: port, srcUser: 'src', dstUser: last.dstUser, password, redisUrl: redis.url,
        workDir, label: `noop-${i}-mailferry`, concurrency: opts.concurrency, env: opts.mailferryEnv,
      });
      const after = cpuNow();
      const totals = summaryTotals(r.summary);
      const foreignCpuS = after.machine === null ? null
        : Math.max(0, after.machine - before.machine - (r.cpuS ?? 0) - (after.dovecot - before.dovecot) - (after.redis - before.redis) - (after.bench - before.bench));
      noops.push({ wallS: r.wallS, cpuS: r.cpuS, peakRssMB: r.peakRssMB, code: r.code, copied: totals.copied, alreadyThere: totals.alreadyThere, phases: r.phases, dovecotCpuS: after.dovecot - before.dovecot, foreignCpuS });
      progress(`no-op re-run ${i}: ${r.wallS.toFixed(2)} s, exit ${r.code}, copied ${totals.copied}, already there ${totals.alreadyThere}`);
    }
    results.noop = { runs: noops, wallS: median(noops.map((n) => n.wallS)), startupS };
  } else {
    progress('no-op re-run skipped: the last full mailferry run did not succeed');
  }

  // ---------------------------------------------------------------- optional CPU profile
  if (opts.profile) {
    await redisClient.flushall();
    const dstUser = await freshUser('prof');
    const profDir = path.join(workDir, 'cpu-profile');
    fs.mkdirSync(profDir, { recursive: true });
    progress(`profiling one local mailferry run -> ${dstUser} (not timed)`);
    const r = await runMailferry({
      srcPort: port, dstPort: port, srcUser: 'src', dstUser, password, redisUrl: redis.url, workDir, label: 'profile-mailferry',
      concurrency: opts.concurrency,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--import', pathToFileURL(path.join(REPO_ROOT, 'bench', 'trace-hooks.mjs')).href],
      env: { ...opts.mailferryEnv, MAILFERRY_BENCH_TRACE: path.join(profDir, 'trace.json') },
    });
    let trace = null;
    try {
      trace = JSON.parse(fs.readFileSync(path.join(profDir, 'trace.json'), 'utf8'));
    } catch {
      progress('no trace written');
    }
    const files = fs.existsSync(profDir) ? fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
    if (files.length) {
      results.profile = { file: path.join(profDir, files[0]), wallS: r.wallS, phases: r.phases, trace, ...summarizeProfile(path.join(profDir, files[0])) };
      keepWork = true;
    } else {
      progress(`no profile written (exit ${r.code})`);
    }
  }

  // ---------------------------------------------------------------- latency scenario
  if (!opts.skipLatency) {
    const latCorpus = benchCorpus({ seed: opts.seed + 1, count: opts.latencyMessages, big: 0 });
    const latStats = corpusStats(latCorpus);
    progress(`latency corpus: ${latStats.messages} messages, ${(latStats.bytes / MiB).toFixed(1)} MiB; loading into "lat"`);
    await loadMessages({ port, user: 'lat', password }, latCorpus);
    const latSnapshot = await snapshotAccount({ port, user: 'lat', password });
    const proxy = await startLatencyProxy({ upstreamPort: port, rttMs: opts.rttMs });
    cleanups.push(() => proxy.close());
    progress(`latency proxy on 127.0.0.1:${proxy.port} (+${opts.rttMs} ms RTT)`);
    const lat = await runScenario({
      name: `rtt ${opts.rttMs}ms`, opts, rounds: opts.latencyRounds, corpus: latStats, srcUser: 'lat', srcSnapshot: latSnapshot,
      freshUser, password, imapPort: proxy.port, directPort: port, redisClient, redisUrl: redis.url, workDir, proxy, cpuNow,
    });
    lat.timerSlackMs = proxy.timerSlackMs();
    results.scenarios.latency = lat;
    // No-op through the proxy too (informational): what a re-run costs at this round trip.
    const lastLat = lat.runs.mailferry.at(-1);
    if (lastLat?.ok) {
      proxy.resetPeaks();
      const r = await runMailferry({
        srcPort: proxy.port, dstPort: proxy.port, srcUser: 'lat', dstUser: lastLat.dstUser, password, redisUrl: redis.url,
        workDir, label: 'rtt-noop-mailferry', concurrency: opts.concurrency, env: opts.mailferryEnv,
      });
      const totals = summaryTotals(r.summary);
      lat.noop = { wallS: r.wallS, code: r.code, copied: totals.copied, protocol: proxy.windowSummary() };
      progress(`[${lat.name}] no-op re-run: ${r.wallS.toFixed(2)} s, exit ${r.code}, copied ${totals.copied}`);
    }
  }

  // ---------------------------------------------------------------- POP3 -> IMAP (bench/pop3-scenario.mjs)
  if (!opts.skipPop3) {
    results.pop3 = await runPop3Scenario({ opts, dovecot, redisClient, redisUrl: redis.url, workDir, freshUser, cpuNow, progress });
  }
  if (!opts.skipPop3Latency) {
    results.pop3Latency = await runPop3LatencyScenario({ opts, dovecot, redisClient, redisUrl: redis.url, workDir, freshUser, cpuNow, progress });
  }

  // ---------------------------------------------------------------- mirror latency (bench/mirror-scenario.mjs)
  if (!opts.skipMirror) {
    results.mirror = await runMirrorScenario({ opts, dovecot, redisUrl: redis.url, workDir, freshUser, progress });
  }

  // ---------------------------------------------------------------- report
  printReport(results, opts);
  if (opts.json) {
    fs.writeFileSync(opts.json, `${JSON.stringify(results, (k, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2)}\n`);
    progress(`results written to ${opts.json}`);
  }
  // Missed targets are an ordinary outcome; a tool run that failed (or a copy that is not
  // exact) is worth its logs.
  const broken = Object.values(results.scenarios).some((sc) => Object.values(sc.runs).flat().some((r) => !r.ok)
    || sc.runs.mailferry.some((r) => r.exact && !r.exact.byteExact));
  if (broken || results.pop3?.broken || results.pop3Latency?.broken) keepWork = true;
  if (keepWork) progress(`logs kept in ${workDir}`);
  else fs.rmSync(workDir, { recursive: true, force: true });
}

/** Which mailferry was measured: HEAD, uncommitted changes under src/, and when dist/ was built. */
function codeVersion() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const dirty = git('status', '--porcelain', '--', 'src');
  let built = null;
  try {
    built = fs.statSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js')).mtime.toISOString();
  } catch {
    // reported as unknown
  }
  return { head: git('rev-parse', '--short', 'HEAD'), subject: git('log', '-1', '--format=%s'), srcChanges: dirty === null ? null : dirty.split('\n').filter(Boolean).length, distBuilt: built };
}

/**
 * One scenario: `rounds` x (mailferry, mbsync, raw fetch), each copy into a fresh target
 * user; copies are verified directly against Dovecot (not through the proxy).
 */
async function runScenario(s) {
  const { opts, corpus, password } = s;
  const tag = s.name.replace(/\W+/g, '-');
  const runs = { mailferry: [], mbsync: [], raw: [] };
  const direct = (user) => ({ port: s.directPort, user, password });

  /** Runs `fn` with the proxy's counters reset; adds server CPU and the proxy's view. */
  const observed = async (fn, users) => {
    s.proxy?.resetPeaks();
    const before = s.cpuNow();
    const r = await fn();
    const after = s.cpuNow();
    const diff = (k) => (before[k] === null || after[k] === null ? null : after[k] - before[k]);
    r.serverCpu = { dovecot: diff('dovecot'), redis: diff('redis'), benchProxy: s.proxy ? diff('bench') : null };
    // CPU used during the run by processes that are not part of it (other jobs on the machine).
    const ours = [r.cpuS, r.serverCpu.dovecot, r.serverCpu.redis, diff('bench')];
    const machine = diff('machine');
    r.iowaitS = diff('iowait');
    r.foreignCpuS = machine === null || ours.some((x) => x === null) ? null : Math.max(0, machine - ours.reduce((a, b) => a + b, 0));
    if (s.proxy) {
      const { peak, peakByUser } = s.proxy.stats;
      r.connections = { overall: peak, source: peakByUser.get(users.src) ?? 0, target: users.dst ? peakByUser.get(users.dst) ?? 0 : 0 };
      r.protocol = s.proxy.windowSummary();
    }
    return r;
  };

  for (let round = 1; round <= s.rounds; round++) {
    const where = `[${s.name} round ${round}]`;
    // (a) mailferry, clean Redis state
    {
      await s.redisClient.flushall();
      const dstUser = await s.freshUser('mf');
      progress(`${where} mailferry -> ${dstUser}`);
      const r = await observed(() => runMailferry({
        srcPort: s.imapPort, dstPort: s.imapPort, srcUser: s.srcUser, dstUser, password, redisUrl: s.redisUrl,
        workDir: s.workDir, label: `${tag}-r${round}-mailferry`, concurrency: opts.concurrency, env: opts.mailferryEnv,
      }), { src: s.srcUser, dst: dstUser });
      const totals = summaryTotals(r.summary);
      const exact = await verifyExact(s.srcSnapshot, direct(dstUser), false);
      const ok = r.code === 0 && totals.copied === corpus.messages;
      runs.mailferry.push({
        round, dstUser, ok, code: r.code, wallS: r.wallS, cpuS: r.cpuS, peakRssMB: r.peakRssMB, serverCpu: r.serverCpu, foreignCpuS: r.foreignCpuS, iowaitS: r.iowaitS,
        totals, phases: r.phases, connections: r.connections ?? null, protocol: r.protocol ?? null, exact, stderrFile: r.stderrFile,
      });
      const conn = r.connections;
      progress(`${where} mailferry: ${r.wallS.toFixed(2)} s, RSS ${fmt(r.peakRssMB, 0)} MiB, exit ${r.code}, copied ${totals.copied}/${corpus.messages}, byte-exact ${exact.byteExact ? 'yes' : 'NO'}${conn ? `, peak connections ${conn.overall} (src ${conn.source}, dst ${conn.target})` : ''}`);
      if (!ok) progress(`mailferry stderr tail:\n${tail(r.stderrFile)}\nstdout: ${r.stdout.slice(0, 2000)}`);
    }
    // (b) mbsync
    {
      const dstUser = await s.freshUser('mb');
      progress(`${where} mbsync -> ${dstUser}`);
      const r = await observed(() => runMbsync({
        srcPort: s.imapPort, dstPort: s.imapPort, srcUser: s.srcUser, dstUser, password, workDir: s.workDir, label: `${tag}-r${round}-mbsync`,
      }), { src: s.srcUser, dst: dstUser });
      const exact = await verifyExact(s.srcSnapshot, direct(dstUser), true);
      const ok = r.code === 0;
      runs.mbsync.push({
        round, dstUser, ok, code: r.code, wallS: r.wallS, cpuS: r.cpuS, peakRssMB: r.peakRssMB, serverCpu: r.serverCpu, foreignCpuS: r.foreignCpuS, iowaitS: r.iowaitS,
        connections: r.connections ?? null, protocol: r.protocol ?? null, exact,
      });
      progress(`${where} mbsync: ${r.wallS.toFixed(2)} s, RSS ${fmt(r.peakRssMB, 0)} MiB, exit ${r.code}, byte-exact ${exact.byteExact ? 'yes' : 'NO'} (${exact.note})`);
      if (!ok) progress(`mbsync stderr tail:\n${tail(r.stderrFile)}`);
    }
    // (c) raw FETCH of every body, one connection
    {
      progress(`${where} raw fetch`);
      const r = await observed(() => runMeasured(process.execPath, [path.join(REPO_ROOT, 'bench', 'raw-fetch.mjs'), '--port', String(s.imapPort), '--user', s.srcUser], {
        logDir: s.workDir, label: `${tag}-r${round}-raw`, cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, MAILFERRY_SOURCE_PASSWORD: password },
      }), { src: s.srcUser });
      let got = null;
      try {
        got = JSON.parse(r.stdout);
      } catch {
        // reported below
      }
      const ok = r.code === 0 && got?.messages === corpus.messages;
      runs.raw.push({
        round, ok, code: r.code, wallS: r.wallS, cpuS: r.cpuS, peakRssMB: r.peakRssMB, serverCpu: r.serverCpu, foreignCpuS: r.foreignCpuS, iowaitS: r.iowaitS,
        connections: r.connections ?? null, protocol: r.protocol ?? null, fetched: got,
      });
      progress(`${where} raw fetch: ${r.wallS.toFixed(2)} s, RSS ${fmt(r.peakRssMB, 0)} MiB, ${got?.messages ?? '?'} messages`);
      if (!ok) progress(`raw fetch stderr tail:\n${tail(r.stderrFile)}`);
    }
  }
  const tools = {
    mailferry: summarize('mailferry', runs.mailferry, corpus),
    mbsync: summarize('mbsync', runs.mbsync, corpus),
    raw: summarize('raw FETCH (1 conn)', runs.raw, corpus),
  };
  const ratios = {
    'mailferry/mbsync': pairedRatio(runs.mailferry, runs.mbsync),
    'mailferry/raw': pairedRatio(runs.mailferry, runs.raw),
    'mbsync/raw': pairedRatio(runs.mbsync, runs.raw),
  };
  return { name: s.name, corpus: { messages: corpus.messages, bytes: corpus.bytes, folders: corpus.folders }, runs, tools, ratios };
}

async function verifyExact(srcSnapshot, dstRef, tuidAware) {
  if (!tuidAware) {
    const cmp = compareSnapshots(srcSnapshot, await snapshotAccount(dstRef));
    const note = cmp.byteExact
      ? (cmp.metaMismatch ? `bytes identical; ${describeMeta(cmp)}` : 'bytes, flags and INTERNALDATE identical')
      : cmp.problems.slice(0, 3).join('; ');
    return { ...cmp, note };
  }
  const { snapshot: stripped, rawSnapshot, tuids } = await snapshotWithoutTuid(dstRef);
  const raw = compareSnapshots(srcSnapshot, rawSnapshot);
  const cmp2 = compareSnapshots(srcSnapshot, stripped);
  let note;
  if (raw.byteExact) note = 'bytes identical';
  else if (cmp2.byteExact) note = `differs only by X-TUID (${tuids} messages, +${raw.sizeDelta} bytes)${cmp2.metaMismatch ? `; ${describeMeta(cmp2)}` : ''}`;
  else note = `${cmp2.problems.slice(0, 3).join('; ')} (even ignoring X-TUID)`;
  return { ...raw, note, tuids, exactIgnoringTuid: cmp2.byteExact, metaMismatchIgnoringTuid: cmp2.metaMismatch };
}

function printReport(results, opts) {
  const out = [];
  const scen = Object.values(results.scenarios);
  out.push('');
  const c = results.code;
  out.push(`mailferry ${c.head ?? '?'}${c.srcChanges ? ` + ${c.srcChanges} uncommitted file(s) under src/` : ''} ("${(c.subject ?? '').slice(0, 70)}"), dist/ built ${c.distBuilt ?? '?'}; run as: ${Object.entries(c.nodeEnv ?? {}).map(([k, v]) => `${k}=${v} `).join('')}node ${[...c.nodeFlags, 'bin/mailferry.js'].join(' ')}`);
  out.push(`mailferry bench — ${results.environment.cpus} cores, node ${results.environment.node}, ${results.environment.mbsync}; peak RSS via ${results.environment.rssMethod}`);
  for (const s of scen) {
    out.push(`  ${s.name}: ${s.corpus.messages} messages, ${(s.corpus.bytes / MiB).toFixed(1)} MiB, ${s.corpus.folders} folders, ${s.runs.mailferry.length} round(s)${s.timerSlackMs ? `; proxy timer slack +${s.timerSlackMs.up.toFixed(1)}/+${s.timerSlackMs.down.toFixed(1)} ms per direction` : ''}`);
  }
  out.push('');
  out.push(table([HEADER, ...scen.flatMap((s) => scenarioRows(s))]));
  out.push('  wall s: median over rounds (spawn to exit); msgs/s, MiB/s: corpus / median wall; peak RSS: max over rounds;');
  out.push('  x mbsync, x raw fetch: median over rounds of the wall-time ratio within the same round.');
  if (scen.some((s) => Object.values(s.tools).some((t) => t.noisy))) {
    out.push(`  * unrelated processes used more than ${NOISE_LIMIT * 100}% of the machine's CPU during at least one of these runs: figures are noisy, re-run on an idle machine or with more --rounds.`);
  }
  out.push('');
  for (const s of scen) {
    for (const [tool, t] of Object.entries(s.tools)) {
      if (t.exactNote) out.push(`  ${s.name} ${tool}: ${t.exactNote}`);
    }
    const walls = (k) => s.runs[k].map((r) => `${fmt(r.wallS)} (cpu ${fmt(r.cpuS)})`).join(', ');
    out.push(`  ${s.name} wall s per round (own CPU s): mailferry ${walls('mailferry')}; mbsync ${walls('mbsync')}; raw ${walls('raw')}`);
    const server = (k) => s.runs[k].map((r) => `${fmt(r.serverCpu?.dovecot)}/${fmt(r.serverCpu?.redis)}`).join(', ');
    out.push(`  ${s.name} server CPU s per run (dovecot/redis): mailferry ${server('mailferry')}; mbsync ${server('mbsync')}; raw ${server('raw')}`);
    const foreign = (k) => s.runs[k].map((r) => `${fmt(r.foreignCpuS)} (iowait ${fmt(r.iowaitS)})`).join(', ');
    out.push(`  ${s.name} CPU s used by unrelated processes during each run (noise; 0 is ideal) and machine iowait s: mailferry ${foreign('mailferry')}; mbsync ${foreign('mbsync')}; raw ${foreign('raw')}`);
    for (const k of ['mailferry', 'mbsync', 'raw']) {
      const pr = s.runs[k].at(-1)?.protocol;
      if (!pr) continue;
      const verbs = Object.entries(pr.verbs).map(([v, n]) => `${v} ${n}`).join(', ');
      out.push(`  ${s.name} ${k} on the wire: ${pr.connections} connections, ${pr.turns} client turns (waits for the server; max ${pr.maxTurnsOneConnection} on one connection); ${verbs}`);
    }
    for (const r of s.runs.mailferry) {
      const p = r.phases;
      if (!p) continue;
      const done = p.folders.map((f) => f.doneS);
      const slowest = p.folders.reduce((a, f) => (a && a.doneS >= f.doneS ? a : f), null);
      out.push(`  ${s.name} mailferry round ${r.round} timeline (s from spawn): first log ${fmt(p.firstLogS)}, planned ${fmt(p.plannedS)}, folders done ${fmt(Math.min(...done))}..${fmt(Math.max(...done))} (last: ${slowest?.folder}, ${slowest?.copied} msgs), exit ${fmt(r.wallS)}${p.warnings.length ? `; ${p.warnings.length} warnings: ${p.warnings.slice(0, 3).join(' | ')}` : ''}`);
    }
    if (s.noop) {
      const pr = s.noop.protocol;
      out.push(`  ${s.name} no-op re-run: ${fmt(s.noop.wallS)} s, exit ${s.noop.code}, copied ${s.noop.copied}; ${pr.connections} connections, ${pr.turns} client turns; ${Object.entries(pr.verbs).map(([v, n]) => `${v} ${n}`).join(', ')}`);
    }
    const conns = s.runs.mailferry.map((r) => r.connections).filter(Boolean);
    if (conns.length) {
      const mb = s.runs.mbsync.map((r) => r.connections).filter(Boolean);
      out.push(`  ${s.name} peak simultaneous connections: mailferry ${conns.map((c) => `${c.overall} (source ${c.source}, target ${c.target})`).join(', ')} with --concurrency ${opts.concurrency ?? '4 (default)'}; mbsync ${mb.map((c) => `${c.overall} (source ${c.source}, target ${c.target})`).join(', ')}`);
    }
  }
  if (results.noop) {
    out.push(`  no-op re-run (same Redis state, nothing new): ${results.noop.runs.map((r) => `${fmt(r.wallS)} s (cpu ${fmt(r.cpuS)}, dovecot ${fmt(r.dovecotCpuS)}, unrelated ${fmt(r.foreignCpuS)})`).join(', ')} (median ${fmt(results.noop.wallS)} s; CLI start-up alone, --help: ${fmt(results.noop.startupS)} s)`);
    const p = results.noop.runs.at(-1)?.phases;
    if (p) out.push(`  no-op timeline (s from spawn): first log ${fmt(p.firstLogS)}, planned ${fmt(p.plannedS)}, last folder done ${fmt(Math.max(...p.folders.map((f) => f.doneS)))}, exit ${fmt(results.noop.runs.at(-1).wallS)}`);
  }
  if (results.profile) {
    const pf = results.profile;
    const ms = (x) => `${(x / 1000).toFixed(2)} s`;
    out.push(`  mailferry CPU profile (extra local run, ${fmt(pf.wallS)} s wall; main thread busy ${ms(pf.busyMs)}, idle ${ms(pf.idleMs)}; ${pf.file})`);
    out.push(`    by package: ${pf.byGroup.map(([g, t]) => `${g} ${ms(t)}`).join(', ')}`);
    for (const [fn, t] of pf.byFunction) out.push(`    ${ms(t).padStart(7)}  ${fn}`);
    if (pf.trace) {
      out.push(`  mailferry waiting time by operation in that run (summed over concurrent folder jobs; imapflow calls pending during ${ms(pf.trace.imapBusyMs)} of ${ms(pf.trace.wallMs)}):`);
      const mem = pf.trace.memoryAtPeakMiB;
      if (mem?.rss) out.push(`    memory at the sampled RSS peak: rss ${mem.rss} MiB = JS heap ${mem.heapTotal} MiB (used ${mem.heapUsed}) + Buffers/external ${mem.external} MiB (arrayBuffers ${mem.arrayBuffers}) + code/stacks/native rest${mem.RssAnon ? `; RssAnon ${mem.RssAnon} MiB, RssFile ${mem.RssFile} MiB` : ''}`);
      for (const [op, v] of Object.entries(pf.trace.ops).slice(0, 14)) {
        out.push(`    ${ms(v.totalMs).padStart(8)}  ${op.padEnd(20)} x${String(v.count).padEnd(6)} avg ${v.avgMs} ms, max ${v.maxMs} ms${v.messages ? ` (${v.messages} messages)` : ''}`);
      }
    }
  }
  if (results.pop3) out.push('', ...pop3Report(results.pop3));
  if (results.pop3Latency) out.push('', ...pop3Report(results.pop3Latency));
  if (results.mirror) out.push('', ...mirrorReport(results.mirror));
  out.push('');

  // Targets
  const targets = [];
  const add = (name, pass, detail) => targets.push({ name, pass, detail });
  const local = results.scenarios.local;
  const lf = local.tools.mailferry;
  const lr = local.ratios['mailferry/mbsync'].median;
  const failures = (sc) => ['mailferry', 'mbsync'].filter((k) => sc.tools[k].failedRuns > 0).map((k) => `; ${k} FAILED in ${sc.tools[k].failedRuns} run(s)`).join('');
  add('local: mailferry wall <= 0.8x mbsync', lr !== null && lr <= 0.8 && lf.failedRuns === 0, `${fmt(lr)}x (mailferry ${fmt(lf.wallS)} s, mbsync ${fmt(local.tools.mbsync.wallS)} s)${failures(local)}`);
  add('local: mailferry byte-exact', lf.byteExact === true, lf.exactNote);
  add(`peak RSS < 150 MiB${opts.big > 0 ? ` (with ${opts.big} x 12 MiB messages)` : ' (NOTE: no big messages in this corpus)'}`, lf.peakRssMiB !== null && lf.peakRssMiB < 150 && opts.big > 0, `${fmt(lf.peakRssMiB, 0)} MiB`);
  if (results.noop) {
    const idle = results.noop.runs.every((r) => r.code === 0 && r.copied === 0);
    add('no-op re-run < 1 s', results.noop.wallS < 1 && idle, `${fmt(results.noop.wallS)} s median${idle ? '' : ' (NOT a no-op: it copied something or failed)'}`);
  }
  else add('no-op re-run < 1 s', false, 'not measured (full copy failed)');
  const lat = results.scenarios.latency;
  if (lat) {
    const r = lat.ratios['mailferry/mbsync'].median;
    add(`${lat.name}: mailferry wall <= 1.0x mbsync`, r !== null && r <= 1.0 && lat.tools.mailferry.failedRuns === 0, `${fmt(r)}x (mailferry ${fmt(lat.tools.mailferry.wallS)} s, mbsync ${fmt(lat.tools.mbsync.wallS)} s)${failures(lat)}`);
    const peaks = lat.runs.mailferry.map((x) => x.connections).filter(Boolean);
    const worst = Math.max(0, ...peaks.flatMap((c) => [c.source, c.target]));
    // A connection whose login the proxy could not read would escape the per-account count.
    const unknown = lat.runs.mailferry.reduce((n, x) => n + (x.protocol?.byUser?.['?']?.connections ?? 0), 0);
    add(`${lat.name}: <= ${opts.cap} connections per account`, worst <= opts.cap && unknown === 0 && peaks.length > 0,
      `peak ${worst} per account (overall ${Math.max(0, ...peaks.map((c) => c.overall))})${unknown ? `; ${unknown} connection(s) with an unrecognized login, not attributed` : ''}`);
    add(`${lat.name}: mailferry byte-exact`, lat.tools.mailferry.byteExact === true, lat.tools.mailferry.exactNote);
  }
  for (const p of [results.pop3, results.pop3Latency]) if (p) for (const x of pop3Targets(p)) add(x.name, x.pass, x.detail);
  if (results.mirror) for (const x of mirrorTargets(results.mirror)) add(x.name, x.pass, x.detail);
  for (const x of targets) out.push(`${x.pass ? 'PASS' : 'FAIL'}  ${x.name}: ${x.detail}`);
  results.targets = targets;
  const failed = targets.filter((x) => !x.pass).length;
  out.push(failed ? `${failed} of ${targets.length} targets missed.` : `All ${targets.length} targets met.`);
  process.stdout.write(`${out.join('\n')}\n`);
  return failed === 0;
}

let exitCode = 0;
let interrupted = false;
const onSignal = (signal) => {
  interrupted = true;
  progress(`${signal}: stopping`);
  killActiveRuns();
  cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  await main();
} catch (error) {
  if (interrupted) await new Promise(() => {}); // the signal handler cleans up and exits
  process.stderr.write(`bench broke: ${error?.stack ?? error}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
