/** MaildirTarget's mirror operations on disk: flag renames, deletions, folder renames. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectorError } from '../../../src/connectors/connector-error.js';
import { MaildirTarget } from '../../../src/connectors/maildir/index.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

let dir: string;
let root: string;
let target: MaildirTarget;
beforeEach(async () => {
  dir = await makeTempDir('maildir-mirror');
  root = path.join(dir, 'Maildir');
  target = new MaildirTarget({ root });
  await target.connect();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await removeTempDir(dir);
});

const date = new Date('2022-02-02T02:02:02Z');
const raw = (n: number) => Buffer.from(`Subject: ${n}\r\n\r\n${n}\r\n`);
const names = async (sub: string) => (await fs.promises.readdir(path.join(root, sub))).sort();
/** The info letters of each file in cur/, in name order. */
const letters = async () => (await names('cur')).map((name) => name.slice(name.indexOf(':2,') + 3));

describe('MaildirTarget.setFlags', () => {
  it('renames the file to the new letters, with new keywords in dovecot-keywords, and clears with an empty set', async () => {
    const { uid } = await target.append('INBOX', { raw: raw(1), flags: ['\\Seen', 'Old'], internalDate: date });
    await target.setFlags('INBOX', [{ uid: uid as number, flags: ['\\Flagged', 'New', '\\Recent'] }]);
    expect(await letters()).toEqual(['Fb']);
    expect(await fs.promises.readFile(path.join(root, 'dovecot-keywords'), 'utf8')).toBe('0 Old\n1 New\n');
    await target.setFlags('INBOX', [{ uid: uid as number, flags: [] }]);
    expect(await letters()).toEqual(['']);
    expect(await target.fetchFlags('INBOX', [uid as number, 42])).toEqual([{ uid, flags: [] }]);
  });

  it('keeps info letters without an IMAP meaning (P, passed), as Dovecot does', async () => {
    const { uid } = await target.append('INBOX', { raw: raw(1), flags: ['\\Seen'], internalDate: date });
    const [name] = await names('cur');
    await fs.promises.rename(path.join(root, 'cur', name as string), path.join(root, 'cur', (name as string).replace(/:2,S$/, ':2,PS')));
    await target.setFlags('INBOX', [{ uid: uid as number, flags: ['\\Answered'] }]);
    expect(await letters()).toEqual(['PR']);
  });

  it('moves a message from new/ to cur/ when its flags are set, keeping its UID', async () => {
    const base = '1700000000.M1P1.host,S=7';
    await fs.promises.writeFile(path.join(root, 'new', base), 'x\r\n\r\ny');
    const [uid] = (await target.listWindow('INBOX', 1)).map((m) => m.uid);
    await target.setFlags('INBOX', [{ uid: uid as number, flags: ['\\Seen'] }]);
    expect(await names('new')).toEqual([]);
    expect(await names('cur')).toEqual([`${base}:2,S`]);
    expect((await target.listWindow('INBOX', 1)).map((m) => [m.uid, m.flags])).toEqual([[uid, ['\\Seen']]]);
  });

  it('finds the file again when another process renamed it meanwhile', async () => {
    const { uid } = await target.append('INBOX', { raw: raw(1), flags: [], internalDate: date });
    const realRename = fs.promises.rename.bind(fs.promises);
    // The first rename finds the file gone: someone (Dovecot) gave it new flags just before.
    vi.spyOn(fs.promises, 'rename').mockImplementationOnce(async (from) => {
      await realRename(from, String(from).replace(/:2,.*$/, ':2,S'));
      throw Object.assign(new Error('ENOENT: no such file or directory, rename'), { code: 'ENOENT' });
    });
    await target.setFlags('INBOX', [{ uid: uid as number, flags: ['\\Flagged'] }]);
    expect(await letters()).toEqual(['F']);
  });

  it('refuses a missing folder with FOLDER_NOT_FOUND', async () => {
    await expect(target.setFlags('Nope', [{ uid: 1, flags: [] }])).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND', scope: 'folder' });
  });
});

describe('MaildirTarget.deleteMessages', () => {
  it('unlinks exactly the given messages and drops their uidlist lines; a \\Deleted one stays', async () => {
    const uids = [];
    for (const [n, flags] of [[1, ['\\Deleted']], [2, []], [3, ['\\Seen']]] as const) uids.push((await target.append('INBOX', { raw: raw(n), flags, internalDate: date })).uid as number);
    const [marked, doomed, kept] = uids as [number, number, number];
    await target.deleteMessages('INBOX', [doomed, 999]);
    expect((await target.listWindow('INBOX', 1)).map((m) => m.uid)).toEqual([marked, kept]);
    expect((await letters()).sort()).toEqual(['S', 'T']);
    const uidlist = (await fs.promises.readFile(path.join(root, 'dovecot-uidlist'), 'utf8')).trim().split('\n');
    expect(uidlist.slice(1).map((line) => Number(line.split(' ')[0]))).toEqual([marked, kept]);
    // UIDs are never given again: N stays past the deleted one.
    expect(uidlist[0]).toMatch(/ N4 /);
    expect(fs.existsSync(path.join(root, 'dovecot-uidlist.lock'))).toBe(false);
  });

  it('gives a file that has no UID yet one, and leaves it alone', async () => {
    const { uid } = await target.append('INBOX', { raw: raw(1), flags: [], internalDate: date });
    await fs.promises.writeFile(path.join(root, 'new', '1700000000.M2P2.host,S=3'), 'a\r\n');
    await target.deleteMessages('INBOX', [uid as number]);
    expect(await names('cur')).toEqual([]);
    expect(await names('new')).toEqual(['1700000000.M2P2.host,S=3']);
    expect((await target.listWindow('INBOX', 1)).map((m) => m.uid)).toEqual([(uid as number) + 1]);
  });
});

describe('MaildirTarget.renameFolder', () => {
  it('moves the folder and every subfolder, not a sibling sharing the prefix, and keeps the uidlist', async () => {
    for (const f of ['A', 'A/B', 'A/B/C', 'AB']) await target.ensureFolder(f);
    const uidlist = await fs.promises.readFile(path.join(root, '.A.B', 'dovecot-uidlist'), 'utf8');
    await target.renameFolder('A', 'Z/Ä');
    const dirs = (await fs.promises.readdir(root)).filter((n) => n.startsWith('.')).sort();
    expect(dirs).toEqual(['.AB', '.Z.&AMQ-', '.Z.&AMQ-.B', '.Z.&AMQ-.B.C']);
    expect(await fs.promises.readFile(path.join(root, '.Z.&AMQ-.B', 'dovecot-uidlist'), 'utf8')).toBe(uidlist);
  });

  it('moves the subfolders of a folder that is only a name (\\Noselect)', async () => {
    await target.ensureFolder('Parent/Child');
    await target.renameFolder('Parent', 'Moved');
    expect((await target.listFolders()).map((f) => [f.path, f.selectable])).toEqual([['INBOX', true], ['Moved', false], ['Moved/Child', true]]);
  });

  it.each<[string, string, string]>([
    ['INBOX', 'Other', 'INBOX'],
    ['Other', 'INBOX', 'INBOX'],
    ['A', 'A/Inside', 'into itself'],
  ])('refuses %s -> %s (%s) with a folder error that is never retried', async (from, to, reason) => {
    await target.ensureFolder('A');
    await target.ensureFolder('Other');
    const error = await target.renameFolder(from, to).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ scope: 'folder', retry: 'never' });
    expect((error as Error).message).toContain(reason);
  });

  it('renames nothing when one of the new names is taken', async () => {
    for (const f of ['A', 'A/B', 'Z/B']) await target.ensureFolder(f);
    await expect(target.renameFolder('A', 'Z')).rejects.toMatchObject({ code: 'FOLDER_FAILED', retry: 'never' });
    const dirs = (await fs.promises.readdir(root)).filter((n) => n.startsWith('.')).sort();
    expect(dirs).toEqual(['.A', '.A.B', '.Z.B']);
  });
});
