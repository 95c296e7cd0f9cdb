import { describe, expect, it } from 'vitest';
import {
  buildFolderTree, escapeSegment, folderContent, unescapeSegment, type FolderTreeInput, type RawFolder,
} from '../../../src/connectors/exchange/folder-tree.js';
import { fnv1a32, folderUidValidity } from '../../../src/connectors/exchange/stable-hash.js';
import type { SpecialUse } from '../../../src/connectors/types.js';

function folder(id: string, parentId: string, displayName: string, extra: Partial<RawFolder> = {}): RawFolder {
  return { id, parentId, displayName, folderClass: 'IPF.Note', totalCount: 0, hidden: false, ...extra };
}

function tree(folders: RawFolder[], specialUses: Array<[string, SpecialUse]> = []): FolderTreeInput {
  return { rootId: 'root', inboxId: 'inbox', specialUses: new Map(specialUses), folders };
}

describe('folderContent', () => {
  it.each<[string | undefined, string]>([
    [undefined, 'mail'], ['', 'mail'], ['IPF.Note', 'mail'], ['ipf.note', 'mail'], ['IPF.Note.OutlookHomepage', 'mail'], ['IPF.Notes', 'other'],
    ['IPF.Appointment', 'calendar'], ['IPF.Appointment.Birthday', 'calendar'], ['IPF.Contact', 'contacts'], ['IPF.Contact.MOC.QuickContacts', 'contacts'],
    ['IPF.Task', 'tasks'], ['IPF.StickyNote', 'notes'], ['IPF.Journal', 'other'], ['IPF.Configuration', 'other'], ['IPF', 'other'],
  ])('%s -> %s', (folderClass, content) => {
    expect(folderContent(folderClass)).toBe(content);
  });
});

describe('buildFolderTree', () => {
  it('joins display names with "/", names the Inbox INBOX, carries roles, counts and content', () => {
    const entries = buildFolderTree(tree([
      folder('inbox', 'root', 'Posteingang', { totalCount: 3 }),
      folder('sent', 'root', 'Gesendete Elemente'),
      folder('proj', 'inbox', 'Projekte'),
      folder('y24', 'proj', '2024', { totalCount: 7 }),
      folder('cal', 'root', 'Kalender', { folderClass: 'IPF.Appointment', totalCount: 2 }),
    ], [['sent', '\\Sent']]));
    expect(entries.map((e) => [e.path, e.content, e.itemCount, e.specialUse ?? null])).toEqual([
      ['Gesendete Elemente', 'mail', 0, '\\Sent'],
      ['INBOX', 'mail', 3, null],
      ['INBOX/Projekte', 'mail', 0, null],
      ['INBOX/Projekte/2024', 'mail', 7, null],
      ['Kalender', 'calendar', 2, null],
    ]);
  });

  it('writes a "/" inside a display name as U+2215 and reads it back', () => {
    expect(escapeSegment('Q1/Q2')).toBe('Q1\u2215Q2');
    expect(unescapeSegment(escapeSegment('a/b/c'))).toBe('a/b/c');
    const entries = buildFolderTree(tree([folder('a', 'root', 'Clients A/B'), folder('b', 'a', 'x/y')]));
    expect(entries.map((e) => e.path)).toEqual(['Clients A\u2215B', 'Clients A\u2215B/x\u2215y']);
  });

  it('tells colliding siblings apart by a stable suffix; the Inbox keeps INBOX', () => {
    const entries = buildFolderTree(tree([
      folder('inbox', 'root', 'Inbox'),
      folder('fake', 'root', 'INBOX'),
      folder('id-2', 'root', 'A/B'),
      folder('id-1', 'root', 'A\u2215B'),
      folder('child', 'id-2', 'Sub'),
    ]));
    const suffix = (id: string) => `~${fnv1a32(id).toString(16).padStart(8, '0')}`;
    expect(new Map(entries.map((e) => [e.id, e.path]))).toEqual(new Map([
      ['inbox', 'INBOX'],
      ['fake', `INBOX${suffix('fake')}`],
      ['id-1', 'A\u2215B'],
      ['id-2', `A\u2215B${suffix('id-2')}`],
      ['child', `A\u2215B${suffix('id-2')}/Sub`],
    ]));
    // The same listing in another order gives the same paths.
    const reversed = buildFolderTree(tree([...[
      folder('inbox', 'root', 'Inbox'), folder('fake', 'root', 'INBOX'), folder('id-2', 'root', 'A/B'), folder('id-1', 'root', 'A\u2215B'),
      folder('child', 'id-2', 'Sub'),
    ]].reverse()));
    expect(new Map(reversed.map((e) => [e.id, e.path]))).toEqual(new Map(entries.map((e) => [e.id, e.path])));
  });

  it('leaves out hidden folders with their subtree, and orphans', () => {
    const entries = buildFolderTree(tree([
      folder('inbox', 'root', 'Inbox'),
      folder('h', 'root', 'Conversation Action Settings', { hidden: true }),
      folder('hc', 'h', 'Below hidden'),
      folder('o', 'missing', 'Orphan'),
    ]));
    expect(entries.map((e) => e.path)).toEqual(['INBOX']);
  });
});

describe('folderUidValidity', () => {
  it('is a stable non-zero 32-bit decimal per folder id', () => {
    const id = 'AAMkADk0ZjQ2ZjQ2LTg0NjgtNGJmNy1iNDUwLTM0YzE0YzE0YzE0YwAuAAAAAAA=';
    expect(folderUidValidity(id)).toBe(folderUidValidity(id));
    expect(folderUidValidity(id)).toMatch(/^[1-9]\d{0,9}$/);
    expect(Number(folderUidValidity(id))).toBeLessThan(2 ** 32);
    expect(folderUidValidity(id)).not.toBe(folderUidValidity(`${id}x`));
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
  });
});
