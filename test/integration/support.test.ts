import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNodeScript } from '../support/cli.js';
import { CORPUS_FLAGS, DEFAULT_FOLDERS, bigMessage, buildCorpus, minCountForAllFeatures } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { connectImap, countMessages, expectedSnapshot, loadMessages, sha256, snapshotAccount } from '../support/imap-account.js';
import { startRedis } from '../support/redis.js';
import { tcpExchange } from '../support/tcp-probe.js';

// Proves the real-parts harness itself: if this file fails, no other integration result means anything.

const corpus = buildCorpus({ seed: 42, count: 40 });

describe('corpus', () => {
  it('is deterministic and CRLF-only', () => {
    const again = buildCorpus({ seed: 42, count: 40 });
    expect(again.map((m) => sha256(m.raw))).toEqual(corpus.map((m) => sha256(m.raw)));
    expect(buildCorpus({ seed: 43, count: 40 }).map((m) => sha256(m.raw))).not.toEqual(corpus.map((m) => sha256(m.raw)));
    for (const m of corpus) {
      const text = m.raw.toString('latin1');
      expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      expect(text).toContain('\r\n\r\n');
      expect(m.internalDate.getTime() % 1000).toBe(0);
      expect(m.internalDate.getTime()).toBeLessThan(Date.now());
    }
  });

  it('contains every edge case', () => {
    const small = buildCorpus({ seed: 7, count: minCountForAllFeatures() });
    for (const messages of [corpus, small]) {
      const texts = messages.map((m) => m.raw.toString('latin1'));
      const ids = texts.map((t) => /^Message-ID: (.*)$/im.exec(t)?.[1]);
      const shas = messages.map((m) => `${m.folder}\0${sha256(m.raw)}`);
      expect(texts.some((t) => t.includes('Content-Transfer-Encoding: base64'))).toBe(true);
      expect(texts.some((t) => t.includes('Content-Transfer-Encoding: quoted-printable'))).toBe(true);
      expect(messages.some((m) => m.raw.includes(0xe9) && !m.raw.includes(Buffer.from('é', 'utf8')))).toBe(true);
      expect(texts.some((t) => /^Subject: =\?(UTF-8\?B|ISO-8859-1\?Q)\?/m.test(t))).toBe(true);
      expect(ids.some((id) => id === undefined)).toBe(true);
      const definedIds = ids.filter((id) => id !== undefined);
      expect(new Set(definedIds).size).toBeLessThan(definedIds.length);
      expect(new Set(shas).size).toBeLessThan(shas.length);
      expect(texts.some((t) => t.includes('\r\n.\r\n') && t.includes('\r\n..\r\n'))).toBe(true);
      expect(new Set(messages.map((m) => m.folder))).toEqual(new Set(DEFAULT_FOLDERS));
      expect(new Set(messages.flatMap((m) => m.flags))).toEqual(new Set(CORPUS_FLAGS));
    }
    const years = new Set(corpus.map((m) => m.internalDate.getUTCFullYear()));
    expect(years.size).toBeGreaterThan(5);
  });

  it('bigMessage has about the requested size', () => {
    const big = bigMessage(1_000_000, 1);
    expect(Math.abs(big.length - 1_000_000)).toBeLessThan(200);
    expect(bigMessage(1_000_000, 1).equals(big)).toBe(true);
    expect(big.toString('latin1')).toMatch(/Content-Transfer-Encoding: base64\r\n/);
  });
});

describe('dovecot', () => {
  let dovecot: DovecotServer;
  const account = (user: string) => ({ port: dovecot.imapPort, user, password: dovecot.password });

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: ['a', 'b'],
      extraConfig: 'pop3_uidl_format = mf-%u\nplugin {\n  quota_max_mail_size = 2M\n}\n',
    });
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  it('round-trips a 40-message corpus byte for byte with flags and dates', async () => {
    await loadMessages(account('a'), corpus);
    const snapshot = await snapshotAccount(account('a'));
    expect([...snapshot.values()].flat()).toHaveLength(40);
    expect(snapshot).toEqual(expectedSnapshot(corpus));
    expect(await countMessages(account('a'), 'Archive/2023')).toBe(corpus.filter((m) => m.folder === 'Archive/2023').length);
    // Taking a snapshot must not change the server (BODY.PEEK, EXAMINE).
    expect(await snapshotAccount(account('a'))).toEqual(snapshot);
  });

  it('keeps users apart and adds users on the fly', async () => {
    expect(await snapshotAccount(account('b'))).toEqual(new Map([['INBOX', []]]));
    await dovecot.addUser('c');
    expect(await countMessages(account('c'), 'INBOX')).toBe(0);
    await expect(countMessages({ ...account('a'), password: 'wrong' }, 'INBOX')).rejects.toThrow();
  });

  it('answers doveadm', async () => {
    const out = await dovecot.doveadm(['mailbox', 'list', '-u', 'a']);
    expect(out.split('\n')).toContain('Archive/2023');
  });

  it('serves POP3 (with extraConfig pop3_uidl_format = mf-%u)', async () => {
    const inbox = corpus.filter((m) => m.folder === 'INBOX').length;
    const reply = await tcpExchange(dovecot.pop3Port, {
      send: `USER a\r\nPASS ${dovecot.password}\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n`,
      until: /\+OK Logging out/,
    });
    expect(reply).toMatch(/^\+OK /);
    expect(reply).toMatch(new RegExp(`\\+OK ${inbox} \\d+`));
    expect(reply).toContain('+OK 1 mf-1\r\n');
  });

  it('applies extraConfig quota_max_mail_size', async () => {
    const client = await connectImap(account('b'));
    try {
      await expect(client.append('INBOX', bigMessage(3_000_000, 1))).rejects.toThrow();
      expect(await client.append('INBOX', bigMessage(100_000, 1))).toMatchObject({ destination: 'INBOX' });
    } finally {
      await client.logout();
    }
  });

  it('fails fast with the log when the config is invalid', async () => {
    await expect(startDovecot({ extraConfig: 'no_such_setting_xyz = 1' })).rejects.toThrow(/no_such_setting_xyz/);
  });

  it('serves IMAPS and STARTTLS with the generated CA, and rejects TLS without it', async () => {
    const ca = await fs.readFile(dovecot.caFile);
    const login = { user: 'a', pass: dovecot.password };
    for (const [port, secure] of [[dovecot.imapsPort, true], [dovecot.imapPort, false]] as const) {
      const client = new ImapFlow({ host: '127.0.0.1', port, secure, doSTARTTLS: !secure, tls: { ca: [ca] }, auth: login, logger: false });
      client.on('error', () => {});
      await client.connect();
      expect(client.secureConnection).toBe(true);
      await client.logout();
    }
    const untrusted = new ImapFlow({ host: '127.0.0.1', port: dovecot.imapsPort, secure: true, auth: login, logger: false });
    untrusted.on('error', () => {});
    await expect(untrusted.connect()).rejects.toThrow();
    untrusted.close();
  });
});

describe('redis', () => {
  it('keeps an acknowledged write across kill -9 and restart', async () => {
    const redis = await startRedis();
    try {
      const firstPid = redis.pid;
      const before = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await before.set('mailferry:test', 'survives');
      before.disconnect();
      await redis.kill9();
      await redis.start();
      expect(redis.pid).not.toBe(firstPid);
      const after = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      expect(await after.get('mailferry:test')).toBe('survives');
      expect(await after.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      after.disconnect();
    } finally {
      await redis.destroy();
    }
  });
});

describe('cli runner', () => {
  it('gives the child a clean environment, stdin and a timeout', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailferry-cli-'));
    const script = path.join(dir, 'echo-env.mjs');
    await fs.writeFile(
      script,
      `let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  console.log(JSON.stringify({ args: process.argv.slice(2), keys: Object.keys(process.env).sort(), given: process.env.GIVEN, input }));
  if (process.argv[2] === 'hang') setInterval(() => {}, 1000);
});`,
    );
    process.env['MAILFERRY_LEAK'] = '1';
    try {
      const result = await runNodeScript(script, ['x'], { env: { GIVEN: 'yes' }, input: 'hello' });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ args: ['x'], keys: ['GIVEN', 'HOME', 'PATH'], given: 'yes', input: 'hello' });
      const hung = await runNodeScript(script, ['hang'], { timeoutMs: 300 });
      expect(hung.signal).toBe('SIGKILL');
    } finally {
      delete process.env['MAILFERRY_LEAK'];
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
