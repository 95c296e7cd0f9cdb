import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import type { CorpusMessage } from './corpus.js';

/**
 * Independent IMAP checker built on imapflow directly (never on our own connector), so a
 * bug in the connector cannot hide itself in the test's view of the mailbox.
 */

/** Where an account lives; host defaults to 127.0.0.1. Plain IMAP, no TLS. */
export interface AccountRef {
  port: number;
  user: string;
  password: string;
  host?: string;
}

/** What a migration must preserve of one message. */
export interface MessageFingerprint {
  /** SHA-256 (hex) of the exact message bytes (BODY[]). */
  sha256: string;
  /** Sorted, without \Recent. */
  flags: string[];
  /** INTERNALDATE as ISO 8601 (UTC). */
  internalDate: string;
  /** RFC822.SIZE */
  size: number;
}

/** Folder path (as the server lists it, decoded) to its messages, sorted by sha256 then date. */
export type AccountSnapshot = Map<string, MessageFingerprint[]>;

/** Log in with imapflow (no STARTTLS, no logging); the caller must `logout()`. */
export async function connectImap(account: AccountRef): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: account.host ?? '127.0.0.1',
    port: account.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: account.user, pass: account.password },
    logger: false,
    disableAutoIdle: true,
  });
  // An 'error' event without a listener would crash the test worker instead of failing a test.
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function withImap<T>(account: AccountRef, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = await connectImap(account);
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * APPEND `messages` in order (flags and INTERNALDATE included), creating missing folders.
 * Corpus paths use "/"; they are split and re-joined with the server's own delimiter.
 */
export async function loadMessages(account: AccountRef, messages: CorpusMessage[]): Promise<void> {
  await withImap(account, async (client) => {
    const existing = new Set((await client.list()).map((f) => f.path));
    for (const message of messages) {
      const segments = message.folder.split('/');
      if (!existing.has(message.folder) && message.folder.toUpperCase() !== 'INBOX') {
        await client.mailboxCreate(segments);
        existing.add(message.folder);
      }
      const result = await client.append(segments, message.raw, message.flags, message.internalDate);
      if (result === false) throw new Error(`APPEND to ${message.folder} failed`);
    }
  });
}

/**
 * Fingerprint every selectable folder (empty ones included) with BODY.PEEK[] and EXAMINE,
 * so taking a snapshot changes nothing on the server (no \Seen, no \Recent consumed).
 */
export async function snapshotAccount(account: AccountRef): Promise<AccountSnapshot> {
  return withImap(account, async (client) => {
    const folders = (await client.list())
      // Case-insensitive (RFC 3501 9): GNU Mailutils sends \NoSelect.
      .filter((f) => ![...f.flags].some((flag) => ['\\noselect', '\\nonexistent'].includes(flag.toLowerCase())))
      .map((f) => f.path)
      .sort();
    const snapshot: AccountSnapshot = new Map();
    for (const folder of folders) {
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        const prints: MessageFingerprint[] = [];
        const exists = client.mailbox === false ? 0 : client.mailbox.exists;
        if (exists > 0) {
          // Only hashing inside the loop: issuing IMAP commands here would deadlock imapflow.
          for await (const msg of client.fetch('1:*', { flags: true, internalDate: true, size: true, source: true })) {
            // An unsolicited FETCH (another session, e.g. a running mirror, changed flags or
            // expunged the message) carries no body; a body that is there comes in its own
            // response. A message left out makes the snapshot differ, never pass.
            if (!Buffer.isBuffer(msg.source)) continue;
            prints.push(fingerprint(msg.source, msg.flags, msg.internalDate, msg.size));
          }
        }
        snapshot.set(folder, sortFingerprints(prints));
      } finally {
        lock.release();
      }
    }
    return snapshot;
  });
}

/** Number of messages in `folder` (STATUS MESSAGES). */
export async function countMessages(account: AccountRef, folder: string): Promise<number> {
  return withImap(account, async (client) => {
    const status = await client.status(folder, { messages: true });
    if (status === false || status.messages === undefined) throw new Error(`STATUS ${folder} failed`);
    return status.messages;
  });
}

/**
 * The snapshot that loading `messages` into an empty account should produce: every folder
 * that receives a message, plus INBOX (which always exists). Parent folders created only
 * implicitly (e.g. "Archive" for "Archive/2023") are not selectable and do not appear.
 */
export function expectedSnapshot(messages: CorpusMessage[]): AccountSnapshot {
  const byFolder = new Map<string, MessageFingerprint[]>([['INBOX', []]]);
  for (const m of messages) {
    const list = byFolder.get(m.folder) ?? [];
    list.push({
      sha256: sha256(m.raw),
      flags: normalizeFlags(m.flags),
      internalDate: m.internalDate.toISOString(),
      size: m.raw.length,
    });
    byFolder.set(m.folder, list);
  }
  return new Map([...byFolder.keys()].sort().map((k) => [k, sortFingerprints(byFolder.get(k) ?? [])]));
}

/** Hex SHA-256 of a buffer. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function fingerprint(
  source: Buffer | undefined,
  flags: Set<string> | undefined,
  internalDate: Date | string | undefined,
  size: number | undefined,
): MessageFingerprint {
  if (source === undefined || internalDate === undefined || size === undefined) {
    throw new Error('FETCH response lacks BODY[], INTERNALDATE or RFC822.SIZE');
  }
  return {
    sha256: sha256(source),
    flags: normalizeFlags([...(flags ?? [])]),
    internalDate: new Date(internalDate).toISOString(),
    size,
  };
}

function normalizeFlags(flags: Iterable<string>): string[] {
  return [...new Set(flags)].filter((f) => f.toLowerCase() !== '\\recent').sort();
}

function sortFingerprints(prints: MessageFingerprint[]): MessageFingerprint[] {
  return prints.sort(
    (a, b) =>
      cmp(a.sha256, b.sha256) || cmp(a.internalDate, b.internalDate) || cmp(a.flags.join(' '), b.flags.join(' ')),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
