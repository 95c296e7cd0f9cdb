import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FOLDER_RULES,
  MappingError,
  compileFolderRules,
  globToRegExp,
  type FolderRules,
} from '../../../src/mapping/index.js';

function rules(overrides: Partial<FolderRules>): FolderRules {
  return { ...DEFAULT_FOLDER_RULES, ...overrides };
}

describe('globToRegExp', () => {
  it.each<[string, string, boolean]>([
    ['Sent', 'Sent', true],
    ['Sent', 'sent', false], // case-sensitive
    ['Sent', 'Sent/2024', false], // literal: no implicit subtree
    ['A/**', 'A', true], // "A/**" is A and its whole subtree
    ['A/**', 'A/B', true],
    ['A/**', 'A/B/C', true],
    ['A/**', 'AB', false],
    ['A/*', 'A/B', true],
    ['A/*', 'A/B/C', false], // '*' stays within one level
    ['A/*', 'A', false],
    ['**/Old', 'Old', true],
    ['**/Old', 'X/Y/Old', true],
    ['**/Old', 'X/Old2', false],
    ['A/**/Z', 'A/Z', true],
    ['A/**/Z', 'A/B/C/Z', true],
    ['A/**/Z', 'A/BZ', false],
    ['A/**/**/Z', 'A/B/Z', true],
    ['**', 'anything/at/all', true],
    ['Arch**', 'Archive/2024', true], // '**' inside a level crosses levels
    ['*', 'Top', true],
    ['*', 'Top/Sub', false],
    ['Q?', 'Q1', true],
    ['Q?', 'Q10', false],
    ['Q?', 'Q/', false],
    ['?', '📁', true], // one code point, not one UTF-16 unit
    ['📁 *', '📁 Projects', true],
    ['Überweisungen/*', 'Überweisungen/2024', true],
    ['a.b', 'axb', false], // regex metacharacters are literal
    ['(x)+[y]{2}$', '(x)+[y]{2}$', true],
    ['inbox', 'INBOX', true], // root INBOX is case-insensitive (RFC 3501 5.1)
    ['InBox/*', 'INBOX/Sub', true],
    ['INBOX/*', 'inbox/Sub', true],
    ['*/inbox', 'A/INBOX', false], // only at the root
  ])('%j matches %j: %j', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });
});

describe('compileFolderRules filter', () => {
  it.each<[string, Partial<FolderRules>, string, string | undefined]>([
    ['empty include takes everything', {}, 'Any/Thing', undefined],
    ['include by glob', { include: ['INBOX', 'Work/**'] }, 'Work/2024', undefined],
    ['not included', { include: ['INBOX', 'Work/**'] }, 'Private', 'not-included'],
    ['excluded', { exclude: ['Spam'] }, 'Spam', 'excluded'],
    ['"A" does not exclude "A/B"', { exclude: ['Old'] }, 'Old/2019', undefined],
    ['"A/**" excludes the subtree', { exclude: ['Old/**'] }, 'Old/2019/Q1', 'excluded'],
    ['"A/**" excludes A itself', { exclude: ['Old/**'] }, 'Old', 'excluded'],
    ['exclude wins over include', { include: ['Work/**'], exclude: ['Work/Tmp'] }, 'Work/Tmp', 'excluded'],
    ['exclude wins even when not included', { include: ['X'], exclude: ['Y'] }, 'Y', 'excluded'],
  ])('%s', (_name, overrides, path, expected) => {
    expect(compileFolderRules(rules(overrides)).filter(path)).toBe(expected);
  });
});

describe('compileFolderRules renames', () => {
  it.each<[string, FolderRules['renames'], string[], string[]]>([
    ['no match leaves the path', [{ from: 'Nope', to: 'X' }], ['A', 'B'], ['A', 'B']],
    ['whole-path anchoring', [{ from: 'A', to: 'X' }], ['A', 'B'], ['A', 'B']],
    ['capture groups', [{ from: 'Projects/(\\d{4})/(.*)', to: 'Archive/$1/$2' }], ['Projects', '2023', 'Alpha'], ['Archive', '2023', 'Alpha']],
    ['named groups', [{ from: '(?<y>\\d{4})', to: 'Years/$<y>' }], ['2024'], ['Years', '2024']],
    [
      'applied in order, each to the previous result',
      [
        { from: 'Old/(.*)', to: 'Legacy/$1' },
        { from: 'Legacy/(.*)', to: 'Imported/$1' },
      ],
      ['Old', 'Mail'],
      ['Imported', 'Mail'],
    ],
    ['a later rule sees the earlier result only', [{ from: 'B', to: 'C' }, { from: 'A', to: 'B' }], ['A'], ['B']],
    ['unicode', [{ from: '📁 (.+)', to: 'Folders/$1' }], ['📁 Projects'], ['Folders', 'Projects']],
    ['root inbox canonicalized', [{ from: 'Mail/(.*)', to: 'inbox/$1' }], ['Mail', 'x'], ['INBOX', 'x']],
  ])('%s', (_name, renames, input, expected) => {
    expect(compileFolderRules(rules({ renames })).rename(input)).toEqual(expected);
  });

  it.each(['Projects/(\\d{4', '[unclosed', '(?<bad', '\\-x'])('rejects invalid regex %j naming it', (from) => {
    const compile = (): unknown => compileFolderRules(rules({ renames: [{ from: 'ok', to: 'x' }, { from, to: 'y' }] }));
    expect(compile).toThrow(MappingError);
    expect(compile).toThrow(`Folder rename #2 has an invalid regular expression in "from": ${JSON.stringify(from)}`);
  });

  it('rejects a rename producing an empty level', () => {
    const compiled = compileFolderRules(rules({ renames: [{ from: '(.*)', to: '$1/' }] }));
    expect(() => compiled.rename(['A'])).toThrow(/Folder rename #1 \("\(\.\*\)" -> "\$1\/"\) produces the folder path "A\/"/);
  });

  it('carries code MAPPING', () => {
    try {
      compileFolderRules(rules({ renames: [{ from: '(', to: '' }] }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MappingError);
      expect((error as MappingError).code).toBe('MAPPING');
      expect((error as MappingError).name).toBe('MappingError');
    }
  });
});

describe('compileFolderRules map', () => {
  it.each<[Record<string, string>, string, string[] | undefined]>([
    [{ 'Old/Sent': 'Archive/Sent' }, 'Old/Sent', ['Archive', 'Sent']],
    [{ 'Old/Sent': 'Archive/Sent' }, 'Old', undefined],
    [{ 'inbox/x': 'y' }, 'INBOX/x', ['y']], // keys are normalized like source paths
    [{ Mail: 'inbox' }, 'Mail', ['INBOX']],
  ])('%j: %j -> %j', (map, path, expected) => {
    expect(compileFolderRules(rules({ map })).mapped(path)).toEqual(expected);
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ A: '' }, /Folder map entry "A" produces the folder path ""/],
    [{ A: 'x//y' }, /Folder map entry "A" produces the folder path "x\/\/y"/],
    [{ 'INBOX/a': 'x', 'inbox/a': 'y' }, /two entries for the same source folder: "INBOX\/a" and "inbox\/a"/],
  ])('rejects %j', (map, message) => {
    expect(() => compileFolderRules(rules({ map }))).toThrow(message);
  });
});

describe('DEFAULT_FOLDER_RULES', () => {
  it('takes everything and automaps special-use folders', () => {
    expect(DEFAULT_FOLDER_RULES).toEqual({ include: [], exclude: [], renames: [], map: {}, specialUse: true });
    expect(Object.isFrozen(DEFAULT_FOLDER_RULES)).toBe(true);
  });
});
