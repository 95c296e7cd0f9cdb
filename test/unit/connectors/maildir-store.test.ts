/** The Maildir connector's files on disk, as Dovecot expects them. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/connector-error.js';
import { MaildirSource, MaildirTarget } from '../../../src/connectors/maildir/index.js';
import { fsError } from '../../../src/connectors/maildir/maildir-errors.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

let dir: string;
let root: string;
beforeEach(async () => {
  dir = await makeTempDir('maildir-unit');
  root = path.join(dir, 'Maildir');
});
afterEach(() => removeTempDir(dir));

const mode = async (p: string) => (await fs.promises.stat(p)).mode & 0o777;
const read = (p: string) => fs.promises.readFile(path.join(root, p), 'utf8');

describe('MaildirTarget on disk', () => {
  it('creates a nested folder with cur/new/tmp 0700, maildirfolder and a uidlist; its parent stays a name only (\\Noselect)', async () => {
    const target = new MaildirTarget({ root });
    await target.connect();
    expect(await target.ensureFolder('Archive/2024')).toEqual({ path: 'Archive/2024', created: true });
    for (const sub of ['cur', 'new', 'tmp']) expect(await mode(path.join(root, '.Archive.2024', sub))).toBe(0o700);
    expect(fs.existsSync(path.join(root, '.Archive.2024', 'maildirfolder'))).toBe(true);
    expect(await read('.Archive.2024/dovecot-uidlist')).toMatch(/^3 V\d+ N1 G[0-9a-f]{32}\n$/);
    expect(fs.existsSync(path.join(root, '.Archive'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'maildirfolder'))).toBe(false);
    const folders = await target.listFolders();
    expect(folders.map((f) => [f.path, f.selectable])).toEqual([['Archive', false], ['Archive/2024', true], ['INBOX', true]]);
  });

  it('appends into cur/ with the flag letters, S=, mtime, keywords file and uidlist entry', async () => {
    const target = new MaildirTarget({ root });
    await target.connect();
    const raw = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    const date = new Date('2021-03-04T05:06:07Z');
    const first = await target.append('INBOX', { raw, flags: ['\\Seen', 'Project-X', '\\Answered'], internalDate: date });
    const second = await target.append('INBOX', { raw, flags: ['$Forwarded', 'project-x'], internalDate: date });
    expect([first.uid, second.uid]).toEqual([1, 2]);
    const names = (await fs.promises.readdir(path.join(root, 'cur'))).sort();
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(new RegExp(`^\\d+\\.M\\d+P${process.pid}R[0-9a-f]{16}\\..+,S=${raw.length}:2,(RSa|ab)$`));
    expect(await fs.promises.readdir(path.join(root, 'tmp'))).toEqual([]);
    expect(await read('dovecot-keywords')).toBe('0 Project-X\n1 $Forwarded\n');
    const uidlist = (await read('dovecot-uidlist')).split('\n');
    expect(uidlist[0]).toMatch(/^3 V\d+ N3 G[0-9a-f]{32}$/);
    expect(uidlist.slice(1, 3).map((l) => l.replace(/ :.*/, ''))).toEqual(['1', '2']);
    const window = await target.listWindow('INBOX', 1);
    expect(window.map((m) => [m.uid, m.size, m.internalDate.toISOString(), [...m.flags].sort()])).toEqual([
      [1, raw.length, date.toISOString(), ['Project-X', '\\Answered', '\\Seen']],
      [2, raw.length, date.toISOString(), ['$Forwarded', 'Project-X']],
    ]);
    expect((await target.fetchRaw('INBOX', [2, 99])).map((m) => m.raw.equals(raw))).toEqual([true]);
  });

  it('drops keywords beyond 26 per folder, and says so in its flag policy', async () => {
    const target = new MaildirTarget({ root });
    await target.connect();
    const raw = Buffer.from('Subject: k\r\n\r\n.\r\n');
    await target.append('INBOX', { raw, flags: Array.from({ length: 26 }, (_, n) => `k${n}`), internalDate: new Date(0) });
    expect((await target.flagPolicy('INBOX')).newKeywords).toBe(false);
    const { uid } = await target.append('INBOX', { raw, flags: ['\\Seen', 'k27'], internalDate: new Date(0) });
    const [meta] = await target.listWindow('INBOX', uid as number);
    expect(meta?.flags).toEqual(['\\Seen']);
  });

  it('a missing folder is FOLDER_NOT_FOUND for the folder', async () => {
    const target = new MaildirTarget({ root });
    await target.connect();
    for (const call of [() => target.status('Nope'), () => target.append('Nope', { raw: Buffer.from('x'), flags: [], internalDate: new Date() })]) {
      await expect(call()).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND', scope: 'folder' });
    }
  });
});

describe('MaildirSource', () => {
  it('gives files delivered by someone else into new/ the next UIDs, and moves nothing', async () => {
    const target = new MaildirTarget({ root });
    await target.connect();
    await target.append('INBOX', { raw: Buffer.from('Subject: a\r\n\r\na\r\n'), flags: ['\\Seen'], internalDate: new Date(1_000_000_000_000) });
    await fs.promises.writeFile(path.join(root, 'new', '1700000000.M1P1.other'), 'Subject: b\r\nMessage-ID: <b@x>\r\n\r\nb\r\n');
    const source = new MaildirSource({ root });
    await source.connect();
    expect(await source.listUids('INBOX', 0)).toEqual([1, 2]);
    expect(await source.status('INBOX')).toMatchObject({ uidNext: 3, messages: 2 });
    const [meta] = await source.fetchMeta('INBOX', [2], { withMessageId: true });
    expect(meta).toMatchObject({ uid: 2, flags: [], messageId: '<b@x>' });
    expect(await read('dovecot-uidlist')).toMatch(/\n2 :1700000000\.M1P1\.other\n$/);
    expect(await fs.promises.readdir(path.join(root, 'new'))).toEqual(['1700000000.M1P1.other']);
  });

  it('keeps UIDs when flags change the file name (another client renamed it)', async () => {
    const target = new MaildirTarget({ root });
    await target.connect();
    await target.append('INBOX', { raw: Buffer.from('x\r\n'), flags: [], internalDate: new Date(0) });
    const [name] = await fs.promises.readdir(path.join(root, 'cur'));
    await fs.promises.rename(path.join(root, 'cur', name as string), path.join(root, 'cur', `${name as string}FS`));
    const source = new MaildirSource({ root });
    expect((await source.fetchMeta('INBOX', [1])).map((m) => m.flags)).toEqual([['\\Flagged', '\\Seen']]);
  });

  it('a missing root is FOLDER_NOT_FOUND for the account, naming the path', async () => {
    const error = await new MaildirSource({ root }).connect().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'FOLDER_NOT_FOUND', scope: 'account', retry: 'never' });
    expect((error as Error).message).toContain(root);
  });

  it('refuses a relative root', () => {
    expect(() => new MaildirSource({ root: 'Maildir' })).toThrow(/absolute/);
  });
});

describe('file system errors', () => {
  it.each<[string, object]>([
    ['EACCES', { code: 'AUTH_FAILED', scope: 'account', retry: 'never' }],
    ['ENOSPC', { code: 'OVER_QUOTA', scope: 'account', retry: 'never' }],
    ['EDQUOT', { code: 'OVER_QUOTA', scope: 'account', retry: 'never' }],
    ['ENOENT', { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never' }],
    ['EIO', { code: 'FOLDER_FAILED', scope: 'folder', retry: 'now' }],
  ])('%s', (code, expected) => {
    expect(fsError(Object.assign(new Error(code), { code }), 'append')).toMatchObject(expected);
  });
});
