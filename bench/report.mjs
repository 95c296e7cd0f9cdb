/** Turning measurements into the results table and the PASS/FAIL lines. */
import os from 'node:os';
import { max, median } from './measure.mjs';

/** Share of the machine's CPU that unrelated processes may use during a run before it is flagged. */
export const NOISE_LIMIT = 0.15;
const CPUS = os.cpus().length || 1;
export const noiseOf = (r) => (r.foreignCpuS == null || !r.wallS ? 0 : r.foreignCpuS / (r.wallS * CPUS));

export const MiB = 1024 * 1024;

const fmt = (v, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/**
 * Summary of one tool in one scenario.
 * @param {Array<{ wallS: number, peakRssMB: number|null, ok: boolean, exact?: {byteExact:boolean}|null }>} runs
 */
export function summarize(tool, runs, corpus) {
  const walls = runs.map((r) => r.wallS);
  const wall = median(walls);
  const exacts = runs.map((r) => r.exact).filter(Boolean);
  return {
    tool,
    runs: runs.length,
    failedRuns: runs.filter((r) => !r.ok).length,
    wallS: wall,
    wallsS: walls,
    msgsPerS: wall ? corpus.messages / wall : null,
    mibPerS: wall ? corpus.bytes / MiB / wall : null,
    peakRssMiB: max(runs.map((r) => r.peakRssMB)),
    byteExact: exacts.length === 0 ? null : exacts.every((e) => e.byteExact),
    noisy: runs.some((r) => noiseOf(r) > NOISE_LIMIT),
    exactNote: exacts.length === 0 ? '' : exacts.find((e) => !e.byteExact)?.note ?? exacts[0]?.note ?? '',
  };
}

/** Median over rounds of (a's wall / b's wall) within the same round. */
export function pairedRatio(runsA, runsB) {
  const ratios = [];
  for (let i = 0; i < Math.min(runsA.length, runsB.length); i++) {
    const a = runsA[i]?.wallS;
    const b = runsB[i]?.wallS;
    if (a && b) ratios.push(a / b);
  }
  return { median: median(ratios), each: ratios };
}

export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c <= 1 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/**
 * @param {{ name: string, corpus: {messages:number, bytes:number}, tools: Record<string, any>, ratios: Record<string, any> }} scenario
 */
export function scenarioRows(scenario) {
  const rows = [];
  for (const [key, s] of Object.entries(scenario.tools)) {
    if (!s) continue;
    const vsMbsync = scenario.ratios[`${key}/mbsync`]?.median;
    const vsRaw = scenario.ratios[`${key}/raw`]?.median;
    rows.push([
      scenario.name,
      s.tool + (s.failedRuns ? ` (${s.failedRuns} FAILED)` : '') + (s.noisy ? ' *' : ''),
      fmt(s.wallS),
      fmt(s.msgsPerS, 0),
      fmt(s.mibPerS, 1),
      fmt(s.peakRssMiB, 0),
      s.byteExact === null ? 'n/a' : s.byteExact ? 'yes' : 'NO',
      key === 'mbsync' ? '1.00' : fmt(vsMbsync),
      key === 'raw' ? '1.00' : fmt(vsRaw),
    ]);
  }
  return rows;
}

export const HEADER = ['scenario', 'tool', 'wall s', 'msgs/s', 'MiB/s', 'peak RSS MiB', 'byte-exact', 'x mbsync', 'x raw fetch'];

export { fmt, median };
