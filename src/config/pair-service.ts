/**
 * How the daemon serves a pair over time: a cron schedule of runs, and for a mirror the
 * folders watched for push (IMAP IDLE) and the interval of full passes that catch what
 * no watcher saw. A one-shot `migrate` ignores all of it.
 */
import { CronExpressionParser } from 'cron-parser';
import { ConfigError } from './config-error.js';
import type { PairMode } from './sync-modes.js';

export interface PairService {
  /** Cron pattern (5 or 6 fields, server time zone) of scheduled runs. */
  readonly schedule?: string;
  /** Mirror: a full pass at least this often, in seconds. */
  readonly pollSeconds?: number;
  /** Mirror: source folders (globs, as in folder rules) watched for changes as they happen. */
  readonly watch: readonly string[];
}

/** A daily backup at 02:00 unless the pair says otherwise. */
export const DEFAULT_BACKUP_SCHEDULE = '0 2 * * *';
/** A mirror re-checks every folder once a minute besides what its watchers report. */
export const DEFAULT_MIRROR_POLL_SECONDS = 60;
export const DEFAULT_MIRROR_WATCH: readonly string[] = ['INBOX'];

export function checkCron(pattern: string, what: string): string {
  try {
    CronExpressionParser.parse(pattern);
  } catch (error) {
    throw new ConfigError(`${what}: "${pattern}" is not a cron pattern (${(error as Error).message}); e.g. "0 2 * * *" is every day at 02:00`);
  }
  return pattern;
}

export function pairService(mode: PairMode, given: { schedule?: string | undefined; pollSeconds?: number | undefined; watch?: readonly string[] | undefined }, what: string): PairService {
  const schedule = given.schedule ?? (mode === 'backup' ? DEFAULT_BACKUP_SCHEDULE : undefined);
  if (mode !== 'mirror' && (given.pollSeconds !== undefined || given.watch !== undefined)) {
    throw new ConfigError(`${what}: watch and pollSeconds only apply to mode: mirror`);
  }
  return {
    ...(schedule === undefined ? {} : { schedule: checkCron(schedule, `${what}.schedule`) }),
    ...(mode === 'mirror' ? { pollSeconds: given.pollSeconds ?? DEFAULT_MIRROR_POLL_SECONDS } : {}),
    watch: mode === 'mirror' ? given.watch ?? DEFAULT_MIRROR_WATCH : [],
  };
}
