/**
 * Dovecot's dotlock: `<file>.lock` created with O_EXCL guards `<file>`. The new content is
 * written into the lock file and renamed over `<file>`, which replaces the file and drops
 * the lock in one atomic step (Dovecot's file_dotlock_replace). A lock older than the
 * stale timeout is taken over, as Dovecot does after a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errnoOf } from './maildir-errors.js';

/** Dovecot's stale timeout for dovecot-uidlist.lock (MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT). */
const STALE_MS = 120_000;
/** How long to wait for a live lock before giving up. */
const WAIT_MS = 30_000;

export class Dotlock {
  private constructor(
    private readonly file: string,
    private readonly handle: fs.promises.FileHandle,
  ) {}

  static async acquire(file: string): Promise<Dotlock> {
    const lock = `${file}.lock`;
    const deadline = Date.now() + WAIT_MS;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      try {
        return new Dotlock(file, await fs.promises.open(lock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw error;
      }
      const stat = await fs.promises.stat(lock).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > STALE_MS) {
        await fs.promises.unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        // EAGAIN: a busy lock is transient (maildir-errors maps it to retry 'now').
        throw Object.assign(new Error(`${lock} is held by another process for more than ${WAIT_MS / 1000} s`), { code: 'EAGAIN' });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Writes `content` as the new file (durably) and releases the lock. */
  async replace(content: string): Promise<void> {
    try {
      await this.handle.writeFile(content);
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    await fs.promises.rename(`${this.file}.lock`, this.file);
    await syncDir(path.dirname(this.file));
  }

  /** Releases the lock, leaving the file as it was. */
  async release(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.promises.unlink(`${this.file}.lock`).catch(() => undefined);
  }
}

/** fsync of a directory: makes a rename or a create in it durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
