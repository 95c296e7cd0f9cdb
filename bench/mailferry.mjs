/**
 * Runs the mailferry CLI as a child (`node bin/mailferry.js migrate ... --json`) and reads
 * its JSON summary and its pino logs (stderr) for a per-phase breakdown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './measure.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO_ROOT, 'bin', 'mailferry.js');

/**
 * Node flags from the CLI's shebang (`#!/usr/bin/env -S node --flag ...`): running the
 * installed `mailferry` command applies them, `node bin/mailferry.js` does not. The bench
 * runs mailferry the way the command runs (same node binary as the bench, plus these flags)
 * unless told to use plain `node bin/mailferry.js`.
 */
export function shebangNodeFlags() {
  return shebang().flags;
}

/** Environment assignments in the shebang (`env -S NAME=value node ...`), applied like the flags. */
export function shebangEnv() {
  return plainNode ? {} : shebang().env;
}

function shebang() {
  const first = fs.readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env\s+(?:-S\s+)?((?:\w+=\S*\s+)*)node((?:\s+-\S+)*)\s*$/.exec(first) ?? /^#!\S*\/node()((?:\s+-\S+)*)\s*$/.exec(first);
  if (!m) return { flags: [], env: {} };
  const env = Object.fromEntries(m[1].trim().split(/\s+/).filter(Boolean).map((pair) => pair.split(/=(.*)/s).slice(0, 2)));
  return { flags: m[2].trim().split(/\s+/).filter(Boolean), env };
}

let plainNode = false;
/** Run `node bin/mailferry.js` without the shebang's flags (the form a clone's README shows). */
export function usePlainNode(value) {
  plainNode = value;
}

/** A clean environment: the developer's REDIS_URL, NODE_OPTIONS, MAILFERRY_* cannot leak in. */
function cleanEnv(extra) {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...shebangEnv(),
    ...extra,
  };
}

/**
 * @param {{ srcPort: number, dstPort: number, srcUser: string, dstUser: string, password: string,
 *   redisUrl: string, workDir: string, label: string, concurrency?: number, pageSize?: number, logLevel?: string,
 *   nodeArgs?: string[], env?: Record<string,string>, srcScheme?: 'imap'|'pop3' }} o
 */
export async function runMailferry(o) {
  const args = [
    ...(plainNode ? [] : shebangNodeFlags()),
    ...(o.nodeArgs ?? []),
    CLI, 'migrate',
    '--source', `${o.srcScheme ?? 'imap'}://${encodeURIComponent(o.srcUser)}@127.0.0.1:${o.srcPort}?tls=off`,
    '--target', `imap://${encodeURIComponent(o.dstUser)}@127.0.0.1:${o.dstPort}?tls=off`,
    '--redis', o.redisUrl,
    '--json',
    ...(o.concurrency ? ['--concurrency', String(o.concurrency)] : []),
    ...(o.pageSize ? ['--page-size', String(o.pageSize)] : []),
  ];
  const env = cleanEnv({
    MAILFERRY_SOURCE_PASSWORD: o.password,
    MAILFERRY_TARGET_PASSWORD: o.password,
    MAILFERRY_LOG_LEVEL: o.logLevel ?? 'info',
    ...(o.env ?? {}),
  });
  const started = Date.now();
  const result = await runMeasured(process.execPath, args, { logDir: o.workDir, label: o.label, cwd: REPO_ROOT, env });
  let summary = null;
  try {
    summary = JSON.parse(result.stdout);
  } catch {
    // reported by the caller via code/stdout
  }
  return { ...result, summary, phases: phasesFromLog(result.stderrFile, started) };
}

/** Time for the CLI to start and exit without doing anything (module loading). */
export async function cliStartup(workDir) {
  const r = await runMeasured(process.execPath, [...(plainNode ? [] : shebangNodeFlags()), CLI, '--help'], { logDir: workDir, label: 'mailferry-help', cwd: REPO_ROOT, env: cleanEnv({}) });
  return r.wallS;
}

/** Totals from the --json summary. */
export function summaryTotals(summary) {
  const folders = summary?.runs?.flatMap((r) => r.folders) ?? [];
  const sum = (k) => folders.reduce((s, f) => s + (f[k] ?? 0), 0);
  return {
    folders: folders.length,
    failed: folders.filter((f) => f.outcome === 'failed').length,
    copied: sum('copied'),
    alreadyThere: sum('alreadyThere'),
    quarantined: sum('quarantined'),
    vanished: sum('vanished'),
    bytes: sum('bytes'),
    exitCodes: summary?.runs?.map((r) => r.exitCode) ?? [],
  };
}

/**
 * From pino lines: when the process logged first, when the run was planned, when each
 * folder finished (relative to spawn, seconds), and any warnings/errors.
 */
export function phasesFromLog(file, spawnedAtMs) {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const rel = (t) => Math.round((t - spawnedAtMs)) / 1000;
  const out = { firstLogS: null, plannedS: null, folders: [], warnings: [] };
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    if (out.firstLogS === null) out.firstLogS = rel(rec.time);
    if (rec.msg === 'run planned') out.plannedS = rel(rec.time);
    else if (rec.msg === 'folder done') out.folders.push({ folder: rec.folder, doneS: rel(rec.time), copied: rec.copied, alreadyThere: rec.alreadyThere });
    else if (rec.level >= 40) out.warnings.push(`${rec.msg}${rec.folder ? ` [${rec.folder}]` : ''}${rec.err?.message ? `: ${rec.err.message}` : ''}`);
  }
  return out;
}
