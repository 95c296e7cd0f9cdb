import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { exitCodeOf, formatSummary, type RunOutcome } from '../../../src/cli/summary.js';
import type { FolderResult, RunRecord, RunState } from '../../../src/state/index.js';

function run(state: RunState, extra: Partial<RunRecord> = {}): RunRecord {
  return { runId: 'run-1', pairId: 'pair-1', pairName: 'alice', state, startedAt: '2024-05-01T10:00:00.000Z', spec: '{}', ...extra };
}

function folder(sourcePath: string, extra: Partial<FolderResult> = {}): FolderResult {
  return {
    sourcePath, targetPath: sourcePath, outcome: 'done',
    selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0, quarantine: [],
    ...extra,
  };
}

const quarantinedOne = folder('Sent', { quarantined: 1, quarantine: [{ uid: 42, size: 9000, reason: 'TOOBIG' }] });

describe('exitCodeOf', () => {
  it.each<[string, RunOutcome, number]>([
    ['completed, every folder ok', { run: run('completed'), folders: [folder('INBOX', { copied: 3 }), folder('Sent')] }, EXIT.OK],
    ['completed with no folders', { run: run('completed'), folders: [] }, EXIT.OK],
    ['completed, a skipped folder is fine', { run: run('completed'), folders: [folder('INBOX', { outcome: 'skipped' })] }, EXIT.OK],
    ['completed, a quarantined message', { run: run('completed'), folders: [folder('INBOX'), quarantinedOne] }, EXIT.INCOMPLETE],
    ['completed, a failed folder', { run: run('completed'), folders: [folder('INBOX', { outcome: 'failed', error: 'boom' })] }, EXIT.INCOMPLETE],
    ['run failed with no folders (account unusable)', { run: run('failed', { error: 'login failed' }), folders: [] }, EXIT.ACCOUNT],
    ['run failed after some folders', { run: run('failed', { error: 'lost' }), folders: [folder('INBOX')] }, EXIT.INCOMPLETE],
    ['still running', { run: run('running'), folders: [folder('INBOX')] }, EXIT.INCOMPLETE],
    ['superseded', { run: run('superseded'), folders: [] }, EXIT.INCOMPLETE],
    ['a mirror that held deletions back', {
      run: run('completed', { spec: '{"mode":"mirror"}' }),
      folders: [folder('INBOX', { mirrored: { flagsUpdated: 0, deleted: 0, deletionsHeld: 20, heldReason: 'over the cap' } })],
    }, EXIT.INCOMPLETE],
    ['a backup keeping deleted mail for its retention', {
      run: run('completed', { spec: '{"mode":"backup"}' }),
      folders: [folder('INBOX', { mirrored: { flagsUpdated: 0, deleted: 0, deletionsHeld: 3, heldReason: 'kept 30 day(s)' } })],
    }, EXIT.OK],
  ])('%s', (_name, outcome, code) => {
    expect(exitCodeOf(outcome)).toBe(code);
  });

  it('uses the documented numbers', () => {
    expect([EXIT.OK, EXIT.INCOMPLETE, EXIT.ACCOUNT]).toEqual([0, 1, 3]);
  });
});

describe('formatSummary: a mirror pass', () => {
  it('adds the flags and deletions followed, and each folder whose deletions were held with why', () => {
    const text = formatSummary({
      run: run('completed', { spec: '{"mode":"mirror"}' }),
      folders: [
        folder('INBOX', { mirrored: { flagsUpdated: 4, deleted: 2, deletionsHeld: 0 } }),
        folder('Bulk', { mirrored: { flagsUpdated: 0, deleted: 0, deletionsHeld: 20, heldReason: '20 of 40 messages deleted on the source, over the cap of 10' } }),
      ],
    });
    expect(text).toContain('Flags updated: 4, deleted on the target: 2');
    expect(text).toContain('  Bulk: 20 deletion(s) held: 20 of 40 messages deleted on the source, over the cap of 10');
    expect(text).toMatch(/^Incomplete: 20 deletion\(s\) held/m);
  });
});

describe('formatSummary', () => {
  it('prints the table, the totals, the quarantine with reasons and the verdict', () => {
    const text = formatSummary({
      run: run('completed'),
      folders: [
        folder('INBOX', { copied: 120, alreadyThere: 3, flagsUpdated: 12 }),
        folder('Sent', { targetPath: 'Sent Items', copied: 7, vanished: 1, quarantined: 1, quarantine: [{ uid: 42, size: 9000, reason: 'TOOBIG' }] }),
        folder('Archive', { outcome: 'failed', error: 'connection lost' }),
      ],
    });
    expect(text).toBe([
      'Folder              Copied  Already there  Flags updated  Skipped  Quarantined  Status',
      'INBOX                  120              3             12        0            0  ok',
      'Sent -> Sent Items       7              0              0        1            1  ok',
      'Archive                  0              0              0        0            0  FAILED: connection lost',
      'Total                  127              3             12        1            1',
      '',
      'Quarantined (not on the target; fix the cause and run again):',
      '  Sent UID 42 (9000 bytes): TOOBIG',
      '',
      'Incomplete: 1 message(s) quarantined, 1 folder(s) failed. Re-run to retry.',
    ].join('\n'));
  });

  it('lists every quarantined message with its folder, size and reason', () => {
    const text = formatSummary({
      run: run('completed'),
      folders: [
        folder('INBOX', { quarantine: [{ uid: 5, size: 10, reason: 'server refused the message: [PARSE] bad MIME' }, { uid: 9, size: 70_000_000, reason: '[TOOBIG] too large' }] }),
        folder('Lists/dev', { quarantine: [{ uid: 1, size: 3, reason: 'rejected' }] }),
      ],
    });
    expect(text).toContain('  INBOX UID 5 (10 bytes): server refused the message: [PARSE] bad MIME');
    expect(text).toContain('  INBOX UID 9 (70000000 bytes): [TOOBIG] too large');
    expect(text).toContain('  Lists/dev UID 1 (3 bytes): rejected');
    expect(text).toMatch(/^Total +0 +0 +0 +0 +3$/m);
    expect(text.split('\n').at(-1)).toBe('Incomplete: 3 message(s) quarantined. Re-run to retry.');
  });

  it.each<[string, RunOutcome, string]>([
    ['all done', { run: run('completed'), folders: [folder('INBOX', { copied: 4, alreadyThere: 2 }), folder('Sent', { copied: 1 })] },
      'Done: every selected message is on the target (7 handled in this run).'],
    ['nothing to do', { run: run('completed'), folders: [] },
      'Done: every selected message is on the target (0 handled in this run).'],
    ['failed folders only', { run: run('completed'), folders: [folder('A', { outcome: 'failed' }), folder('B', { outcome: 'failed' })] },
      'Incomplete: 2 folder(s) failed. Re-run to retry.'],
    ['run failed after folders, with an error', { run: run('failed', { error: 'worker lost' }), folders: [folder('INBOX')] },
      'Incomplete: worker lost. Re-run to retry.'],
    ['interrupted run without an error', { run: run('running'), folders: [folder('INBOX')] },
      'Incomplete: the run did not complete. Re-run to retry.'],
  ])('verdict: %s', (_name, outcome, verdict) => {
    const lines = formatSummary(outcome).split('\n');
    expect(lines.at(-1)).toBe(verdict);
    expect(lines[0]).toMatch(/^Folder +Copied +Already there +Flags updated +Skipped +Quarantined +Status$/);
    expect(lines).toContainEqual(expect.stringMatching(/^Total\b/));
    expect(formatSummary(outcome)).not.toContain('Quarantined (not on the target');
  });

  it('shows only the run error when the run failed before any folder', () => {
    expect(formatSummary({ run: run('failed', { error: 'login to imap.example.com:993: authentication failed' }), folders: [] }))
      .toBe('Run failed: login to imap.example.com:993: authentication failed');
  });

  it('shows the table when the run failed before any folder without saying why', () => {
    const text = formatSummary({ run: run('failed'), folders: [] });
    expect(text.split('\n')[0]).toBe('Folder  Copied  Already there  Flags updated  Skipped  Quarantined  Status');
    expect(text.split('\n').at(-1)).toBe('Incomplete: the run did not complete. Re-run to retry.');
  });

  it('aligns columns by display width for wide characters', () => {
    const text = formatSummary({
      run: run('completed'),
      folders: [folder('日本語', { copied: 1 }), folder('Ünïcödé', { copied: 22 }), folder('📁 Files', { copied: 333 })],
    });
    const lines = text.split('\n').slice(0, 5);
    // Every "Copied" cell ends at the same display column as the header.
    const copiedEnd = (line: string) => {
      const match = /^(.*?\S)\s{2,}(\d+|Copied)/u.exec(line);
      return match ? stringWidth(line.slice(0, match.index + match[0].length)) : -1;
    };
    const ends = lines.map(copiedEnd);
    expect(new Set(ends).size).toBe(1);
    expect(ends[0]).toBeGreaterThan(0);
    expect(lines.every((line) => line === line.trimEnd())).toBe(true);
  });
});
