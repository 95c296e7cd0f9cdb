import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';

/** How an owned process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server process this test process started and is responsible for ending. */
export interface OwnedProcess {
  readonly pid: number;
  /** Settles once the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  running(): boolean;
  /** Send `signal` (default SIGTERM), wait up to `graceMs` (default 10 s), then SIGKILL; resolves after exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
}

/** Options for {@link spawnOwned}. */
export interface SpawnOwnedOptions {
  /** stdout and stderr are appended here (servers must not block on a full pipe nobody reads). */
  logFile: string;
  cwd?: string;
}

interface Entry {
  child: ChildProcess;
  watchdog: ChildProcess;
}

const owned = new Set<Entry>();
let hooked = false;

/**
 * Spawn a long-running server that cannot outlive this process.
 *
 * Two safety nets, because a crashed test must not leave servers behind:
 * - `process.on('exit')` sends SIGTERM to every still-running owned process (covers
 *   normal exits and `process.exit()` after an uncaught error);
 * - a tiny `sh` watchdog per process blocks reading a pipe from us; when this process dies
 *   in any way (even SIGKILL from a test-runner timeout) the pipe hits EOF and the watchdog
 *   sends SIGTERM to that one PID. The watchdog is killed as soon as the server exits, so
 *   it never signals a recycled PID.
 *
 * Only the spawned PIDs are ever signalled. Both handles are unref'd so a forgotten
 * server does not keep the test process alive (the exit hook then ends it).
 */
export async function spawnOwned(command: string, args: string[], options: SpawnOwnedOptions): Promise<OwnedProcess> {
  installExitHook();
  const logFd = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      stdio: ['ignore', logFd, logFd],
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } finally {
    fs.closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`spawnOwned: ${command} has no pid`);
  child.unref();

  const watchdog = spawn('/bin/sh', ['-c', 'read _ignored; kill -TERM "$1" 2>/dev/null', 'mailferry-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  const watchdogStdin = watchdog.stdin as net.Socket | null;
  watchdogStdin?.on('error', () => {
    // The watchdog may already be gone; nothing to do.
  });
  watchdogStdin?.unref();

  const entry: Entry = { child, watchdog };
  owned.add(entry);
  let alive = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      owned.delete(entry);
      disarm(watchdog);
      resolve({ code, signal });
    });
  });

  return {
    pid,
    exited,
    running: () => alive,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ExitInfo> {
      if (!alive) return exited;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const first = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (first === 'timeout' && alive) child.kill('SIGKILL');
      return exited;
    },
  };
}

function disarm(watchdog: ChildProcess): void {
  if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
}

function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const { child, watchdog } of owned) {
      disarm(watchdog);
      try {
        child.kill('SIGTERM');
      } catch {
        // Already gone.
      }
    }
  });
}
