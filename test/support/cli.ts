import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file is test/support/cli.ts). */
export const repoRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Options for {@link runCli} and {@link runNodeScript}. */
export interface RunOptions {
  /** Added to the clean environment (PATH and HOME only). */
  env?: Record<string, string>;
  /** SIGKILL the child after this long (default 60 s); the result then has signal SIGKILL. */
  timeoutMs?: number;
  /** Written to stdin; stdin is closed either way so a prompt cannot hang the test. */
  input?: string;
  cwd?: string;
}

/** Exit status and output of a finished child. */
export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/mailferry.js ...args` from the repo root with a clean environment. */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runNodeScript(path.join(repoRoot, 'bin', 'mailferry.js'), args, options);
}

/** A running child: its process (to signal it) and its eventual result. */
export interface StartedCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly result: Promise<RunResult>;
}

/** Like {@link runCli}, but returns at once so a test can signal the child while it works. */
export function startCli(args: string[], options: RunOptions = {}): StartedCli {
  return startNodeScript(path.join(repoRoot, 'bin', 'mailferry.js'), args, options);
}

/**
 * Run a Node script as a child with only PATH, HOME and `options.env` in its environment,
 * so the developer's MAILFERRY_* (or REDIS_URL, NODE_OPTIONS, ...) cannot change a result.
 */
export function runNodeScript(script: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return startNodeScript(script, args, options).result;
}

function startNodeScript(script: string, args: string[], options: RunOptions): StartedCli {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env['HOME'] ?? os.homedir(),
    ...options.env,
  };
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd ?? repoRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const result = new Promise<RunResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {
      // The child may exit without reading its input.
    });
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, result };
}
