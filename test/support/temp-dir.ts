import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Set MAILFERRY_TEST_KEEP_DIRS=1 to keep server directories (logs, mail stores) for debugging. */
const keep = process.env['MAILFERRY_TEST_KEEP_DIRS'] === '1';
/** Every harness directory name starts with this, so the sweep never touches anything else. */
const PREFIX = 'mailferry-harness-';
const OWNER_FILE = '.owner-pid';
const live = new Set<string>();
let hooked = false;
let swept = false;

/**
 * Create a private temp directory (mode 0755: Dovecot's unprivileged helpers must traverse
 * it). It is removed by {@link removeTempDir}, at process exit, or, because test runners end
 * workers with SIGTERM (no 'exit' event), by the next run's sweep once its owner PID is gone.
 */
export async function makeTempDir(kind: string): Promise<string> {
  if (!swept) {
    swept = true;
    await sweepStaleDirs();
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `${PREFIX}${kind}-`));
  await fs.promises.chmod(dir, 0o755);
  await fs.promises.writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  live.add(dir);
  if (!hooked) {
    hooked = true;
    // Synchronous by necessity: 'exit' listeners cannot await.
    process.once('exit', () => {
      for (const d of live) removeSync(d);
    });
  }
  return dir;
}

/** Remove a directory made by {@link makeTempDir} now (unless MAILFERRY_TEST_KEEP_DIRS=1). */
export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  // Retries: a server stopping may still write a file while its directory goes (ENOTEMPTY).
  if (!keep) await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** Delete harness dirs whose owning process no longer exists. */
async function sweepStaleDirs(): Promise<void> {
  if (keep) return;
  const tmp = os.tmpdir();
  const names = (await fs.promises.readdir(tmp)).filter((n) => n.startsWith(PREFIX));
  await Promise.all(
    names.map(async (name) => {
      const dir = path.join(tmp, name);
      const owner = Number((await fs.promises.readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => '')).trim());
      // No owner file yet: another process may be between mkdtemp and writeFile; leave it.
      if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) return;
      await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => {});
    }),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeSync(dir: string): void {
  if (keep) return;
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // Best effort during exit; a leftover temp dir is not worth a crash report.
  }
}
