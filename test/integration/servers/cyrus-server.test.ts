import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cyrusConf, cyrusImapdConf } from '../../support/servers/cyrus-config.js';
import { cyrusRoot, startCyrus, type CyrusServer } from '../../support/servers/cyrus.js';
import { RawImap } from '../../support/imap-raw.js';
import { connectImap } from '../../support/imap-account.js';
import { tcpExchange } from '../../support/tcp-probe.js';

// Proves the private Cyrus harness (test/support/servers/cyrus.ts) keeps Debian's behaviour
// that tests rely on: INBOX. namespace with ".", munge8bit, popminpoll 1 ([LOGIN-DELAY]).

describe('cyrus config from the shipped files', () => {
  it('changes only paths, ports, services and authentication', async () => {
    const shippedImapd = await fs.readFile(`${cyrusRoot()}/etc/imapd.conf`, 'utf8');
    const shippedCyrus = await fs.readFile(`${cyrusRoot()}/etc/cyrus.conf`, 'utf8');
    const imapd = cyrusImapdConf(shippedImapd, { dir: '/x', sasldbFile: '/x/sasldb2', adminUser: 'adm', settings: { popminpoll: '0' } });
    const keys = (text: string) => text.split('\n').filter((l) => /^[a-z]/i.test(l)).map((l) => l.split(':')[0]);
    // No key twice (Cyrus refuses that).
    expect(new Set(keys(imapd)).size).toBe(keys(imapd).length);
    expect(imapd).toMatch(/^altnamespace: no$/m);
    expect(imapd).toMatch(/^unixhierarchysep: no$/m);
    expect(imapd).toMatch(/^configdirectory: \/x\/conf$/m);
    expect(imapd).toMatch(/^popminpoll: 0$/m);
    expect(imapd).toMatch(/^sasl_sasldb_path: \/x\/sasldb2$/m);
    expect(imapd).not.toMatch(/^[a-z_-]+: \/(var|run)\//m);
    expect(imapd).not.toMatch(/^munge8bit:/m);

    const conf = cyrusConf(shippedCyrus, { dir: '/x', binDir: '/b', imapPort: 1143, pop3Port: 1110 });
    const live = conf.split('\n').filter((l) => /^\s*[a-z]/i.test(l) && !/^\s*#/.test(l) && !/\{|\}/.test(l));
    expect(live.map((l) => l.trim().split(/\s+/)[0])).toEqual(
      expect.arrayContaining(['recover', 'imap', 'pop3', 'lmtpunix', 'checkpoint']),
    );
    expect(live.filter((l) => /^\s*(nntp|http|sieve|notify)\s/.test(l))).toEqual([]);
    for (const line of live) expect(line).toMatch(/cmd="\/b\/[a-z0-9_]+ -C \/x\/imapd\.conf/);
    expect(conf).toMatch(/cmd="\/b\/cyr_expire -C \/x\/imapd\.conf -E 3"/);
    expect(conf).toMatch(/^\s*imap\s.*listen="127\.0\.0\.1:1143"/m);
    expect(conf).toMatch(/^\s*pop3\s.*listen="127\.0\.0\.1:1110"/m);
    expect(conf).toMatch(/^\s*lmtpunix\s.*listen="\/x\/run\/socket\/lmtp"/m);
  });
});

describe('cyrus server', () => {
  let cyrus: CyrusServer;

  beforeAll(async () => {
    cyrus = await startCyrus({ users: ['alice', 'bob'] });
  });
  afterAll(async () => {
    await cyrus?.stop();
  });

  it('logs a user in with the INBOX. namespace and "." separator', async () => {
    expect(cyrus.personalPrefix).toBe('INBOX.');
    expect(cyrus.separator).toBe('.');
    const client = await connectImap({ port: cyrus.imapPort, user: 'alice', password: cyrus.password });
    try {
      await client.mailboxCreate('INBOX.Sent');
      const list = await client.list();
      const paths = list.map((m) => m.path).sort();
      expect(paths).toEqual(['INBOX', 'INBOX.Sent']);
      expect(list.find((m) => m.path === 'INBOX.Sent')?.delimiter).toBe('.');
    } finally {
      await client.logout();
    }
  });

  it('adds users at run time, and rejects names Cyrus would read as folders', async () => {
    await cyrus.addUser('carol');
    await cyrus.addUser('carol');
    const imap = await RawImap.login(cyrus.imapPort, 'carol', cyrus.password);
    const ns = (await imap.command('NAMESPACE')).toString('latin1');
    expect(ns).toMatch(/\* NAMESPACE \(\("INBOX\." "\."\)\)/);
    await imap.logout();
    await expect(cyrus.addUser('first.last')).rejects.toThrow(/unsupported user name/);
    await expect(RawImap.login(cyrus.imapPort, 'carol', 'wrong')).rejects.toThrow(/NO/);
  });

  it('munges 8-bit header bytes to X (munge8bit on)', async () => {
    await cyrus.addUser('eightbit');
    const imap = await RawImap.login(cyrus.imapPort, 'eightbit', cyrus.password);
    try {
      const raw = Buffer.concat([Buffer.from('Subject: h'), Buffer.from([0xe9]), Buffer.from('llo\r\nFrom: a@example.org\r\n\r\nbody\r\n')]);
      const uid = await imap.appendLiteral8('INBOX', raw);
      const stored = (await imap.fetchAll('INBOX', 'BODY.PEEK[]')).get(uid);
      expect(stored?.toString('latin1')).toContain('Subject: hXllo\r\n');
    } finally {
      await imap.logout();
    }
  });

  it('creates a folder tree (parents too) and keeps appended bytes exactly', async () => {
    const imap = await RawImap.login(cyrus.imapPort, 'bob', cyrus.password);
    try {
      await imap.command('CREATE "INBOX.Projects.2024.Q1"');
      const list = (await imap.command('LIST "" "INBOX.Projects*"')).toString('latin1');
      for (const name of ['INBOX.Projects', 'INBOX.Projects.2024', 'INBOX.Projects.2024.Q1']) {
        expect(list).toContain(`"." ${name}\r\n`);
      }
      const raw = Buffer.from('Subject: plain\r\nFrom: a@example.org\r\nMessage-ID: <1@example.org>\r\n\r\nline\r\n.dot\r\n');
      const uid = await imap.appendLiteral8('INBOX.Projects.2024', raw);
      expect((await imap.fetchAll('INBOX.Projects.2024', 'BODY.PEEK[]')).get(uid)).toEqual(raw);
    } finally {
      await imap.logout();
    }
  });

  it('serves POP3 (STAT, RETR) with one login a minute per user ([LOGIN-DELAY])', async () => {
    await cyrus.addUser('popper');
    const raw = Buffer.from('Subject: pop me\r\nFrom: a@example.org\r\n\r\nbody\r\n.dot\r\n');
    const imap = await RawImap.login(cyrus.imapPort, 'popper', cyrus.password);
    await imap.appendLiteral8('INBOX', raw);
    await imap.logout();

    const login = `USER popper\r\nPASS ${cyrus.password}\r\n`;
    const first = await tcpExchange(cyrus.pop3Port, {
      send: `${login}STAT\r\nRETR 1\r\nQUIT\r\n`,
      until: /\r\n\.\r\n\+OK.*\r\n/,
      timeoutMs: 10_000,
    });
    expect(first).toMatch(/^\+OK .*Cyrus POP3/);
    expect(first).toContain(`+OK 1 ${raw.length}\r\n`);
    // RETR dot-stuffs the line that starts with ".".
    expect(first).toContain('+OK Message follows\r\nSubject: pop me\r\nFrom: a@example.org\r\n\r\nbody\r\n..dot\r\n.\r\n');
    const second = await tcpExchange(cyrus.pop3Port, { send: login, until: /-ERR.*\r\n/, timeoutMs: 10_000 });
    expect(second).toMatch(/-ERR \[LOGIN-DELAY\] Logins must be at least 1 minute apart/);
  });

  it('logTail shows what Cyrus logged', async () => {
    const tail = await cyrus.logTail(200);
    if (cyrus.syslogCaptured) {
      expect(tail).toMatch(/cyrus\/imap\[\d+\]: login: .* alice (?:PLAIN|plaintext) User logged in/);
      expect(tail).toMatch(/cyrus\/pop3\[\d+\]: .*Logins must be at least 1 minute apart/);
    }
    expect(typeof tail).toBe('string');
  });

  it('runs a second instance beside the first; stop ends every process and removes the directory', async () => {
    const other = await startCyrus({ users: ['zed'] });
    try {
      expect([other.imapPort, other.pop3Port]).not.toContain(cyrus.imapPort);
      const imap = await RawImap.login(other.imapPort, 'zed', other.password);
      await imap.logout();
      // Users are per instance.
      await expect(RawImap.login(other.imapPort, 'alice', other.password)).rejects.toThrow(/NO/);
    } finally {
      await other.stop();
    }
    const pid = other.masterPid;
    if (process.env['MAILFERRY_TEST_KEEP_DIRS'] !== '1') await expect(fs.access(other.dir)).rejects.toThrow();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(tcpExchange(other.imapPort, { until: /\r\n/, timeoutMs: 1000 })).rejects.toThrow();
    // The first instance is untouched.
    const imap = await RawImap.login(cyrus.imapPort, 'alice', cyrus.password);
    await imap.logout();
  });
});
