/** How `mailferry verify` prints its findings: per folder, examples, notes, and the last line scripts read. */
import type { FolderComparison, MismatchedPair, UnmatchedMessage } from '../../jobs/verify/verify-folder.js';

/** What verify found in one mapped folder. */
export interface FolderVerdict {
  readonly sourcePath: string;
  readonly targetPath: string;
  /**
   * identical; changed (every message there, some as the target changed them when it
   * stored them); differs; skipped (not mail); or error (could not be read).
   */
  readonly status: 'identical' | 'changed' | 'differs' | 'skipped' | 'error';
  readonly targetMissing?: boolean;
  readonly comparison?: FolderComparison;
  /** Message-IDs of the first few messages named in examples, by source id. */
  readonly messageIds?: ReadonlyMap<number | string, string>;
  readonly error?: string;
}

export interface PairVerdict {
  readonly pair: string;
  readonly mode: string;
  readonly folders: readonly FolderVerdict[];
  readonly notes: readonly string[];
}

export interface VerifyTotals {
  readonly folders: number;
  readonly messages: number;
  readonly missing: number;
  readonly extra: number;
  /** Messages the target stored changed (there, not byte for byte): no failure, reported. */
  readonly changed: number;
  readonly flags: number;
  readonly dates: number;
  readonly errors: number;
}

/** Examples printed per kind of difference and folder. */
export const EXAMPLES = 5;

export function totalsOf(pairs: readonly PairVerdict[]): VerifyTotals {
  const folders = pairs.flatMap((p) => p.folders).filter((f) => f.status !== 'skipped');
  const sum = (pick: (c: FolderComparison) => number) => folders.reduce((total, f) => total + (f.comparison ? pick(f.comparison) : 0), 0);
  return {
    folders: folders.length,
    messages: sum((c) => c.sourceMessages),
    missing: sum((c) => c.missing.length),
    extra: sum((c) => c.extra.length),
    changed: sum((c) => c.changed.length),
    flags: sum((c) => c.flags.length),
    dates: sum((c) => c.dates.length),
    errors: folders.filter((f) => f.status === 'error').length,
  };
}

/** Nothing lost, nothing extra, flags and dates agree (copies the target changed are reported, not failed: exit 0). */
export function isIdentical(totals: VerifyTotals): boolean {
  return totals.missing + totals.extra + totals.flags + totals.dates + totals.errors === 0;
}

/** identical; changed (complete, but the target changed some copies as it stored them); differs. */
export function resultOf(totals: VerifyTotals): 'identical' | 'changed' | 'differs' {
  if (!isIdentical(totals)) return 'differs';
  return totals.changed > 0 ? 'changed' : 'identical';
}

export function lastLine(totals: VerifyTotals): string {
  const errors = totals.errors > 0 ? ` errors=${totals.errors}` : '';
  const changed = totals.changed > 0 ? ` changed=${totals.changed}` : '';
  return `VERIFY ${resultOf(totals)}: folders=${totals.folders} messages=${totals.messages} `
    + `missing=${totals.missing} extra=${totals.extra}${changed} flags=${totals.flags} dates=${totals.dates}${errors}`;
}

/** "24 × headers added (Status, X-UID)" per kind of change. */
function changeKinds(c: FolderComparison): string {
  const kinds = new Map<string, number>();
  for (const pair of c.changed) kinds.set(pair.how, (kinds.get(pair.how) ?? 0) + 1);
  return [...kinds].map(([how, n]) => `${n} × ${how}`).join('; ');
}

const idName = (id: number | string): string => (typeof id === 'number' ? `UID ${id}` : `item ${id}`);

function named(id: number | string, ids: ReadonlyMap<number | string, string> | undefined): string {
  const messageId = ids?.get(id);
  return messageId ? `${idName(id)} ${messageId}` : idName(id);
}

const flagList = (flags: readonly string[]): string => (flags.length > 0 ? flags.join(' ') : '(none)');

export function formatPair(verdict: PairVerdict): string[] {
  const lines: string[] = [];
  for (const f of verdict.folders) {
    const where = f.sourcePath === f.targetPath ? f.sourcePath : `${f.sourcePath} -> ${f.targetPath}`;
    if (f.status === 'skipped') {
      lines.push(`${where}: skipped (${f.error ?? 'not a mail folder'})`);
      continue;
    }
    if (f.status === 'error' || !f.comparison) {
      lines.push(`${where}: ERROR: ${f.error ?? 'could not be read'}`);
      continue;
    }
    const c = f.comparison;
    const counts = `${c.sourceMessages} on the source, ${c.targetMessages} on the target`;
    if (f.status === 'identical') {
      lines.push(`${where}: identical (${counts})`);
      continue;
    }
    if (f.status === 'changed') {
      lines.push(`${where}: all there; changed by the target as it stored them: ${changeKinds(c)} (${counts})`);
      continue;
    }
    lines.push(`${where}: differs: missing ${c.missing.length}, extra ${c.extra.length}, flags ${c.flags.length}, dates ${c.dates.length} (${counts})`
      + `${f.targetMissing ? '; the target folder does not exist' : ''}`);
    if (c.changed.length > 0) lines.push(`  changed by the target as it stored them: ${changeKinds(c)}`);
    const more = (n: number) => (n > EXAMPLES ? [`    ... and ${n - EXAMPLES} more`] : []);
    const unmatched = (label: string, list: readonly UnmatchedMessage[], side: 'source' | 'target') => {
      for (const m of list.slice(0, EXAMPLES)) lines.push(`  ${label}: ${side === 'source' ? named(m.id, f.messageIds) : `target ${idName(m.id)}`} (${m.size} bytes)`);
      lines.push(...more(list.length));
    };
    const pairs = (label: string, list: readonly MismatchedPair[], show: (p: MismatchedPair) => string) => {
      for (const p of list.slice(0, EXAMPLES)) lines.push(`  ${label}: ${named(p.sourceId, f.messageIds)} = target ${idName(p.targetId)}: ${show(p)}`);
      lines.push(...more(list.length));
    };
    unmatched('missing on target', c.missing, 'source');
    unmatched('extra on target', c.extra, 'target');
    pairs('flags differ', c.flags, (p) => `source ${flagList(p.sourceFlags)}, target ${flagList(p.targetFlags)}`);
    pairs('date differs', c.dates, (p) => `source ${p.sourceDate}, target ${p.targetDate}`);
  }
  for (const note of verdict.notes) lines.push(`Note: ${note}`);
  return lines;
}

/** Machine output: counts and a few examples per folder (ids, not bodies). */
export function jsonOf(pairs: readonly PairVerdict[]): unknown {
  const totals = totalsOf(pairs);
  return {
    result: resultOf(totals),
    totals,
    pairs: pairs.map((p) => ({
      pair: p.pair,
      mode: p.mode,
      notes: p.notes,
      folders: p.folders.map((f) => ({
        sourcePath: f.sourcePath,
        targetPath: f.targetPath,
        status: f.status,
        ...(f.targetMissing ? { targetMissing: true } : {}),
        ...(f.error === undefined ? {} : { error: f.error }),
        ...(f.comparison ? {
          sourceMessages: f.comparison.sourceMessages,
          targetMessages: f.comparison.targetMessages,
          missing: f.comparison.missing.length,
          extra: f.comparison.extra.length,
          changed: f.comparison.changed.length,
          flags: f.comparison.flags.length,
          dates: f.comparison.dates.length,
          examples: {
            missing: f.comparison.missing.slice(0, EXAMPLES).map((m) => ({ sourceId: m.id, size: m.size, sha256: m.sha256, ...messageIdOf(f, m.id) })),
            extra: f.comparison.extra.slice(0, EXAMPLES).map((m) => ({ targetId: m.id, size: m.size, sha256: m.sha256 })),
            changed: f.comparison.changed.slice(0, EXAMPLES).map((p) => ({ ...p, ...messageIdOf(f, p.sourceId) })),
            flags: f.comparison.flags.slice(0, EXAMPLES).map((p) => ({ ...p, ...messageIdOf(f, p.sourceId) })),
            dates: f.comparison.dates.slice(0, EXAMPLES).map((p) => ({ ...p, ...messageIdOf(f, p.sourceId) })),
          },
        } : {}),
      })),
    })),
  };
}

function messageIdOf(f: FolderVerdict, id: number | string): { messageId?: string } {
  const messageId = f.messageIds?.get(id);
  return messageId === undefined ? {} : { messageId };
}
