import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildReport, buildRunReport, writeRunReport } from '../../../src/cli/run-report.js';
import type { RunOutcome } from '../../../src/cli/summary.js';
import { compareDigests, verifyBatches, type MessageDigest } from '../../../src/jobs/verify/verify-folder.js';
import type { FolderResult, RunRecord } from '../../../src/state/index.js';

const run = (extra: Partial<RunRecord> = {}): RunRecord => ({
  runId: 'run-1', pairId: 'pair-1', pairName: 'alice', state: 'completed',
  startedAt: '2024-05-01T10:00:00.000Z', finishedAt: '2024-05-01T10:01:00.000Z', spec: '{}', ...extra,
});

const folder = (sourcePath: string, extra: Partial<FolderResult> = {}): FolderResult => ({
  sourcePath, targetPath: sourcePath, outcome: 'done', selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0, quarantine: [], ...extra,
});

const outcome: RunOutcome = {
  run: run(),
  folders: [
    folder('INBOX', { selected: 3, copied: 2, alreadyThere: 1, bytes: 300 }),
    folder('Sent', { selected: 2, copied: 1, quarantined: 1, bytes: 100, quarantine: [{ uid: 7, size: 9000, reason: 'TOOBIG' }] }),
    folder('POP', { selected: 1, quarantined: 1, quarantine: [{ uid: 1, uidl: 'u-1', size: 10, reason: 'refused' }] }),
    folder('Ews', { selected: 1, quarantined: 1, quarantine: [{ uid: 0, itemId: 'AAMk=', size: 20, reason: 'refused' }], mirrored: { flagsUpdated: 2, deleted: 1, deletionsHeld: 0 } }),
  ],
};

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('buildRunReport', () => {
  it('names quarantined messages by UID, UIDL or item id and sums the totals', () => {
    const report = buildRunReport(outcome);
    expect(report).toMatchObject({ pair: 'alice', runId: 'run-1', state: 'completed', startedAt: '2024-05-01T10:00:00.000Z', finishedAt: '2024-05-01T10:01:00.000Z', exitCode: 1 });
    expect(report.folders[1]?.quarantine).toEqual([{ uid: 7, size: 9000, reason: 'TOOBIG' }]);
    expect(report.folders[2]?.quarantine).toEqual([{ uidl: 'u-1', size: 10, reason: 'refused' }]);
    expect(report.folders[3]?.quarantine).toEqual([{ itemId: 'AAMk=', size: 20, reason: 'refused' }]);
    expect(report.folders[3]?.mirrored).toEqual({ flagsUpdated: 2, deleted: 1, deletionsHeld: 0 });
    expect(report.totals).toEqual({
      folders: 4, failedFolders: 0, selected: 7, copied: 3, alreadyThere: 1, quarantined: 3, vanished: 0, bytes: 400, flagsUpdated: 2, deleted: 1, deletionsHeld: 0,
    });
  });

  it('keeps an exit code it is given (an interrupted run) and a run without a finish', () => {
    const report = buildRunReport({ run: run({ state: 'running', finishedAt: undefined as unknown as string }), folders: [] }, 130);
    expect(report).toMatchObject({ exitCode: 130, state: 'running', finishedAt: null, totals: { folders: 0 } });
  });

  it('is one run for one pair and { runs } for several', () => {
    expect(buildReport([outcome])).toHaveProperty('runId', 'run-1');
    const several = buildReport([outcome, { run: run({ runId: 'run-2', pairName: 'bob' }), folders: [] }]);
    expect(several).toHaveProperty('runs');
    expect((several as { runs: unknown[] }).runs).toHaveLength(2);
  });

  it('is written atomically: the file is replaced whole and no temporary file is left', () => {
    dir = mkdtempSync(join(tmpdir(), 'run-report-'));
    const file = join(dir, 'report.json');
    writeFileSync(file, 'old');
    writeRunReport(file, buildRunReport(outcome));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ runId: 'run-1' });
    expect(readdirSync(dir)).toEqual(['report.json']);
  });
});

const digest = (id: number, sha256: string, flags: string[] = [], date = '2024-01-01T00:00:00Z'): MessageDigest => ({
  id, sha256, size: 10, flags, internalDate: new Date(date),
});

describe('verify comparison', () => {
  it('batches by bytes and count, a big message alone', () => {
    const sizes = [5, 5, 5, 20, 1, 1, 1].map((size) => ({ size }));
    expect(verifyBatches(sizes, { bytes: 10, messages: 2 }).map((b) => b.map((m) => m.size))).toEqual([[5, 5], [5], [20], [1, 1], [1]]);
  });

  it('compares multisets of hashes; among duplicates an agreeing pairing wins', () => {
    const policy = { permanent: ['\\Seen', '\\Flagged'], newKeywords: false };
    const source = [digest(1, 'a', ['\\Seen']), digest(2, 'a', []), digest(3, 'b'), digest(4, 'c', ['\\Flagged', 'Dropped']), digest(5, 'd', [], '2024-01-01T00:00:00.900Z')];
    const target = [digest(10, 'a', []), digest(11, 'a', ['\\Seen', '\\Recent']), digest(12, 'c', ['\\flagged']), digest(13, 'd'), digest(14, 'e')];
    const c = compareDigests(source, target, { policy, dates: true });
    expect(c.missing.map((m) => m.id)).toEqual([3]);
    expect(c.extra.map((m) => m.id)).toEqual([14]);
    // 'Dropped' cannot be kept by the target; case and \Recent do not matter; dates to the second.
    expect(c.flags).toEqual([]);
    expect(c.dates).toEqual([]);
    expect(c.matched).toBe(4);
  });

  it('reports flags and dates of byte-identical messages', () => {
    const c = compareDigests([digest(1, 'a', ['\\Seen']), digest(2, 'b')], [digest(5, 'a'), digest(6, 'b', [], '2020-01-01T00:00:00Z')],
      { policy: { permanent: [], newKeywords: true }, dates: true });
    expect(c.flags).toMatchObject([{ sourceId: 1, targetId: 5, sourceFlags: ['\\seen'], targetFlags: [] }]);
    expect(c.dates).toMatchObject([{ sourceId: 2, targetId: 6 }]);
    const contentOnly = compareDigests([digest(1, 'a', ['\\Seen'])], [digest(5, 'a', [], '2020-01-01T00:00:00Z')], { dates: false });
    expect(contentOnly.flags.length + contentOnly.dates.length).toBe(0);
  });
});
