import { describe, expect, it } from 'vitest';
import type { FolderInfo, Namespace, SpecialUse } from '../../../src/connectors/types.js';
import {
  DEFAULT_SPECIAL_USE_NAMES,
  detectSpecialUse,
  findTargetSpecialFolders,
  toSegments,
} from '../../../src/mapping/index.js';

const dovecot: Namespace = { prefix: '', delimiter: '/' };
const courier: Namespace = { prefix: 'INBOX.', delimiter: '.' };

function folder(path: string, specialUse?: SpecialUse, selectable = true): FolderInfo {
  return specialUse === undefined
    ? { path, delimiter: '/', selectable }
    : { path, delimiter: '/', selectable, specialUse };
}

describe('detectSpecialUse', () => {
  it.each<[string, SpecialUse | undefined, SpecialUse | undefined]>([
    // by attribute (RFC 6154)
    ['Whatever', '\\Sent', '\\Sent'],
    ['Deep/Nested/Box', '\\Junk', '\\Junk'],
    ['[Gmail]/All Mail', '\\All', '\\All'],
    // attribute beats name
    ['Sent', '\\Trash', '\\Trash'],
    // by name, case-insensitive
    ['Sent', undefined, '\\Sent'],
    ['SENT ITEMS', undefined, '\\Sent'],
    ['sent mail', undefined, '\\Sent'],
    ['Gesendete Elemente', undefined, '\\Sent'],
    ['Envoyés', undefined, '\\Sent'],
    ['E\u0301le\u0301ments envoye\u0301s', undefined, '\\Sent'], // decomposed (NFD) accents
    ['Entwürfe', undefined, '\\Drafts'],
    ['Brouillons', undefined, '\\Drafts'],
    ['Papierkorb', undefined, '\\Trash'],
    ['Gelöschte Elemente', undefined, '\\Trash'],
    ['Corbeille', undefined, '\\Trash'],
    ['Deleted Items', undefined, '\\Trash'],
    ['Junk E-mail', undefined, '\\Junk'],
    ['Spam-Verdacht', undefined, '\\Junk'],
    ['Courrier indésirable', undefined, '\\Junk'],
    ['Archiv', undefined, '\\Archive'],
    ['Archives', undefined, '\\Archive'],
    // directly under INBOX counts
    ['INBOX/Sent', undefined, '\\Sent'],
    ['inbox/Papierkorb', undefined, '\\Trash'],
    // deeper or under another folder does not
    ['Projects/Sent', undefined, undefined],
    ['INBOX/x/Sent', undefined, undefined],
    ['INBOX', undefined, undefined],
    ['Sent 2019', undefined, undefined],
    ['Starred', undefined, undefined], // \Flagged and \All are attribute-only
  ])('%j (attribute %j) -> %j', (path, attribute, expected) => {
    expect(detectSpecialUse(folder(path, attribute), toSegments(path, dovecot))).toBe(expected);
  });
});

describe('findTargetSpecialFolders', () => {
  it.each<[string, FolderInfo[], Namespace, [SpecialUse, string][]]>([
    ['nothing special', [folder('INBOX'), folder('Work')], dovecot, []],
    ['by name', [folder('INBOX'), folder('Sent'), folder('Trash')], dovecot, [['\\Sent', 'Sent'], ['\\Trash', 'Trash']]],
    [
      'attribute wins over a preferred name',
      [folder('Sent'), folder('Sent Items', '\\Sent')],
      dovecot,
      [['\\Sent', 'Sent Items']],
    ],
    ['earlier name in the list wins', [folder('Sent Items'), folder('Sent')], dovecot, [['\\Sent', 'Sent']]],
    ['top level beats under INBOX', [folder('INBOX/Trash'), folder('Trash')], dovecot, [['\\Trash', 'Trash']]],
    ['under INBOX when that is all', [folder('INBOX/Trash')], dovecot, [['\\Trash', 'INBOX/Trash']]],
    ['first attribute holder wins', [folder('A', '\\Junk'), folder('B', '\\Junk')], dovecot, [['\\Junk', 'A']]],
    ['noselect is ignored', [folder('Sent', '\\Sent', false), folder('Sent Mail')], dovecot, [['\\Sent', 'Sent Mail']]],
    [
      'a folder with another attribute is not claimed by name',
      [folder('Trash', '\\Archive'), folder('Papierkorb')],
      dovecot,
      [['\\Archive', 'Trash'], ['\\Trash', 'Papierkorb']],
    ],
    [
      'Courier prefix is stripped before name matching',
      [
        { path: 'INBOX', delimiter: '.', selectable: true },
        { path: 'INBOX.Gesendet', delimiter: '.', selectable: true },
        { path: 'INBOX.Entwürfe', delimiter: '.', selectable: true },
      ],
      courier,
      [['\\Sent', 'INBOX.Gesendet'], ['\\Drafts', 'INBOX.Entwürfe']],
    ],
    ['\\All by attribute', [folder('[Gmail]/All Mail', '\\All')], dovecot, [['\\All', '[Gmail]/All Mail']]],
  ])('%s', (_name, folders, ns, expected) => {
    const found = findTargetSpecialFolders(folders, ns);
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(expected));
  });

  it('has a default name for each automapped role', () => {
    expect(DEFAULT_SPECIAL_USE_NAMES).toEqual({
      '\\Sent': 'Sent',
      '\\Drafts': 'Drafts',
      '\\Trash': 'Trash',
      '\\Junk': 'Junk',
      '\\Archive': 'Archive',
    });
  });
});
