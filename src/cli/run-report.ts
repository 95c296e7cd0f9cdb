/**
 * The per-run report file (`--report FILE` on `migrate` and `mirror --once`): what a run
 * did, per folder, as JSON for scripts and tickets. Written atomically (a temporary file
 * in the same directory, fsync, rename), so a reader never sees half a report.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FolderResult, QuarantinedMessage } from '../state/index.js';
import { exitCodeOf, type RunOutcome } from './summary.js';

/** One quarantined message as the report names it: by UID, UIDL or item id. */
export type ReportedQuarantine =
  | { readonly uid: number; readonly size: number; readonly reason: string }
  | { readonly uidl: string; readonly size: number; readonly reason: string }
  | { readonly itemId: string; readonly size: number; readonly reason: string };

/** A folder's result as the run recorded it, with its quarantine named as above. */
export type ReportedFolder = Omit<FolderResult, 'quarantine'> & { readonly quarantine: readonly ReportedQuarantine[] };

export interface ReportTotals {
  readonly folders: number;
  readonly failedFolders: number;
  readonly selected: number;
  readonly copied: number;
  readonly alreadyThere: number;
  readonly quarantined: number;
  readonly vanished: number;
  readonly bytes: number;
  readonly flagsUpdated?: number;
  readonly deleted?: number;
  readonly deletionsHeld?: number;
}

export interface RunReport {
  readonly pair: string;
  readonly runId: string;
  readonly state: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly exitCode: number;
  readonly error?: string;
  readonly folders: readonly ReportedFolder[];
  readonly totals: ReportTotals;
}

/** Several pairs of one `migrate` in one file. */
export interface MultiRunReport {
  readonly runs: readonly RunReport[];
}

function quarantineEntry(q: QuarantinedMessage): ReportedQuarantine {
  if (q.uidl !== undefined) return { uidl: q.uidl, size: q.size, reason: q.reason };
  if (q.itemId !== undefined) return { itemId: q.itemId, size: q.size, reason: q.reason };
  return { uid: q.uid, size: q.size, reason: q.reason };
}

function reportFolder(f: FolderResult): ReportedFolder {
  return {
    sourcePath: f.sourcePath,
    targetPath: f.targetPath,
    outcome: f.outcome,
    selected: f.selected,
    copied: f.copied,
    alreadyThere: f.alreadyThere,
    quarantined: f.quarantined,
    vanished: f.vanished,
    bytes: f.bytes,
    ...(f.flagsUpdated === undefined ? {} : { flagsUpdated: f.flagsUpdated }),
    ...(f.changedByTarget === undefined ? {} : { changedByTarget: f.changedByTarget, targetChanges: f.targetChanges ?? [] }),
    ...(f.deletedFromSource === undefined ? {} : { deletedFromSource: f.deletedFromSource }),
    ...(f.mirrored === undefined ? {} : { mirrored: f.mirrored }),
    ...(f.error === undefined ? {} : { error: f.error }),
    quarantine: f.quarantine.map(quarantineEntry),
  };
}

function totalsOf(folders: readonly FolderResult[]): ReportTotals {
  const sum = (pick: (f: FolderResult) => number) => folders.reduce((total, f) => total + pick(f), 0);
  const mirrored = folders.some((f) => f.mirrored !== undefined);
  const flagsUpdated = sum((f) => (f.flagsUpdated ?? 0) + (f.mirrored?.flagsUpdated ?? 0));
  return {
    folders: folders.length,
    failedFolders: folders.filter((f) => f.outcome === 'failed').length,
    selected: sum((f) => f.selected),
    copied: sum((f) => f.copied),
    alreadyThere: sum((f) => f.alreadyThere),
    quarantined: sum((f) => f.quarantine.length),
    vanished: sum((f) => f.vanished),
    bytes: sum((f) => f.bytes),
    ...(mirrored || flagsUpdated > 0 ? { flagsUpdated } : {}),
    ...(mirrored ? {
      deleted: sum((f) => f.mirrored?.deleted ?? 0),
      deletionsHeld: sum((f) => f.mirrored?.deletionsHeld ?? 0),
    } : {}),
  };
}

/** The report of one run; `exitCode` defaults to the run's own (an interrupted run passes 130/143). */
export function buildRunReport(outcome: RunOutcome, exitCode: number = exitCodeOf(outcome)): RunReport {
  const { run, folders } = outcome;
  return {
    pair: run.pairName,
    runId: run.runId,
    state: run.state,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    exitCode,
    ...(run.error === undefined ? {} : { error: run.error }),
    folders: folders.map(reportFolder),
    totals: totalsOf(folders),
  };
}

/** One run: the run's report itself; several: `{ runs: [...] }`. */
export function buildReport(outcomes: readonly RunOutcome[], exitCode?: number): RunReport | MultiRunReport {
  const reports = outcomes.map((o) => buildRunReport(o, exitCode ?? exitCodeOf(o)));
  return reports.length === 1 && reports[0] !== undefined ? reports[0] : { runs: reports };
}

/** Writes `content` to `file` atomically: a reader sees the old file or the whole new one. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export function writeRunReport(file: string, report: RunReport | MultiRunReport): void {
  writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
}
