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
  if (m.rss > memPeak.rss) {
    memPeak = m;
    try {
      // Anonymous vs file-backed resident memory (Linux).
      const status = fs.readFileSync('/proc/self/status', 'utf8');
      for (const k of ['RssAnon', 'RssFile']) {
        const v = new RegExp(`${k}:\\s+(\\d+) kB`).exec(status);
        if (v) memPeak[k] = Number(v[1]) * 1024;
      }
    } catch {
      // not Linux
    }
  }
}, 25);
sampler.unref();

function record(name, ms, items = 0) {
  const e = ops.get(name) ?? { count: 0, totalMs: 0, maxMs: 0, items: 0 };
  e.count += 1;
  e.items += items;
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

// APPEND sent straight through imapflow's command runner (mailferry's MULTIAPPEND does that);
// APPENDs made by append() above are already counted there.
const exec = ImapFlow.prototype.exec;
const inAppend = Symbol('inAppend');
const append = ImapFlow.prototype.append;
ImapFlow.prototype.append = async function tracedAppend(...args) {
  this[inAppend] = (this[inAppend] ?? 0) + 1;
  try {
    return await append.apply(this, args);
  } finally {
    this[inAppend] -= 1;
  }
};
ImapFlow.prototype.exec = async function tracedExec(command, attributes, ...rest) {
  if (command !== 'APPEND' || this[inAppend]) return exec.call(this, command, attributes, ...rest);
  const t = performance.now();
  if (inFlightImap++ === 0) imapBusySince = t;
  try {
    return await exec.call(this, command, attributes, ...rest);
  } finally {
    const now = performance.now();
    const messages = Array.isArray(attributes) ? attributes.filter((a) => a?.type === 'LITERAL').length : 0;
    record('imap MULTIAPPEND', now - t, messages);
    if (--inFlightImap === 0) imapBusyMs += now - imapBusySince;
  }
};

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
    count: v.count, ...(v.items ? { messages: v.items } : {}), totalMs: Math.round(v.totalMs), avgMs: +(v.totalMs / v.count).toFixed(2), maxMs: Math.round(v.maxMs),
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
