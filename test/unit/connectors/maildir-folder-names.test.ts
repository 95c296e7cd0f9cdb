import { describe, expect, it } from 'vitest';
import { folderDirName, folderPathOf, parentPaths } from '../../../src/connectors/maildir/folder-names.js';
import { decodeMutf7, encodeMutf7 } from '../../../src/connectors/maildir/mutf7.js';

describe('modified UTF-7', () => {
  it.each<[string, string]>([
    ['INBOX', 'INBOX'],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['日本語', '&ZeVnLIqe-'],
    ['Work & Play', 'Work &- Play'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['✉ 😀', '&Jwk- &2D3eAA-'],
  ])('%s <-> %s', (text, encoded) => {
    expect(encodeMutf7(text)).toBe(encoded);
    expect(decodeMutf7(encoded)).toBe(text);
  });
});

describe('Maildir++ folder directory names', () => {
  it.each<[string, string]>([
    ['INBOX', ''],
    ['Sent', '.Sent'],
    ['Archive/2024', '.Archive.2024'],
    ['Überweisungen', '.&ANw-berweisungen'],
    ['日本語 フォルダ', '.&ZeVnLIqe- &MNUwqTDrMMA-'],
    ['Work & Play', '.Work &- Play'],
    ['v1.2', '.v1\\2e2'],
    ['a.b/c\\d', '.a\\2eb.c\\5cd'],
    ['~home', '.\\7ehome'],
    ['Contract/Ünïcode & Co/Ébène ✉ 日本/Tiefe', '.Contract.&ANw-n&AO8-code &- Co.&AMk-b&AOg-ne &Jwk- &ZeVnLA-.Tiefe'],
  ])('%s <-> "%s"', (path, dir) => {
    expect(folderDirName(path)).toBe(dir);
    expect(folderPathOf(dir)).toBe(path);
  });

  it('INBOX in any case is the root', () => {
    expect(folderDirName('inbox')).toBe('');
  });

  it('refuses empty hierarchy levels', () => {
    expect(() => folderDirName('A//B')).toThrow(/empty/);
    expect(() => folderDirName('/A')).toThrow(/empty/);
  });

  it('lists parents outermost first', () => {
    expect(parentPaths('A/B/C')).toEqual(['A', 'A/B']);
    expect(parentPaths('A')).toEqual([]);
  });
});
