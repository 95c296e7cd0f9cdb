/**
 * Puts many messages into a test Dovecot user's INBOX at once by writing Maildir files
 * (what a delivery agent does), instead of one IMAP APPEND per message: a 10,000-message
 * POP box is ready in about a second.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DovecotServer } from './dovecot.js';
import { ensureMailUsers } from './system-users.js';

export async function fillInbox(dovecot: DovecotServer, user: string, messages: readonly Buffer[]): Promise<void> {
  const owner = await ensureMailUsers();
  const home = path.join(dovecot.dir, 'mail', user);
  const inbox = path.join(home, 'Maildir', 'INBOX');
  const dirs = [home, path.join(home, 'Maildir'), inbox, ...['cur', 'new', 'tmp'].map((d) => path.join(inbox, d))];
  for (const dir of dirs) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chown(dir, owner.uid, owner.gid);
  }
  const stamp = Math.floor(Date.now() / 1000);
  // Names sort in message order: Dovecot assigns UIDs (and so POP3 numbers) by them.
  for (const [i, raw] of messages.entries()) {
    const file = path.join(inbox, 'new', `${stamp}.M${String(i).padStart(7, '0')}P${process.pid}.mailferry-test`);
    await fs.writeFile(file, raw, { mode: 0o600 });
    await fs.chown(file, owner.uid, owner.gid);
  }
}

/** A small distinct message with a Received: date, as a POP box holds by the thousand. */
export function smallMessage(n: number): Buffer {
  const date = new Date(Date.UTC(2020, 0, 1) + n * 60_000).toUTCString().replace('GMT', '+0000');
  return Buffer.from([
    `Received: from mx.example.org by pop.example.net; ${date}`,
    'From: sender@example.org',
    'To: alice@example.net',
    `Subject: message ${n}`,
    `Message-ID: <${n}@example.org>`,
    '',
    `Body of message ${n}.`,
    '',
  ].join('\r\n'));
}
