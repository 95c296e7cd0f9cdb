/** The end-of-run summary: a per-folder table, the quarantined messages, and the exit code. */
import stringWidth from 'string-width';
import type { FolderResult, QuarantinedMessage, RunRecord } from '../state/index.js';
import { EXIT } from './exit-codes.js';

export interface RunOutcome {
  readonly run: RunRecord;
  readonly folders: readonly FolderResult[];
}

export function exitCodeOf(outcome: RunOutcome): number {
  const { run, folders } = outcome;
  if (run.state === 'failed' && folders.length === 0) return EXIT.ACCOUNT;
  if (run.state !== 'completed') return EXIT.INCOMPLETE;
  const missing = folders.some((f) => f.outcome === 'failed' || f.quarantine.length > 0);
  return missing || heldByMirror(outcome) > 0 ? EXIT.INCOMPLETE : EXIT.OK;
}

/**
 * Deletions a mirror held back (over its cap, or from an untrusted listing): the target
 * still has mail the source deleted, until someone confirms. A backup keeping deleted mail
 * for its retention is doing its job, not waiting for anyone.
 */
function heldByMirror(outcome: RunOutcome): number {
  const mode = (JSON.parse(outcome.run.spec) as { mode?: string }).mode;
  return mode === 'mirror' ? outcome.folders.reduce((sum, f) => sum + (f.mirrored?.deletionsHeld ?? 0), 0) : 0;
}

export function formatSummary(outcome: RunOutcome): string {
  const { run, folders } = outcome;
  if (run.error && folders.length === 0) return `Run failed: ${run.error}`;
  const lines: string[] = [];
  const header = ['Folder', 'Copied', 'Already there', 'Flags updated', 'Skipped', 'Quarantined', 'Status'];
  const rows = folders.map((f) => [
    f.sourcePath === f.targetPath ? f.sourcePath : `${f.sourcePath} -> ${f.targetPath}`,
    String(f.copied), String(f.alreadyThere), String(flagsUpdatedOf(f)), String(f.vanished), String(f.quarantine.length),
    f.outcome === 'failed' ? `FAILED: ${f.error ?? ''}` : f.outcome === 'skipped' ? `skipped: ${f.error ?? ''}` : 'ok',
  ]);
  const total = (pick: (f: FolderResult) => number) => String(folders.reduce((sum, f) => sum + pick(f), 0));
  rows.push(['Total', total((f) => f.copied), total((f) => f.alreadyThere), total(flagsUpdatedOf), total((f) => f.vanished), total((f) => f.quarantine.length), '']);
  lines.push(...table([header, ...rows]));

  const quarantined = folders.flatMap((f) => f.quarantine.map((q) => ({ folder: f.sourcePath, ...q })));
  if (quarantined.length > 0) {
    lines.push('', 'Quarantined (not on the target; fix the cause and run again):');
    for (const q of quarantined) lines.push(`  ${q.folder} ${messageName(q)} (${q.size} bytes): ${q.reason}`);
  }
  const changed = folders.filter((f) => (f.changedByTarget ?? 0) > 0);
  if (changed.length > 0) {
    lines.push('', `Changed by the target as it stored them (there, but not byte for byte; verify reports them as changed): ${changed.reduce((sum, f) => sum + (f.changedByTarget ?? 0), 0)}`);
    for (const f of changed) lines.push(`  ${f.sourcePath}: ${(f.targetChanges ?? []).join('; ')}`);
  }
  const deleted = folders.filter((f) => f.deletedFromSource !== undefined);
  if (deleted.length > 0) {
    lines.push('', `Deleted from the source server (copies confirmed on the target): ${deleted.reduce((sum, f) => sum + (f.deletedFromSource ?? 0), 0)}`);
  }
  const mirrored = folders.filter((f) => f.mirrored !== undefined);
  if (mirrored.length > 0) lines.push('', ...mirrorLines(mirrored));
  lines.push('', verdict(outcome));
  return lines.join('\n');
}

/** Copies made earlier whose flags the run set anew: a migration's re-run, or a mirror's or backup's pass. */
function flagsUpdatedOf(f: FolderResult): number {
  return (f.flagsUpdated ?? 0) + (f.mirrored?.flagsUpdated ?? 0);
}

/** A mirror or backup pass: flags set anew, deletions followed, and deletions held with why. */
function mirrorLines(folders: readonly FolderResult[]): string[] {
  const sum = (pick: (f: FolderResult) => number) => folders.reduce((total, f) => total + pick(f), 0);
  const lines = [`Flags updated: ${sum((f) => f.mirrored?.flagsUpdated ?? 0)}, deleted on the target: ${sum((f) => f.mirrored?.deleted ?? 0)}`];
  for (const f of folders) {
    if (f.mirrored?.heldReason) lines.push(`  ${f.sourcePath}: ${f.mirrored.deletionsHeld} deletion(s) held: ${f.mirrored.heldReason}`);
  }
  return lines;
}

/** The run completed and changed nothing: a quiet pass of a mirror or schedule. */
export function isQuietRun(outcome: RunOutcome): boolean {
  return outcome.run.state === 'completed' && outcome.folders.every((f) => f.copied === 0 && f.quarantine.length === 0 && flagsUpdatedOf(f) === 0
    && (f.mirrored === undefined || (f.mirrored.deleted === 0 && f.mirrored.deletionsHeld === 0)));
}

/** One line per run, for a daemon's or mirror's log of passes. */
export function oneLineSummary(outcome: RunOutcome): string {
  const { run, folders } = outcome;
  const sum = (pick: (f: FolderResult) => number) => folders.reduce((total, f) => total + pick(f), 0);
  const seconds = run.finishedAt ? ((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1) : '?';
  const held = sum((f) => f.mirrored?.deletionsHeld ?? 0);
  const parts = [
    `copied ${sum((f) => f.copied)}`, `flags ${sum(flagsUpdatedOf)}`, `deleted ${sum((f) => f.mirrored?.deleted ?? 0)}`,
    ...(held > 0 ? [`deletions held ${held}`] : []),
    ...(sum((f) => f.quarantine.length) > 0 ? [`quarantined ${sum((f) => f.quarantine.length)}`] : []),
  ];
  const state = run.state === 'completed' ? '' : ` ${run.state.toUpperCase()}${run.error ? `: ${run.error}` : ''}`;
  return `${new Date().toISOString()} ${run.pairName}: ${parts.join(', ')} (${seconds} s)${state}`;
}

/** How the source names a message: IMAP UID, POP3 UIDL or Exchange item id. */
function messageName(q: QuarantinedMessage): string {
  if (q.uidl !== undefined) return `UIDL ${q.uidl}`;
  return q.itemId === undefined ? `UID ${q.uid}` : `item ${q.itemId}`;
}

function verdict(outcome: RunOutcome): string {
  const code = exitCodeOf(outcome);
  const selected = outcome.folders.reduce((sum, f) => sum + f.copied + f.alreadyThere, 0);
  if (code === EXIT.OK) return `Done: every selected message is on the target (${selected} handled in this run).`;
  const failed = outcome.folders.filter((f) => f.outcome === 'failed').length;
  const missing = outcome.folders.reduce((sum, f) => sum + f.quarantine.length, 0);
  const held = heldByMirror(outcome);
  const parts = [
    missing > 0 ? `${missing} message(s) quarantined` : '', failed > 0 ? `${failed} folder(s) failed` : '',
    held > 0 ? `${held} deletion(s) held (see above; --confirm-deletes lets them through)` : '',
  ].filter(Boolean);
  return `Incomplete: ${parts.join(', ') || outcome.run.error || 'the run did not complete'}. Re-run to retry.`;
}

/** Aligns columns by display width, so CJK and emoji folder names line up in a terminal. */
function table(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => stringWidth(row[col] ?? '')))) ?? [];
  const pad = (cell: string, width: number, left: boolean) => {
    const fill = ' '.repeat(Math.max(0, width - stringWidth(cell)));
    return left ? cell + fill : fill + cell;
  };
  return rows.map((row) => row.map((cell, col) => pad(cell, widths[col] ?? 0, col === 0 || col === row.length - 1)).join('  ').trimEnd());
}
