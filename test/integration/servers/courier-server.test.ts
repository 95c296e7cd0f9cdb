import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceMembers, startCourier, type CourierServer } from '../../support/servers/courier.js';

/** A line-oriented client socket for exact IMAP/POP3 exchanges (latin1 keeps bytes as they are). */
class Wire {
  private received = '';
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      this.waiter?.();
    });
    socket.on('error', (err) => {
      this.failure = err;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.failure ??= new Error('connection closed');
      this.waiter?.();
    });
  }

  static async open(port: number, greeting: RegExp): Promise<{ wire: Wire; greeting: string }> {
    const wire = new Wire(net.connect(port, '127.0.0.1'));
    return { wire, greeting: await wire.until(greeting) };
  }

  /** Everything received up to and including the first match of `pattern`. */
  until(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${JSON.stringify(this.received)}`)), timeoutMs);
      this.waiter = () => {
        const match = pattern.exec(this.received);
        if (!match && !this.failure) return;
        clearTimeout(timer);
        this.waiter = undefined;
        if (!match) return reject(this.failure);
        const text = this.received.slice(0, match.index + match[0].length);
        this.received = this.received.slice(text.length);
        resolve(text);
      };
      this.waiter();
    });
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Send an IMAP command (tag included) and return the response up to its tagged line. */
  imap(tag: string, command: string): Promise<string> {
    this.send(`${tag} ${command}\r\n`);
    return this.until(new RegExp(`^${tag} (OK|NO|BAD).*\\r\\n`, 'm'));
  }

  /** Send a POP3 command; multi-line answers are read up to the terminating dot. */
  pop3(command: string, multiline = false): Promise<string> {
    this.send(`${command}\r\n`);
    return this.until(multiline ? /^(-ERR.*\r\n|\+OK[^]*?\r\n\.\r\n)/ : /^[+-].*\r\n/);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The processes of a mount namespace, described for a failure message (empty when none is left). */
async function leftovers(ns: string): Promise<string[]> {
  const pids = await namespaceMembers(ns);
  return pids.map((pid) => {
    const read = (file: string): string => {
      try {
        return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
      } catch {
        return '';
      }
    };
    const fields = read('status').split('\n').filter((l) => /^(Name|State|PPid|Uid):/.test(l)).join(' ');
    return `${pid} ${read('cmdline').replace(/\0/g, ' ').trim()} [${fields.replace(/\s+/g, ' ')}]`;
  });
}

async function imapLogin(server: CourierServer, user: string): Promise<Wire> {
  const { wire } = await Wire.open(server.imapPort, /^\* OK.*\r\n/);
  expect(await wire.imap('L', `LOGIN ${user} ${server.password}`)).toMatch(/^L OK/m);
  return wire;
}

const MESSAGE = [
  'From: Alice <alice@example.test>',
  'To: Bob <bob@example.test>',
  'Subject: courier harness check',
  'Message-ID: <courier-harness-1@example.test>',
  'Date: Mon, 07 Dec 2026 12:00:00 +0000',
  '',
  'Hello from the Courier harness.',
  '.a line that POP3 must dot-stuff',
  '',
].join('\r\n');

describe('private Courier IMAP/POP3 server', () => {
  let server: CourierServer;

  beforeAll(async () => {
    server = await startCourier({ users: ['alice', 'bob'] });
  });

  afterAll(async () => {
    if (!server) return;
    await server.stop();
    expect(await leftovers(server.mountNamespace)).toEqual([]);
    expect(fs.existsSync(server.dir)).toBe(false);
  });

  it('describes itself as Courier with the INBOX. namespace', () => {
    expect(server.product).toBe('courier');
    expect(server.separator).toBe('.');
    expect(server.personalPrefix).toBe('INBOX.');
    expect(server.pop3Port).toBeTypeOf('number');
  });

  it('lets both users log in over plain IMAP, and refuses a wrong password', async () => {
    for (const user of ['alice', 'bob']) {
      const wire = await imapLogin(server, user);
      expect(await wire.imap('N', 'NAMESPACE')).toContain('* NAMESPACE (("INBOX." "."))');
      wire.close();
    }
    const { wire } = await Wire.open(server.imapPort, /^\* OK.*\r\n/);
    expect(await wire.imap('L', 'LOGIN alice wrong-password')).toMatch(/^L NO/m);
    wire.close();
  });

  it('creates a folder tree', async () => {
    const wire = await imapLogin(server, 'alice');
    expect(await wire.imap('C1', 'CREATE INBOX.Projects')).toMatch(/^C1 OK/m);
    expect(await wire.imap('C2', 'CREATE INBOX.Projects.2026.Q4')).toMatch(/^C2 OK/m);
    const list = await wire.imap('L1', 'LIST "" "INBOX.Projects*"');
    expect(list).toContain('"." "INBOX.Projects"');
    expect(list).toContain('"." "INBOX.Projects.2026.Q4"');
    wire.close();
  });

  it('stores an appended message and returns it byte for byte over IMAP and POP3', async () => {
    const wire = await imapLogin(server, 'bob');
    wire.send(`A APPEND INBOX (\\Seen) {${Buffer.byteLength(MESSAGE)}}\r\n`);
    await wire.until(/^\+.*\r\n/m);
    wire.send(`${MESSAGE}\r\n`);
    expect(await wire.until(/^A (OK|NO|BAD).*\r\n/m)).toMatch(/^A OK \[APPENDUID \d+ 1\]/m);
    await wire.imap('S', 'SELECT INBOX');
    const fetched = await wire.imap('F', 'UID FETCH 1 (RFC822.SIZE BODY.PEEK[])');
    expect(fetched).toContain(`RFC822.SIZE ${Buffer.byteLength(MESSAGE)}`);
    expect(fetched).toContain(`BODY[] {${Buffer.byteLength(MESSAGE)}}\r\n${MESSAGE}`);
    wire.close();

    const { wire: pop } = await Wire.open(server.pop3Port!, /^\+OK.*\r\n/);
    expect(await pop.pop3('USER bob')).toMatch(/^\+OK/);
    expect(await pop.pop3(`PASS ${server.password}`)).toMatch(/^\+OK/);
    expect(await pop.pop3('STAT')).toBe(`+OK 1 ${Buffer.byteLength(MESSAGE)}\r\n`);
    const retr = await pop.pop3('RETR 1', true);
    const body = retr.slice(retr.indexOf('\r\n') + 2, -'.\r\n'.length).replace(/^\.\./gm, '.');
    expect(body).toBe(MESSAGE);
    expect(await pop.pop3('QUIT')).toMatch(/^\+OK/);
    pop.close();
  });

  it('wraps a message with raw UTF-8 headers for POP3 clients that did not send UTF8 (RFC 6856)', async () => {
    const subject = 'Subject: \u041f\u0440\u0438\u0432\u0435\u0442';
    const message = Buffer.from(`From: a@example.test\r\nTo: dave@example.test\r\n${subject}\r\nMessage-ID: <utf8@example.test>\r\n\r\nbody\r\n`, 'utf8');
    await server.addUser('dave');
    const wire = await imapLogin(server, 'dave');
    wire.send(`A APPEND INBOX {${message.length}}\r\n`);
    await wire.until(/^\+.*\r\n/m);
    wire.send(Buffer.concat([message, Buffer.from('\r\n')]));
    // Stored as sent, but Courier tells a client that has not ENABLEd UTF8=ACCEPT that it is wrong.
    expect(await wire.until(/^A (OK|NO|BAD).*\r\n/m)).toContain('* OK [ALERT] Your IMAP client does not appear to correctly implement Unicode messages');
    wire.close();

    const retr = async (utf8First: boolean): Promise<{ first: string; body: string; list: string }> => {
      const { wire: pop } = await Wire.open(server.pop3Port!, /^\+OK.*\r\n/);
      if (utf8First) expect(await pop.pop3('UTF8')).toBe('+OK UTF8 enabled\r\n');
      await pop.pop3('USER dave');
      expect(await pop.pop3(`PASS ${server.password}`)).toMatch(/^\+OK/);
      const list = await pop.pop3('LIST 1');
      const text = await pop.pop3('RETR 1', true);
      await pop.pop3('QUIT');
      pop.close();
      const first = text.slice(0, text.indexOf('\r\n'));
      return { first, body: text.slice(first.length + 2, -'.\r\n'.length), list };
    };
    const latin1 = message.toString('latin1');

    const plain = await retr(false);
    // LIST counts the stored message; RETR sends a different, larger MIME wrapper.
    expect(plain.list).toBe(`+OK 1 ${message.length}\r\n`);
    expect(plain.body).toContain('Subject: Cannot display Unicode content');
    expect(plain.body).toContain('Content-Type: message/global');
    expect(plain.body).toContain(latin1);
    expect(plain.body.length).toBeGreaterThan(message.length);

    const unicode = await retr(true);
    expect(unicode.first).toBe(`+OK ${message.length} octets follow.`);
    expect(unicode.body).toBe(latin1);
  });

  it('adds a user while running', async () => {
    await server.addUser('carol');
    const wire = await imapLogin(server, 'carol');
    expect(await wire.imap('S', 'STATUS INBOX (MESSAGES)')).toMatch(/\* STATUS "?INBOX"? \(MESSAGES 0\)/);
    wire.close();
  });

  it('runs two instances at the same time, each stopped completely on its own', async () => {
    const second = await startCourier({ users: ['alice'] });
    try {
      expect(second.imapPort).not.toBe(server.imapPort);
      expect(second.mountNamespace).not.toBe(server.mountNamespace);
      const one = await imapLogin(server, 'alice');
      const two = await imapLogin(second, 'alice');
      // The second instance has its own store: alice's folder tree exists only in the first.
      expect(await one.imap('X', 'LIST "" "INBOX.Projects"')).toContain('INBOX.Projects');
      expect(await two.imap('X', 'LIST "" "INBOX.Projects"')).not.toContain('INBOX.Projects');
      one.close();
      // An open session (a per-connection imapd) must not survive stop().
      expect((await namespaceMembers(second.mountNamespace)).length).toBeGreaterThan(3);
      await second.stop();
      two.close();
      expect(await leftovers(second.mountNamespace)).toEqual([]);
      expect(fs.existsSync(second.dir)).toBe(false);
      // The first instance is untouched.
      const again = await imapLogin(server, 'alice');
      again.close();
    } finally {
      await second.stop();
    }
  });
});
