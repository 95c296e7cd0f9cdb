/** Runs the real `mailferry migrate` CLI between two users of a test Dovecot. */
import { runCli, type RunResult } from '../support/cli.js';
import type { DovecotServer } from '../support/dovecot.js';

export interface MigrateRun extends RunResult {
  /** The parsed `--json` summary, when the run printed one. */
  readonly summary?: JsonSummary;
}

export interface JsonSummary {
  readonly runs: ReadonlyArray<{
    readonly state: string;
    readonly exitCode: number;
    readonly error: string | null;
    readonly folders: ReadonlyArray<{
      readonly sourcePath: string;
      readonly targetPath: string;
      readonly outcome: string;
      readonly copied: number;
      readonly alreadyThere: number;
      readonly quarantine: ReadonlyArray<{ readonly uid: number; readonly uidl?: string; readonly reason: string }>;
      readonly deletedFromSource?: number;
    }>;
  }>;
}

export interface MigrateOptions {
  readonly redisUrl?: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly json?: boolean;
  readonly timeoutMs?: number;
  /** The target user lives on this server instead (same password). */
  readonly targetServer?: DovecotServer;
}

export function imapUrl(dovecot: DovecotServer, user: string): string {
  return `imap://${user}@127.0.0.1:${dovecot.imapPort}?tls=off`;
}

export function pop3Url(dovecot: DovecotServer, user: string): string {
  return `pop3://${user}@127.0.0.1:${dovecot.pop3Port}?tls=off`;
}

export async function migrate(dovecot: DovecotServer, source: string, target: string, options: MigrateOptions = {}): Promise<MigrateRun> {
  return migrateUrls(dovecot, imapUrl(dovecot, source), imapUrl(options.targetServer ?? dovecot, target), options);
}

/** `mailferry migrate` between two account URLs whose password is the test Dovecot's. */
export async function migrateUrls(dovecot: DovecotServer, sourceUrl: string, targetUrl: string, options: MigrateOptions = {}): Promise<MigrateRun> {
  const args = [
    'migrate', '--source', sourceUrl, '--target', targetUrl,
    ...(options.redisUrl ? ['--redis', options.redisUrl] : []),
    ...(options.json === false ? [] : ['--json']),
    ...(options.args ?? []),
  ];
  const result = await runCli(args, {
    env: { MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password, ...options.env },
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  let summary: JsonSummary | undefined;
  if (options.json !== false && result.stdout.trim().startsWith('{')) summary = JSON.parse(result.stdout) as JsonSummary;
  return summary ? { ...result, summary } : result;
}

/** Sum of a per-folder count over the (single) run of a summary. */
export function total(run: MigrateRun, field: 'copied' | 'alreadyThere' | 'deletedFromSource'): number {
  return (run.summary?.runs[0]?.folders ?? []).reduce((sum, folder) => sum + (folder[field] ?? 0), 0);
}
