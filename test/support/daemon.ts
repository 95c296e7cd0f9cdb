/**
 * `mailferry daemon --config FILE` as a child of the test: started through the real CLI,
 * its stderr (pino JSON lines) parsed as it comes, stopped with a signal. Every daemon
 * still running is in `runningDaemons()`, for an afterAll to kill what a failed test left.
 */
import { startCli, type RunResult, type StartedCli } from './cli.js';

/** A running daemon with its stderr parsed as it comes. */
export interface Daemon {
  readonly cli: StartedCli;
  /** The log records so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** All of stderr so far (log records and anything else, e.g. a crash trace). */
  readonly stderr: () => string;
}

const running = new Set<Daemon>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; after `ms` throws with `what`. */
export async function until(check: () => Promise<boolean> | boolean, ms: number, what: string, stepMs = 250): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await sleep(stepMs);
  }
}

export function startDaemon(config: string, options: { readonly env: Record<string, string>; readonly timeoutMs?: number }): Daemon {
  const cli = startCli(['daemon', '--config', config], { env: options.env, timeoutMs: options.timeoutMs ?? 140_000 });
  const logs: Array<Record<string, unknown>> = [];
  let text = '';
  let partial = '';
  cli.child.stderr.on('data', (d: string | Buffer) => {
    const chunk = String(d);
    text += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log record (e.g. a crash trace): kept in stderr() only.
      }
    }
  });
  const daemon = { cli, logs, stderr: () => text };
  running.add(daemon);
  return daemon;
}

/** Resolves once the daemon logged 'daemon started'; fails if it exited instead. */
export async function waitStarted(daemon: Daemon): Promise<void> {
  await until(() => daemon.logs.some((l) => l['msg'] === 'daemon started') || daemon.cli.child.exitCode !== null, 30_000, 'daemon started');
  if (daemon.cli.child.exitCode !== null) throw new Error(`the daemon exited with ${daemon.cli.child.exitCode}:\n${daemon.stderr().slice(-3000)}`);
}

export async function stopDaemon(daemon: Daemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<RunResult> {
  if (daemon.cli.child.exitCode === null && daemon.cli.child.signalCode === null) daemon.cli.child.kill(signal);
  const result = await daemon.cli.result;
  running.delete(daemon);
  return result;
}

/** SIGKILLs every daemon still running and waits for them (afterAll). */
export async function killRunningDaemons(): Promise<void> {
  await Promise.all([...running].map((daemon) => stopDaemon(daemon, 'SIGKILL')));
}
