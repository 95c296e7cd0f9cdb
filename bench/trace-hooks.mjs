/**
 * Diagnostic preload for one mailferry run (never used in timed runs):
 *
 *   MAILFERRY_BENCH_TRACE=/tmp/trace.json node --import ./bench/trace-hooks.mjs bin/mailferry.js migrate ...
 *
 * Wraps imapflow's client methods and ioredis' sendCommand to add up how long the process
 * waited on each kind of operation (sum over all concurrent folder jobs, count, max), and
 * writes the totals as JSON at exit, with process.memoryUsage() at the sampled RSS peak. mailferry's own code is not touched.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import IORedis from 'ioredis';

const out = process.env.MAILFERRY_BENCH_TRACE;
const startedAt = performance.now();
const ops = new Map();
let inFlightImap = 0;
let imapBusySince = null;
let imapBusyMs = 0;

/** Memory at the moment RSS peaked (sampled every 25 ms), to tell JS heap from Buffers. */
let memPeak = { rss: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > memPeak.rss) memPeak = m;
}, 25);
sampler.unref();

function record(name, ms) {
  const e = ops.get(name) ?? { count: 0, totalMs: 0, maxMs: 0 };
  e.count += 1;
  e.totalMs += ms;
  e.maxMs = Math.max(e.maxMs, ms);
  ops.set(name, e);
}

function wrapImap(method) {
  const original = ImapFlow.prototype[method];
  if (typeof original !== 'function') return;
  ImapFlow.prototype[method] = async function traced(...args) {
    const t = performance.now();
    if (inFlightImap++ === 0) imapBusySince = t;
    try {
      return await original.apply(this, args);
    } finally {
      const now = performance.now();
      record(`imap ${method}`, now - t);
      if (--inFlightImap === 0) imapBusyMs += now - imapBusySince;
    }
  };
}

for (const m of ['connect', 'logout', 'list', 'status', 'mailboxOpen', 'search', 'fetchAll', 'append', 'mailboxCreate', 'mailboxSubscribe']) wrapImap(m);

const Redis = IORedis.Redis ?? IORedis.default ?? IORedis;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function traced(command, ...rest) {
  const t = performance.now();
  const result = sendCommand.call(this, command, ...rest);
  const name = `redis ${String(command?.name ?? '?').toUpperCase()}`;
  const done = () => record(name, performance.now() - t);
  if (result && typeof result.then === 'function') result.then(done, done);
  return result;
};

process.on('exit', () => {
  if (!out) return;
  const totals = Object.fromEntries([...ops].sort((a, b) => b[1].totalMs - a[1].totalMs).map(([k, v]) => [k, {
    count: v.count, totalMs: Math.round(v.totalMs), avgMs: +(v.totalMs / v.count).toFixed(2), maxMs: Math.round(v.maxMs),
  }]));
  fs.writeFileSync(out, JSON.stringify({
    wallMs: Math.round(performance.now() - startedAt),
    /** Wall time during which at least one imapflow call was pending. */
    imapBusyMs: Math.round(imapBusyMs),
    /** process.memoryUsage() at the highest sampled RSS, MiB. */
    memoryAtPeakMiB: Object.fromEntries(Object.entries(memPeak).map(([k, v]) => [k, Math.round(v / 1048576)])),
    ops: totals,
  }, null, 2));
});
