/**
 * Whether a process on this host no longer exists: signal 0 checks without signalling.
 * ESRCH is "no such process"; EPERM means it exists under another user, so it is alive.
 * Used to take over a lease or a lock file left by a process that was killed.
 */
export function processGone(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
