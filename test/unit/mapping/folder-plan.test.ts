import { describe, expect, it } from 'vitest';
import type { FolderInfo, Namespace, SpecialUse } from '../../../src/connectors/types.js';
import {
  DEFAULT_FOLDER_RULES,
  MappingError,
  planFolders,
  type FolderPlan,
  type FolderRules,
  type PlannedFolder,
} from '../../../src/mapping/index.js';

const dovecot: Namespace = { prefix: '', delimiter: '/' };
const courier: Namespace = { prefix: 'INBOX.', delimiter: '.' };

function f(path: string, specialUse?: SpecialUse, selectable = true, delimiter = '/'): FolderInfo {
  return specialUse === undefined ? { path, delimiter, selectable } : { path, delimiter, selectable, specialUse };
}

function cf(path: string, specialUse?: SpecialUse): FolderInfo {
  return f(path, specialUse, true, '.');
}

interface Case {
  readonly name: string;
  readonly source: FolderInfo[];
  readonly target?: FolderInfo[];
  readonly sourceNs?: Namespace;
  readonly targetNs?: Namespace;
  readonly rules?: Partial<FolderRules>;
}

function plan(c: Case): FolderPlan {
  return planFolders({
    sourceFolders: c.source,
    sourceNamespace: c.sourceNs ?? dovecot,
    targetFolders: c.target ?? [],
    targetNamespace: c.targetNs ?? dovecot,
    rules: { ...DEFAULT_FOLDER_RULES, ...c.rules },
  });
}

/** Compact form: "source -> target", with " [\Role]" and " (escaped)" when set. */
function show(folder: PlannedFolder): string {
  const role = folder.specialUse === undefined ? '' : ` [${folder.specialUse}]`;
  return `${folder.sourcePath} -> ${folder.targetPath}${role}${folder.escaped ? ' (escaped)' : ''}`;
}

describe('planFolders', () => {
  it.each<[Case, string[]]>([
    [
      { name: 'Dovecot to Courier, INBOX first, sorted by source path', source: [f('Work/2024'), f('Drafts', '\\Drafts'), f('INBOX'), f('Archive')], targetNs: courier },
      ['INBOX -> INBOX', 'Archive -> INBOX.Archive [\\Archive]', 'Drafts -> INBOX.Drafts [\\Drafts]', 'Work/2024 -> INBOX.Work.2024'],
    ],
    [
      { name: 'Courier to Dovecot', source: [cf('INBOX'), cf('INBOX.Work.2024'), cf('INBOX.Projects')], sourceNs: courier },
      ['INBOX -> INBOX', 'INBOX.Projects -> Projects', 'INBOX.Work.2024 -> Work/2024'],
    ],
    [
      { name: 'a "." in a name is escaped for a "." target', source: [f('Releases/v1.2')], targetNs: courier },
      ['Releases/v1.2 -> INBOX.Releases.v1_2 (escaped)'],
    ],
    [
      { name: 'non-ASCII and emoji names pass through', source: [f('Überweisungen/2024'), f('日本語'), f('Ünïcode & Co'), f('📁 Projects')], targetNs: courier },
      ['Überweisungen/2024 -> INBOX.Überweisungen.2024', 'Ünïcode & Co -> INBOX.Ünïcode & Co', '日本語 -> INBOX.日本語', '📁 Projects -> INBOX.📁 Projects'],
    ],
    [
      { name: 'target "Sent Items" with \\Sent receives source "Sent"', source: [f('Sent')], target: [f('INBOX'), f('Sent Items', '\\Sent')] },
      ['Sent -> Sent Items [\\Sent]'],
    ],
    [
      { name: 'German source names onto the Courier target\'s folders', source: [f('Gesendet'), f('Papierkorb'), f('Entwürfe')], target: [cf('INBOX.Sent', '\\Sent'), cf('INBOX.Trash')], targetNs: courier },
      ['Entwürfe -> INBOX.Drafts [\\Drafts]', 'Gesendet -> INBOX.Sent [\\Sent]', 'Papierkorb -> INBOX.Trash [\\Trash]'],
    ],
    [
      { name: 'source attribute beats its name', source: [f('Sent', '\\Trash')], target: [f('Deleted Items', '\\Trash'), f('Sent', '\\Sent')] },
      ['Sent -> Deleted Items [\\Trash]'],
    ],
    [
      { name: 'subfolders move with their automapped parent', source: [f('Sent'), f('Sent/2023'), f('Sent/2023/Q1')], target: [f('Sent Items', '\\Sent')] },
      ['Sent -> Sent Items [\\Sent]', 'Sent/2023 -> Sent Items/2023', 'Sent/2023/Q1 -> Sent Items/2023/Q1'],
    ],
    [
      { name: 'only one source folder per role is automapped (attribute first)', source: [f('Sent Items'), f('Sent Messages', '\\Sent')] },
      ['Sent Items -> Sent Items', 'Sent Messages -> Sent [\\Sent]'],
    ],
    [
      { name: 'names directly under INBOX count', source: [f('INBOX'), f('INBOX/Trash')], targetNs: courier },
      ['INBOX -> INBOX', 'INBOX/Trash -> INBOX.Trash [\\Trash]'],
    ],
    [
      { name: '\\All and \\Flagged keep their path (Gmail)', source: [f('[Gmail]', undefined, false), f('[Gmail]/All Mail', '\\All'), f('[Gmail]/Starred', '\\Flagged'), f('[Gmail]/Sent Mail', '\\Sent')] },
      ['[Gmail]/All Mail -> [Gmail]/All Mail', '[Gmail]/Sent Mail -> Sent [\\Sent]', '[Gmail]/Starred -> [Gmail]/Starred'],
    ],
    [
      { name: 'specialUse off keeps paths', source: [f('Gesendet', '\\Sent')], target: [f('Sent', '\\Sent')], rules: { specialUse: false } },
      ['Gesendet -> Gesendet'],
    ],
    [
      { name: 'map wins over automap (and asks for no role)', source: [f('Sent'), f('Trash')], target: [f('Sent Items', '\\Sent')], rules: { map: { Sent: 'Old/Sent' } } },
      ['Sent -> Old/Sent', 'Trash -> Trash [\\Trash]'],
    ],
    [
      { name: 'map wins over renames', source: [f('Old/A'), f('Old/B')], rules: { map: { 'Old/A': 'Kept/A' }, renames: [{ from: 'Old/(.*)', to: 'New/$1' }] } },
      ['Old/A -> Kept/A', 'Old/B -> New/B'],
    ],
    [
      {
        name: 'renames with capture groups, in order, then namespace translation',
        source: [f('Projects/2023/Alpha'), f('Projects/Misc')],
        targetNs: courier,
        rules: { renames: [{ from: 'Projects/(\\d{4})/(.*)', to: 'Archive/$1/$2' }, { from: 'Archive/(.*)', to: 'Old Archive/$1' }] },
      },
      ['Projects/2023/Alpha -> INBOX.Old Archive.2023.Alpha', 'Projects/Misc -> INBOX.Projects.Misc'],
    ],
    [
      { name: 'renames also see an automapped path', source: [f('Gesendet')], rules: { renames: [{ from: 'Sent', to: 'Sent Mail' }] } },
      ['Gesendet -> Sent Mail [\\Sent]'],
    ],
  ])('$name', (c, expected) => {
    expect(plan(c).folders.map(show)).toEqual(expected);
  });

  it.each<[Case, string[]]>([
    [
      { name: 'noselect containers are excluded', source: [f('INBOX'), f('Lists', undefined, false), f('Lists/rust')] },
      ['Lists: noselect'],
    ],
    [
      { name: 'include and exclude globs, exclude wins', source: [f('INBOX'), f('Work'), f('Work/Tmp'), f('Work/2024/Q1'), f('Private')], rules: { include: ['INBOX', 'Work/**'], exclude: ['Work/Tmp'] } },
      ['Private: not-included', 'Work/Tmp: excluded'],
    ],
    [
      { name: '"A" does not exclude its subtree, "A/**" does', source: [f('A'), f('A/B'), f('C'), f('C/D')], rules: { exclude: ['A', 'C/**'] } },
      ['A: excluded', 'C: excluded', 'C/D: excluded'],
    ],
    [
      { name: 'INBOX glob is case-insensitive', source: [f('Inbox'), f('Inbox/Sub'), f('Other')], rules: { include: ['inbox/**'] } },
      ['Other: not-included'],
    ],
  ])('$name', (c, expected) => {
    expect(plan(c).excluded.map((e) => `${e.sourcePath}: ${e.reason}`)).toEqual(expected);
  });

  it('keeps the excluded out of the plan and the included in it', () => {
    const result = plan({ name: '', source: [f('INBOX'), f('Lists', undefined, false), f('Lists/rust'), f('Spam', '\\Junk')], rules: { exclude: ['Spam'] } });
    expect(result.folders.map((x) => x.sourcePath)).toEqual(['INBOX', 'Lists/rust']);
  });

  it('an excluded special folder is not automapped; the next candidate is', () => {
    const result = plan({ name: '', source: [f('Sent', '\\Sent'), f('Sent Items')], rules: { exclude: ['Sent'] } });
    expect(result.folders.map(show)).toEqual(['Sent Items -> Sent [\\Sent]']);
  });

  it.each<[Case, string]>([
    [
      { name: 'two folders renamed onto one', source: [f('A/x'), f('B/x')], rules: { renames: [{ from: '[AB]/(.*)', to: 'C/$1' }] } },
      'Several source folders map to the same target folder:\n  "A/x" and "B/x" -> "C/x"\n',
    ],
    [
      { name: 'escaping onto an existing name', source: [f('a.b'), f('a_b')], targetNs: courier },
      '  "a.b" and "a_b" -> "INBOX.a_b"',
    ],
    [
      { name: 'automapped onto a plain folder', source: [f('Gesendet', '\\Sent'), f('Sent')] },
      '  "Gesendet" and "Sent" -> "Sent"',
    ],
    [
      { name: 'map onto INBOX', source: [f('INBOX'), f('Old Inbox')], rules: { map: { 'Old Inbox': 'INBOX' } } },
      '  "INBOX" and "Old Inbox" -> "INBOX"',
    ],
  ])('collision: $name', (c, message) => {
    expect(() => plan(c)).toThrow(MappingError);
    expect(() => plan(c)).toThrow(message);
    expect(() => plan(c)).toThrow(/Add a folder "map" entry or a rename for one of them, or exclude one\./);
  });

  it('lists every collision in one error', () => {
    const c: Case = { name: '', source: [f('a.b'), f('a_b'), f('c.d'), f('c_d')], targetNs: courier };
    expect(() => plan(c)).toThrow(/"a\.b" and "a_b" -> "INBOX\.a_b"\n {2}"c\.d" and "c_d" -> "INBOX\.c_d"/);
  });

  it('rejects an invalid rename even with no folders', () => {
    expect(() => plan({ name: '', source: [], rules: { renames: [{ from: '(unclosed', to: 'x' }] } })).toThrow(
      /Folder rename #1 has an invalid regular expression in "from": "\(unclosed"/,
    );
  });

  it('is deterministic whatever the input order', () => {
    const source = [f('b'), f('INBOX'), f('a'), f('B'), f('Ä'), f('x', undefined, false), f('c', undefined, false)];
    const forward = plan({ name: '', source });
    const backward = plan({ name: '', source: [...source].reverse() });
    expect(backward).toEqual(forward);
    expect(forward.folders.map((x) => x.sourcePath)).toEqual(['INBOX', 'B', 'a', 'b', 'Ä']);
    expect(forward.excluded.map((x) => x.sourcePath)).toEqual(['c', 'x']);
  });

  it('round-trips a Courier mailbox through Dovecot and back; INBOX.INBOX.Sub comes back as INBOX.Sub, where its user sees it', () => {
    const courierFolders = ['INBOX', 'INBOX.Überweisungen.2024', 'INBOX.日本語', 'INBOX.📁 Projects', 'INBOX.INBOX.Sub'].map((p) => cf(p));
    const there = plan({ name: '', source: courierFolders, sourceNs: courier, rules: { specialUse: false } });
    expect(there.folders.find((x) => x.sourcePath === 'INBOX.INBOX.Sub')?.targetPath).toBe('INBOX/Sub');
    const back = plan({
      name: '',
      source: there.folders.map((x) => f(x.targetPath)),
      targetNs: courier,
      rules: { specialUse: false },
    });
    expect(back.folders.map((x) => x.targetPath).sort()).toEqual(['INBOX', 'INBOX.Überweisungen.2024', 'INBOX.日本語', 'INBOX.📁 Projects', 'INBOX.Sub'].sort());
  });
});

describe('planFolders: prefix (backups under Backup/<name>)', () => {
  it('places every folder, INBOX and renamed ones included, under the prefix in the target namespace', () => {
    const result = plan({
      name: '', source: [f('INBOX'), f('Sent'), f('Old/2020')], targetNs: courier,
      rules: { specialUse: false, prefix: 'Backup/alice/', renames: [{ from: 'Old/(.*)', to: 'Archive/$1' }] },
    });
    expect(result.folders.map(show)).toEqual([
      'INBOX -> INBOX.Backup.alice.INBOX', 'Old/2020 -> INBOX.Backup.alice.Archive.2020', 'Sent -> INBOX.Backup.alice.Sent',
    ]);
  });

  it('an empty prefix changes nothing', () => {
    expect(plan({ name: '', source: [f('INBOX')], rules: { prefix: '' } }).folders.map(show)).toEqual(['INBOX -> INBOX']);
  });
});
