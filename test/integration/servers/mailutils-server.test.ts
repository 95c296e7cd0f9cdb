/**
 * The private GNU Mailutils 3.15 harness (test/support/servers/mailutils.ts) and the server
 * behaviour a connector has to live with, pinned to the exact lines imap4d/pop3d send.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawImap, type RawImap } from '../../support/raw-imap.js';
import { startMailutils, type MailutilsServer } from '../../support/servers/mailutils.js';
import { MAIL_USER } from '../../support/system-users.js';

let server: MailutilsServer;
let tagCount = 0;

beforeAll(async () => {
  server = await startMailutils({ users: ['alice', 'bob', 'carol'] });
});

afterAll(async () => {
  await server?.stop();
});

async function imapLogin(user: string): Promise<RawImap> {
  const imap = await connectRawImap(server.imapPort);
  expect(await command(imap, `LOGIN ${user} ${server.password}`)).toMatch(/^a\d+ OK LOGIN Completed\r\n$/m);
  return imap;
}

/** Sends one tagged command; resolves with every line up to and including the tagged one. */
async function command(imap: RawImap, text: string): Promise<string> {
  const tag = `a${++tagCount}`;
  await imap.write(`${tag} ${text}\r\n`);
  return imap.until(new RegExp(`^${tag} .*\\r\\n`, 'm'));
}

function message(i: number): string {
  return `From: sender${i}@example.com\r\nTo: alice@example.com\r\nSubject: msg ${i}\r\nMessage-ID: <m${i}@example.com>\r\n\r\nbody ${i}\r\n`;
}

/** A line-at-a-time POP3 client. */
async function pop3(): Promise<{ greeting: string; send(line: string, multi?: boolean): Promise<string>; close(): void }> {
  const socket = net.connect(server.pop3Port, '127.0.0.1');
  let buffered = '';
  let wake: (() => void) | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    wake?.();
  });
  const read = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pop3: no ${pattern} in ${JSON.stringify(buffered)}`)), 10_000);
      wake = () => {
        const match = pattern.exec(buffered);
        if (!match) return;
        clearTimeout(timer);
        wake = undefined;
        const text = buffered.slice(0, match.index + match[0].length);
        buffered = buffered.slice(text.length);
        resolve(text);
      };
      wake();
    });
  const greeting = await read(/\r\n/);
  return {
    greeting,
    async send(line, multi = false) {
      socket.write(`${line}\r\n`);
      const first = await read(/\r\n/);
      if (!multi || !first.startsWith('+OK')) return first;
      return first + (await read(/^\.\r\n/m));
    },
    close: () => socket.destroy(),
  };
}

describe('mailutils harness', () => {
  it('logs plain user names in (IMAP and POP3) and keeps mail as mbox owned by the mail user', async () => {
    expect(server.product).toBe('mailutils');
    const imap = await imapLogin('alice');
    expect(await command(imap, 'NAMESPACE')).toMatch(/^\* NAMESPACE \(\("" "\/"\)\) NIL NIL\r\n/);
    expect(server.separator).toBe('/');
    expect(server.personalPrefix).toBe('');
    expect(await command(imap, 'SELECT INBOX')).toMatch(/OK \[READ-WRITE\] SELECT Completed/);
    expect(await command(imap, 'CREATE Archive/2024')).toMatch(/OK CREATE Completed/);
    imap.close();

    const { uid } = await fs.stat(server.inboxPath('alice'));
    const { uid: folderUid } = await fs.stat(`${server.homeDir('alice')}/Archive/2024`);
    const expected = Number(execFileSync('id', ['-u', MAIL_USER]).toString().trim());
    expect([uid, folderUid]).toEqual([expected, expected]);

    const bad = await connectRawImap(server.imapPort);
    expect(await command(bad, `LOGIN alice wrong-${server.password}`)).toMatch(/NO LOGIN User name or passwd rejected/);
    bad.close();

    const pop = await pop3();
    expect(await pop.send('USER alice')).toBe('+OK\r\n');
    expect(await pop.send(`PASS ${server.password}`)).toBe('+OK opened mailbox for alice\r\n');
    expect(await pop.send('QUIT')).toBe('+OK\r\n');
    pop.close();
  });

  it('adds a user to running servers', async () => {
    await server.addUser('dave');
    const imap = await imapLogin('dave');
    imap.close();
  });

  it('UID SEARCH UID 1:* answers nothing while EXISTS is 300 (a set with * never matches)', async () => {
    await server.deliver('bob', Array.from({ length: 300 }, (_, i) => message(i + 1)));
    const imap = await imapLogin('bob');
    expect(await command(imap, 'EXAMINE INBOX')).toMatch(/^\* 300 EXISTS\r\n/m);
    expect(await command(imap, 'UID SEARCH UID 1:*')).toMatch(/^\* SEARCH\r\na\d+ OK UID SEARCH Completed\r\n$/);
    expect(await command(imap, 'UID SEARCH UID 299:*')).toMatch(/^\* SEARCH\r\n/);
    expect(await command(imap, 'SEARCH UID 1:*')).toMatch(/^\* SEARCH\r\n/);
    expect(await command(imap, 'UID SEARCH UID *')).toMatch(/^a\d+ BAD UID SEARCH Bogus number set\r\n$/);
    const all = [...Array(300).keys()].map((i) => i + 1).join(' ');
    expect(await command(imap, 'UID SEARCH UID 1:300')).toContain(`* SEARCH ${all}\r\n`);
    expect(await command(imap, 'UID SEARCH UID 1:4294967295')).toContain(`* SEARCH ${all}\r\n`);
    expect(await command(imap, 'UID SEARCH ALL')).toContain(`* SEARCH ${all}\r\n`);
    expect(await command(imap, 'UID SEARCH 1:*')).toContain(`* SEARCH ${all}\r\n`);
    expect((await command(imap, 'UID FETCH 1:* (UID)')).match(/^\* \d+ FETCH \(UID \d+\)\r\n/gm)).toHaveLength(300);
    imap.close();
  });

  it('STATUS fails for an INBOX never opened and echoes names unquoted', async () => {
    const imap = await imapLogin('carol');
    expect(await command(imap, 'STATUS INBOX (MESSAGES UIDNEXT)')).toMatch(/^a\d+ NO STATUS Error opening mailbox\r\n$/);
    expect(await command(imap, 'CREATE "My Folder"')).toMatch(/OK CREATE Completed/);
    expect(await command(imap, 'STATUS "My Folder" (MESSAGES UIDNEXT)')).toMatch(
      /^\* STATUS My Folder \(MESSAGES 0 UIDNEXT 1\)\r\na\d+ OK STATUS Completed\r\n$/,
    );
    expect(await command(imap, 'LIST "" "My*"')).toMatch(/^\* LIST \(\\NoInferiors\) "\/" "My Folder"\r\n/);
    expect(await command(imap, 'SELECT INBOX')).toMatch(/OK \[READ-WRITE\] SELECT Completed/);
    expect(await command(imap, 'STATUS INBOX (MESSAGES)')).toMatch(/^\* STATUS INBOX \(MESSAGES 0\)\r\n/);
    imap.close();
  });

  it('CREATE of an existing folder is NO, CREATE INBOX is BAD', async () => {
    const imap = await imapLogin('carol');
    expect(await command(imap, 'CREATE Dup')).toMatch(/^a\d+ OK CREATE Completed\r\n$/);
    expect(await command(imap, 'CREATE Dup')).toMatch(/^a\d+ NO CREATE already exists\r\n$/);
    expect(await command(imap, 'CREATE INBOX')).toMatch(/^a\d+ BAD CREATE Already exist\r\n$/);
    imap.close();
  });

  it('pop3d offers an APOP timestamp without an APOP database, and answers [IN-USE] while the maildrop is locked', async () => {
    const first = await pop3();
    expect(first.greeting).toMatch(/^\+OK POP3 Ready <\d+\.\d+@[^>]+>\r\n$/);
    expect(await first.send('CAPA', true)).toBe(
      '+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nEXPIRENEVER\r\nUSER\r\n.\r\n',
    );
    expect(await first.send('APOP alice 0123456789abcdef0123456789abcdef')).toBe('-ERR [AUTH] Bad login\r\n');
    first.close();

    const holder = await pop3();
    await holder.send('USER bob');
    expect(await holder.send(`PASS ${server.password}`)).toBe('+OK opened mailbox for bob\r\n');
    const second = await pop3();
    expect(await second.send('USER bob')).toBe('+OK\r\n');
    expect(await second.send(`PASS ${server.password}`)).toBe('-ERR [IN-USE] Mailbox in use\r\n');
    second.close();
    expect(await holder.send('QUIT')).toBe('+OK\r\n');
    holder.close();
    const third = await pop3();
    await third.send('USER bob');
    expect(await third.send(`PASS ${server.password}`)).toBe('+OK opened mailbox for bob\r\n');
    await third.send('QUIT');
    third.close();
  });

  it('stop() ends the masters and the session children', async () => {
    const other = await startMailutils({ users: ['erin'] });
    const imap = await connectRawImap(other.imapPort);
    await command(imap, `LOGIN erin ${other.password}`);
    const children = (await fs.readFile(`/proc/${other.pids.imap}/task/${other.pids.imap}/children`, 'utf8')).trim().split(/\s+/).map(Number);
    expect(children.length).toBeGreaterThan(0);
    await other.stop();
    for (const pid of [other.pids.imap, other.pids.pop3, ...children]) {
      // Gone, or a zombie of a reparented child that nothing reaps here.
      const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      expect(stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')))).toBe(true);
    }
    await expect(fs.stat(other.dir)).rejects.toThrow();
    imap.close();
  });
});
