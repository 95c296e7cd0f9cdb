/**
 * planFolders' INBOX-children fold (foldInboxChildren): on a target whose personal folders
 * live under INBOX (Courier, Cyrus: prefix "INBOX."), a Dovecot folder "INBOX/Receipts" goes
 * where its user sees it there, "INBOX.Receipts", unless a top-level "Receipts" takes that
 * place; on a target without such a prefix nothing is folded.
 */
import { describe, expect, it } from 'vitest';
import type { FolderInfo, Namespace } from '../../../src/connectors/types.js';
import { DEFAULT_FOLDER_RULES, planFolders, type FolderRules } from '../../../src/mapping/index.js';

const dovecot: Namespace = { prefix: '', delimiter: '/' };
const courier: Namespace = { prefix: 'INBOX.', delimiter: '.' };

function f(path: string): FolderInfo {
  return { path, delimiter: '/', selectable: true };
}

/** "source -> target" for every planned folder, in plan order. */
function plan(paths: readonly string[], targetNamespace: Namespace, rules: Partial<FolderRules> = {}): string[] {
  return planFolders({
    sourceFolders: paths.map(f),
    sourceNamespace: dovecot,
    targetFolders: [],
    targetNamespace,
    rules: { ...DEFAULT_FOLDER_RULES, ...rules },
  }).folders.map((folder) => `${folder.sourcePath} -> ${folder.targetPath}`);
}

describe('planFolders: INBOX children onto an INBOX-prefixed target', () => {
  it('INBOX/Receipts lands on INBOX.Receipts, not INBOX.INBOX.Receipts', () => {
    expect(plan(['INBOX', 'INBOX/Receipts'], courier)).toEqual(['INBOX -> INBOX', 'INBOX/Receipts -> INBOX.Receipts']);
  });

  it('deeper levels fold too: INBOX/Receipts/2024 -> INBOX.Receipts.2024', () => {
    expect(plan(['INBOX', 'INBOX/Receipts', 'INBOX/Receipts/2024'], courier)).toEqual([
      'INBOX -> INBOX', 'INBOX/Receipts -> INBOX.Receipts', 'INBOX/Receipts/2024 -> INBOX.Receipts.2024',
    ]);
  });

  it('a child named inbox (any case) is never folded onto INBOX itself', () => {
    expect(plan(['INBOX', 'INBOX/inbox'], courier)).toEqual(['INBOX -> INBOX', 'INBOX/inbox -> INBOX.INBOX.inbox']);
    expect(plan(['INBOX/Inbox/x'], courier)).toEqual(['INBOX/Inbox/x -> INBOX.INBOX.Inbox.x']);
  });

  it('with a top-level Bills too, INBOX/Bills keeps INBOX.INBOX.Bills and no collision is reported', () => {
    expect(plan(['INBOX', 'INBOX/Bills', 'Bills'], courier)).toEqual([
      'INBOX -> INBOX', 'Bills -> INBOX.Bills', 'INBOX/Bills -> INBOX.INBOX.Bills',
    ]);
  });

  it('only the clashing child keeps the doubled name; its siblings fold', () => {
    expect(plan(['INBOX', 'INBOX/Bills', 'INBOX/Receipts', 'Bills'], courier)).toEqual([
      'INBOX -> INBOX', 'Bills -> INBOX.Bills', 'INBOX/Bills -> INBOX.INBOX.Bills', 'INBOX/Receipts -> INBOX.Receipts',
    ]);
  });

  it('an "INBOX/" prefix (Cyrus with the unix hierarchy separator) folds as well', () => {
    expect(plan(['INBOX', 'INBOX/Receipts'], { prefix: 'INBOX/', delimiter: '/' })).toEqual([
      'INBOX -> INBOX', 'INBOX/Receipts -> INBOX/Receipts',
    ]);
  });

  it('under a prefix rule (Backup) the first level is no longer INBOX: nothing folds', () => {
    expect(plan(['INBOX', 'INBOX/Receipts'], courier, { prefix: 'Backup' })).toEqual([
      'INBOX -> INBOX.Backup.INBOX', 'INBOX/Receipts -> INBOX.Backup.INBOX.Receipts',
    ]);
  });
});

describe('planFolders: INBOX children onto a target without an INBOX prefix', () => {
  it('Dovecot-like target: INBOX/Receipts stays INBOX/Receipts', () => {
    expect(plan(['INBOX', 'INBOX/Receipts'], dovecot)).toEqual(['INBOX -> INBOX', 'INBOX/Receipts -> INBOX/Receipts']);
  });

  it('Dovecot-like target: INBOX/Bills and Bills stay apart as they are', () => {
    expect(plan(['INBOX', 'INBOX/Bills', 'Bills'], dovecot)).toEqual([
      'INBOX -> INBOX', 'Bills -> Bills', 'INBOX/Bills -> INBOX/Bills',
    ]);
  });

  it('a "." target without a prefix: INBOX/Receipts -> INBOX.Receipts (already where it belongs)', () => {
    expect(plan(['INBOX', 'INBOX/Receipts'], { prefix: '', delimiter: '.' })).toEqual(['INBOX -> INBOX', 'INBOX/Receipts -> INBOX.Receipts']);
  });
});
