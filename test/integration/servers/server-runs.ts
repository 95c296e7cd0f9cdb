/**
 * Runs of the real CLI between accounts on any of the private test servers (Dovecot,
 * Cyrus, Courier, Mailutils): their URLs, migrate, verify, and what the target holds.
 */
import { runCli, startCli, type RunResult, type StartedCli } from '../../support/cli.js';
import type { AccountRef } from '../../support/imap-account.js';

/** What a run needs of a server: its ports and the password all its users share. */
export interface ServerRef {
  readonly imapPort: number;
  readonly pop3Port: number | undefined;
  readonly password: string;
}

export function imapAt(server: ServerRef, user: string): string {
  return `imap://${user}@127.0.0.1:${server.imapPort}?tls=off`;
}

export function pop3At(server: ServerRef, user: string, query = ''): string {
  if (server.pop3Port === undefined) throw new Error('this server has no POP3 here');
  return `pop3://${user}@127.0.0.1:${server.pop3Port}?tls=off${query}`;
}

export function accountOn(server: ServerRef, user: string): AccountRef {
  return { port: server.imapPort, user, password: server.password };
}

export interface CliRun extends RunResult {
  /** The parsed `--json` output, when there was one. */
  readonly json?: JsonOutput;
}

interface JsonFolder {
  readonly sourcePath: string;
  readonly targetPath: string;
  readonly outcome: string;
  readonly copied: number;
  readonly alreadyThere: number;
  readonly quarantine: ReadonlyArray<{ readonly reason: string }>;
  readonly deletedFromSource?: number;
  readonly changedByTarget?: number;
}

export interface JsonOutput {
  readonly runs?: ReadonlyArray<{ readonly state: string; readonly exitCode: number; readonly error: string | null; readonly folders: readonly JsonFolder[] }>;
}

function env(source: ServerRef, target: ServerRef): Record<string, string> {
  return { MAILFERRY_SOURCE_PASSWORD: source.password, MAILFERRY_TARGET_PASSWORD: target.password };
}

function parsed(result: RunResult): CliRun {
  const text = result.stdout.trim();
  return text.startsWith('{') ? { ...result, json: JSON.parse(text) as JsonOutput } : result;
}

export interface RunArgs {
  readonly redisUrl: string;
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
}

/** `mailferry migrate --json` from one account URL to another. */
export async function migrateBetween(source: ServerRef, sourceUrl: string, target: ServerRef, targetUrl: string, run: RunArgs): Promise<CliRun> {
  return parsed(await runCli(
    ['migrate', '--source', sourceUrl, '--target', targetUrl, '--redis', run.redisUrl, '--json', ...(run.args ?? [])],
    { env: env(source, target), timeoutMs: run.timeoutMs ?? 120_000 },
  ));
}

/** The same, started: the test may kill it. */
export function startMigrate(source: ServerRef, sourceUrl: string, target: ServerRef, targetUrl: string, run: RunArgs & { extraEnv?: Record<string, string> }): StartedCli {
  return startCli(
    ['migrate', '--source', sourceUrl, '--target', targetUrl, '--redis', run.redisUrl, ...(run.args ?? [])],
    { env: { ...env(source, target), ...run.extraEnv }, timeoutMs: run.timeoutMs ?? 120_000 },
  );
}

/** `mailferry mirror --once` from one account URL to another. */
export function mirrorOnceBetween(source: ServerRef, sourceUrl: string, target: ServerRef, targetUrl: string, redisUrl: string): Promise<RunResult> {
  return runCli(['mirror', '--once', '--source', sourceUrl, '--target', targetUrl, '--redis', redisUrl], { env: env(source, target), timeoutMs: 120_000 });
}

/** `mailferry verify` (text output unless `args` asks for --json). */
export async function verifyBetween(source: ServerRef, sourceUrl: string, target: ServerRef, targetUrl: string, args: readonly string[] = []): Promise<RunResult> {
  return runCli(['verify', '--source', sourceUrl, '--target', targetUrl, ...args], { env: env(source, target), timeoutMs: 240_000 });
}

/** Sum of a per-folder count over the run of `--json` output. */
export function totalOf(run: CliRun, field: 'copied' | 'alreadyThere' | 'deletedFromSource' | 'changedByTarget'): number {
  return (run.json?.runs?.[0]?.folders ?? []).reduce((sum, folder) => sum + (folder[field] ?? 0), 0);
}
