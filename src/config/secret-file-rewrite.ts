/**
 * Rewrites a secret file in place: a rotated OAuth refresh token goes back to the file it
 * came from, so the next start uses it.
 *
 * Nobody ever reads a torn or empty file, in this process or another one: the new text goes
 * to a temporary file in the same directory, is flushed to disk (fsync) and renamed over
 * the file, which is atomic within a file system; the directory is flushed too, so the
 * rename survives a power cut. The temporary file is created private (0600), then gets the
 * file's mode and, where this process may set it, its owner and group.
 *
 * Writes to one file are serialized in this process, each reading the file anew so that
 * what else it holds now (a client secret changed meanwhile) is kept. Between processes
 * nothing is locked: every rename installs a complete file and the last one wins, which is
 * enough for refresh tokens (see README, "Rotated refresh tokens").
 *
 * A symbolic link is followed: the file it points to is replaced, the link stays. A file
 * without any write permission bit is read-only on purpose and left alone, also by root
 * (for whom the permission bits would not stop the rename).
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { access, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A secret file that could not be rewritten; the message names the file and the reason, never the secret. */
export class SecretFileWriteError extends Error {
  constructor(readonly file: string, readonly code: string, reason: string) {
    super(`cannot write ${file}: ${reason}`);
    this.name = 'SecretFileWriteError';
  }
}

/** The mode, owner and group a replacement keeps. */
export interface FileOwnership {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * The tail of the writes queued per file in this process, by absolute path as given: queued
 * at once, so rewrites happen in the order they were asked for (two different links to one
 * file are not ordered between them, but each rename is still atomic).
 */
const queues = new Map<string, Promise<unknown>>();

/**
 * Replaces `file`'s text with `rewrite(current text)` atomically; 'unchanged' (nothing
 * written) when that is the text already there. Throws SecretFileWriteError, or what
 * `rewrite` throws.
 */
export async function rewriteSecretFile(file: string, rewrite: (current: string) => string): Promise<'written' | 'unchanged'> {
  const key = resolve(file);
  const previous = queues.get(key) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => rewriteNow(file, rewrite));
  queues.set(key, mine);
  try {
    return await mine;
  } finally {
    if (queues.get(key) === mine) queues.delete(key);
  }
}

async function rewriteNow(file: string, rewrite: (current: string) => string): Promise<'written' | 'unchanged'> {
  const real = await failingAs(file, () => realpath(file));
  const [current, stats] = await failingAs(file, () => Promise.all([readFile(real, 'utf8'), stat(real)]));
  const next = rewrite(current);
  if (next === current) return 'unchanged';
  await checkWritable(file, real, stats);
  await replaceFileAtomically(real, next, { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid });
  return 'written';
}

async function checkWritable(file: string, real: string, stats: Stats): Promise<void> {
  if ((stats.mode & 0o222) === 0) throw new SecretFileWriteError(file, 'EACCES', `the file is read-only (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')})`);
  await failingAs(file, () => access(real, constants.W_OK));
}

/**
 * Writes `text` to a new file next to `target` and renames it over `target`: readers see
 * the old file or the new one, never a mix. No temporary file is left behind, whatever
 * fails. Unserialized: two calls at once both succeed, the later rename wins.
 */
export async function replaceFileAtomically(target: string, text: string, like: FileOwnership): Promise<void> {
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await failingAs(target, async () => {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.chown(like.uid, like.gid).catch(ignoreWhenNotAllowed);
        // After chown: changing the owner clears set-user/group-id bits.
        await handle.chmod(like.mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, target);
    });
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(target));
}

/** Only root may give a file away; anyone else keeps the file as their own (as an editor would). */
function ignoreWhenNotAllowed(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPERM' && error.code !== 'EINVAL') throw error;
}

/** Makes the rename durable. Best effort: some file systems cannot sync a directory, and the file itself is complete either way. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename happened; only its durability across a power cut is less certain.
  }
}

/** Runs `step`, turning a file system error into a SecretFileWriteError naming `file` and the error code. */
async function failingAs<T>(file: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof SecretFileWriteError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new SecretFileWriteError(file, code, REASONS[code] ?? code);
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EROFS: 'the file system is read-only (EROFS)',
  ENOSPC: 'no space left on the device (ENOSPC)',
  EDQUOT: 'the disk quota is exceeded (EDQUOT)',
  ENOENT: 'the file or its directory is gone (ENOENT)',
};
