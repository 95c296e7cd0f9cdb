/**
 * Interop with a real Dovecot: a Maildir written by MaildirTarget is served by Dovecot
 * with the same folders, bytes, flags, keywords, INTERNALDATEs and UIDs; a message
 * Dovecot stores afterwards is read by MaildirSource with the UID Dovecot gave it.
 *
 * The project's test Dovecot stores mail as `maildir:~/Maildir:LAYOUT=fs`. This test
 * starts its own instance with `mail_location = maildir:~/Maildir` appended (the later
 * setting wins): the standard Maildir++ layout, under the "/" separator the test config
 * already uses, plus the listescape plugin so a folder name with "." works too. The
 * Maildir is written as root into the user's home and then handed to the mail user.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaildirSource, MaildirTarget } from '../../../src/connectors/maildir/index.js';
import { buildCorpus, type CorpusMessage } from '../../support/corpus.js';
import { startDovecot, type DovecotServer } from '../../support/dovecot.js';
import { connectImap } from '../../support/imap-account.js';

const run = promisify(execFile);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const FOLDERS = ['INBOX', 'Archive/2024', 'Überweisungen', 'Work & Play', 'v1.2 notes'];
const USER = 'backup';

let dovecot: DovecotServer;
let root: string;
let messages: CorpusMessage[];
/** Folder -> UIDs our appends returned, in append order. */
const appended = new Map<string, number[]>();

beforeAll(async () => {
  dovecot = await startDovecot({
    extraConfig: [
      'mail_location = maildir:~/Maildir',
      'protocol imap {',
      '  mail_plugins = $mail_plugins listescape',
      '}',
    ].join('\n'),
  });
  await dovecot.addUser(USER);
  const home = path.join(dovecot.dir, 'mail', USER);
  root = path.join(home, 'Maildir');
  messages = buildCorpus({ seed: 91, count: 20, folders: FOLDERS });
  const target = new MaildirTarget({ root });
  await target.connect();
  for (const folder of FOLDERS) await target.ensureFolder(folder);
  for (const m of messages) {
    const { uid } = await target.append(m.folder, { raw: m.raw, flags: m.flags, internalDate: m.internalDate });
    appended.set(m.folder, [...(appended.get(m.folder) ?? []), uid as number]);
  }
  const mail = await fs.promises.stat(path.join(dovecot.dir, 'mail'));
  await run('chown', ['-R', `${mail.uid}:${mail.gid}`, home]);
});

afterAll(async () => {
  await dovecot?.stop();
});

const account = () => ({ port: dovecot.imapPort, user: USER, password: dovecot.password });

describe('a Maildir written by MaildirTarget, served by Dovecot', () => {
  it('lists the same folders', async () => {
    const client = await connectImap(account());
    try {
      const listed = (await client.list()).map((f) => f.path).sort();
      expect(listed).toEqual(expect.arrayContaining(FOLDERS));
    } finally {
      await client.logout();
    }
  });

  it('has the same bytes, flags, keywords, INTERNALDATEs and UIDs', async () => {
    const client = await connectImap(account());
    try {
      for (const folder of FOLDERS) {
        const lock = await client.getMailboxLock(folder, { readOnly: true });
        try {
          const seen: Array<[number, string, string, string]> = [];
          for await (const m of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
            const flags = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort().join(' ');
            seen.push([m.uid, sha(m.source as Buffer), flags, new Date(m.internalDate as Date).toISOString()]);
          }
          const expected = messages.filter((m) => m.folder === folder).map((m, n): [number, string, string, string] =>
            [appended.get(folder)?.[n] as number, sha(m.raw), [...m.flags].sort().join(' '), m.internalDate.toISOString()]);
          expect(seen.sort((a, b) => a[0] - b[0])).toEqual(expected);
          const ours = await new MaildirSource({ root }).status(folder);
          const theirs = await client.status(folder, { uidValidity: true, uidNext: true, messages: true });
          if (!theirs) throw new Error(`STATUS ${folder} failed`);
          expect({ uidValidity: String(theirs.uidValidity), uidNext: theirs.uidNext, messages: theirs.messages }).toEqual(ours);
        } finally {
          lock.release();
        }
      }
    } finally {
      await client.logout();
    }
  });

  it('a message Dovecot stores afterwards gets the UID Dovecot gave it, in MaildirSource', async () => {
    const raw = Buffer.from('Subject: from dovecot\r\n\r\nhello\r\n');
    const client = await connectImap(account());
    let uid: number;
    try {
      const result = await client.append('Archive/2024', raw, ['\\Flagged', 'Later']);
      uid = (result as { uid: number }).uid;
    } finally {
      await client.logout();
    }
    const source = new MaildirSource({ root });
    await source.connect();
    const uids = await source.listUids('Archive/2024', 0);
    expect(uids).toEqual([...(appended.get('Archive/2024') ?? []), uid]);
    const [fetched] = await source.fetchRaw('Archive/2024', [uid]);
    // Dovecot stores bare LF line ends (mail_save_crlf = no) and adds the CRs back when it
    // serves the message; MaildirSource gives the file's bytes as they are.
    expect(fetched?.raw.toString('latin1')).toBe(raw.toString('latin1').replace(/\r\n/g, '\n'));
    expect([...(fetched?.flags ?? [])].sort()).toEqual(['Later', '\\Flagged']);
    const status = await source.status('Archive/2024');
    expect(status.uidNext).toBe(uid + 1);
  });
});

describe('mirror changes made by MaildirTarget, served by Dovecot', () => {
  /** What Dovecot serves of a folder: UID -> sorted flags (without \Recent). */
  async function servedFlags(folder: string): Promise<Map<number, string>> {
    const client = await connectImap(account());
    try {
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        const flags = new Map<number, string>();
        for await (const m of client.fetch('1:*', { uid: true, flags: true })) {
          flags.set(m.uid, [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort().join(' '));
        }
        return flags;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }

  /** Our writes run as root; Dovecot reads as the mail user. */
  async function handOver(): Promise<void> {
    const mail = await fs.promises.stat(path.join(dovecot.dir, 'mail'));
    await run('chown', ['-R', `${mail.uid}:${mail.gid}`, path.join(dovecot.dir, 'mail', USER)]);
  }

  it('new flags (a new keyword, an empty set), deletions and a rename show in Dovecot as in the Maildir', async () => {
    const target = new MaildirTarget({ root });
    await target.connect();
    const folder = 'Work & Play';
    const date = new Date('2024-06-01T12:00:00Z');
    const add = async (n: number, flags: string[]) => (await target.append(folder, { raw: Buffer.from(`Subject: m${n}\r\n\r\n${n}\r\n`), flags, internalDate: date })).uid as number;
    const [a, b, c, d] = [await add(1, ['\\Seen']), await add(2, ['\\Flagged']), await add(3, []), await add(4, ['\\Deleted'])];
    await handOver();
    expect((await servedFlags(folder)).get(b)).toBe('\\Flagged'); // Dovecot has read the folder (and indexed it) before the changes

    await target.setFlags(folder, [
      { uid: a, flags: ['\\Answered', 'Mirrored-Keyword'] },
      { uid: b, flags: [] },
    ]);
    await target.deleteMessages(folder, [c]);
    const before = await new MaildirSource({ root }).status('Archive/2024');
    await target.renameFolder('Archive', 'Old Archive');
    await handOver();

    const served = await servedFlags(folder);
    expect(served.get(a)).toBe('Mirrored-Keyword \\Answered');
    expect(served.get(b)).toBe('');
    expect(served.has(c)).toBe(false);
    expect(served.get(d)).toBe('\\Deleted');
    expect(normalizeUids(await target.fetchFlags(folder, [a, b, c, d]))).toEqual(normalizeUids([
      { uid: a, flags: ['\\Answered', 'Mirrored-Keyword'] }, { uid: b, flags: [] }, { uid: d, flags: ['\\Deleted'] },
    ]));

    const client = await connectImap(account());
    try {
      const listed = (await client.list()).map((f) => f.path);
      expect(listed).toEqual(expect.arrayContaining(['Old Archive/2024']));
      expect(listed.filter((p) => p.startsWith('Archive'))).toEqual([]);
      const status = await client.status('Old Archive/2024', { uidValidity: true, uidNext: true, messages: true });
      expect(status && { uidValidity: String(status.uidValidity), uidNext: status.uidNext, messages: status.messages }).toEqual(before);
    } finally {
      await client.logout();
    }
  });
});

function normalizeUids(list: ReadonlyArray<{ uid: number; flags: readonly string[] }>) {
  return list.map((m) => ({ uid: m.uid, flags: [...m.flags].sort() }));
}
