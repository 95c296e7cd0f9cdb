/**
 * CPU seconds used by a server process tree (Dovecot forks one `imap` process per
 * connection; their time lands in the master's cutime/cstime once reaped), read from
 * /proc. Linux only; returns null elsewhere. Only reads /proc, never signals anything.
 */
import fs from 'node:fs';

const TICK = 100; // USER_HZ on Linux

function stat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces/parens: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // f[0] = state (field 3); ppid field 4 -> f[1]; utime 14 -> f[11]; stime f[12]; cutime f[13]; cstime f[14]
    return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

function allPids() {
  try {
    return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

/** PIDs whose command line contains every given fragment. */
export function findPids(...fragments) {
  const found = [];
  for (const pid of allPids()) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (fragments.every((f) => cmd.includes(f))) found.push(pid);
    } catch {
      // gone
    }
  }
  return found;
}

/** CPU seconds of `root` and all its descendants, including reaped children. */
export function treeCpuSeconds(root) {
  if (!root) return null;
  const stats = new Map();
  for (const pid of allPids()) {
    const s = stat(pid);
    if (s) stats.set(pid, s);
  }
  if (!stats.has(root)) return null;
  const children = new Map();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  let ticks = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    const s = stats.get(pid);
    if (!s) continue;
    ticks += s.own + s.children;
    stack.push(...(children.get(pid) ?? []));
  }
  return ticks / TICK;
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat, excluding idle and iowait). */
export function machineBusySeconds() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0);
    return busy / TICK;
  } catch {
    return null;
  }
}

/** Seconds all cores spent idle waiting for I/O so far (/proc/stat iowait; a disk-contention hint). */
export function machineIowaitSeconds() {
  try {
    const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return v[4] / TICK;
  } catch {
    return null;
  }
}
