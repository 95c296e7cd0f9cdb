/** What every processor needs, wired once by the CLI (the composition root). */
import type { RedisConnection } from '../state/index.js';
import type { Logger } from 'pino';
import type { RunSpec } from '../config/index.js';
import type { RunRecord, RunStore, StateKeys } from '../state/index.js';
import type { ByteBudget } from './copy/byte-budget.js';
import type { ConnectionPool } from './connections/connection-pool.js';
import type { RunTrigger } from './queue/run-trigger.js';
import type { Telemetry } from './telemetry.js';

export interface WorkerContext {
  /** Redis for state (not BullMQ's blocking connection). */
  readonly redis: RedisConnection;
  readonly keys: StateKeys;
  readonly runs: RunStore;
  /** Connected connectors shared by the jobs of this process. */
  readonly connections: ConnectionPool;
  readonly log: Logger;
  /** Aborted on SIGTERM/SIGINT: folder jobs stop at the next page boundary. */
  readonly signal: AbortSignal;
  /** Bound on message bytes held in memory by all jobs of this process. */
  readonly budget: ByteBudget;
  /** Starts runs of registered pairs (schedule ticks, the run asked for while one was going). */
  readonly trigger: RunTrigger;
  /** Counts for metrics; none when nobody collects them. */
  readonly telemetry?: Telemetry;
}

/** The run of a job, or null when the run is gone or a newer run of the pair superseded it. */
export async function currentRun(ctx: WorkerContext, runId: string): Promise<{ run: RunRecord; spec: RunSpec } | null> {
  const run = await ctx.runs.get(runId);
  if (!run || !(await ctx.runs.isCurrent(run))) return null;
  return { run, spec: JSON.parse(run.spec) as RunSpec };
}
