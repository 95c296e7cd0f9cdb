/**
 * Queue names, job names and payloads. Payloads hold ids and paths only: never
 * credentials, never message bytes (BullMQ stores job data in clear text).
 */
import type { JobsOptions } from 'bullmq';

/**
 * A one-liner (`migrate` or `mirror` with --source/--target) has a queue of its own, so
 * it never picks up another pair's jobs it could not authenticate for.
 */
export function queueNameOf(pairId: string): string {
  return `pair-${pairId}`;
}

/**
 * Pairs from a config file share one queue: any number of `worker` processes with that
 * config (and its secrets) serve every pair, and a 500-mailbox batch spreads over them.
 */
export const SHARED_QUEUE = 'work';

/** The queue a run's jobs go to. */
export function queueOfRun(run: { readonly pairId: string; readonly queue?: string }): string {
  return run.queue ?? queueNameOf(run.pairId);
}

export const JOB_PLAN = 'plan';
export const JOB_FOLDER = 'folder';
export const JOB_FINISH = 'finish';
/** A schedule's tick: asks for a run of the pair (see RunTrigger). */
export const JOB_TICK = 'tick';

export interface TickJobData {
  readonly pairId: string;
}

export interface PlanJobData {
  readonly runId: string;
}

export interface FolderJobData {
  readonly runId: string;
  readonly sourcePath: string;
  readonly targetPath: string;
  /** The target folder did not exist when the run was planned: the folder job creates it. */
  readonly createTarget?: boolean;
}

export interface FinishJobData {
  readonly runId: string;
}

/** Transient failures retry with exponential backoff: 2 s, 4 s, 8 s, 16 s. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/** BullMQ job ids must not contain ":" and must not be all digits. */
export function jobIdOf(runId: string, kind: string, fid?: string): string {
  return fid === undefined ? `${runId}.${kind}` : `${runId}.${kind}.${fid}`;
}
