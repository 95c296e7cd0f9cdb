/**
 * Run one child process and measure it: wall time (spawn to exit, as the user sees it)
 * and peak RSS.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -v -o FILE`, "Maximum resident set size",
 * the kernel's ru_maxrss of the child) when it is installed; otherwise /proc/<pid>/status
 * is polled every 50 ms (VmHWM, falling back to VmRSS) and the maximum kept, which can
 * miss a short spike but never over-reports.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
/** A tool run that takes longer than this is killed (and reported as failed). */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Process groups of the runs in progress (each run is a group leader we spawned). */
const active = new Set();

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Ends every tool run still in progress (used when the bench is interrupted). */
export function killActiveRuns() {
  for (const pid of active) killGroup(pid);
}
let gnuTimeOk;

function hasGnuTime() {
  if (gnuTimeOk === undefined) {
    try {
      fs.accessSync(GNU_TIME, fs.constants.X_OK);
      gnuTimeOk = true;
    } catch {
      gnuTimeOk = false;
    }
  }
  return gnuTimeOk;
}

/** How peak RSS is measured in this environment (for the report). */
export function rssMethod() {
  return hasGnuTime() ? 'GNU time -v (ru_maxrss)' : '/proc/<pid>/status VmHWM polled every 50 ms';
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string,string>, cwd?: string, logDir: string, label: string, timeoutMs?: number }} options
 * @returns {Promise<{ code: number|null, signal: string|null, wallS: number, peakRssMB: number|null, cpuS: number|null, stdout: string, stderrFile: string }>}
 */
export async function runMeasured(command, args, options) {
  const { logDir, label } = options;
  const stderrFile = path.join(logDir, `${label}.stderr.log`);
  const timeFile = path.join(logDir, `${label}.time.txt`);
  const useTime = hasGnuTime();
  const argv = useTime ? [GNU_TIME, '-v', '-o', timeFile, command, ...args] : [command, ...args];
  const errFd = fs.openSync(stderrFile, 'w');
  let child;
  const started = performance.now();
  try {
    child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', errFd],
      // Own process group: a timeout or Ctrl-C of the bench can end the tool *and* the
      // GNU time wrapper around it with one signal to this group, and nothing else.
      detached: true,
    });
  } finally {
    fs.closeSync(errFd);
  }
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));

  let polledKb = 0;
  let poller;
  if (!useTime) {
    poller = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status) ?? /VmRSS:\s+(\d+) kB/.exec(status);
        if (m) polledKb = Math.max(polledKb, Number(m[1]));
      } catch {
        // exited between polls
      }
    }, 50);
  }
  active.add(child.pid);
  const timer = setTimeout(() => killGroup(child.pid), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const { code, signal } = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => active.delete(child.pid));
  const wallS = (performance.now() - started) / 1000;
  clearTimeout(timer);
  if (poller) clearInterval(poller);

  let peakRssMB = polledKb > 0 ? polledKb / 1024 : null;
  let exitCode = code;
  let cpuS = null;
  if (useTime) {
    const text = fs.readFileSync(timeFile, 'utf8');
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
    if (m) peakRssMB = Number(m[1]) / 1024;
    const user = /User time \(seconds\): ([\d.]+)/.exec(text);
    const sys = /System time \(seconds\): ([\d.]+)/.exec(text);
    if (user && sys) cpuS = Number(user[1]) + Number(sys[1]);
    // GNU time exits with the child's status; "Command exited with non-zero status N" too.
    const st = /Exit status: (\d+)/.exec(text);
    if (st) exitCode = Number(st[1]);
    const sig = /Command terminated by signal (\d+)/.exec(text);
    if (sig) return { code: null, signal: `signal ${sig[1]}`, wallS, peakRssMB, cpuS, stdout, stderrFile };
  }
  return { code: exitCode, signal, wallS, peakRssMB, cpuS, stdout, stderrFile };
}

/** Last lines of a log file, for error messages. */
export function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function max(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
}
