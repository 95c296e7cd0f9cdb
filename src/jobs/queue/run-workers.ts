/**
 * Starts BullMQ workers for the given queues and stops them gracefully: on shutdown the
 * abort signal makes folder jobs stop at a page boundary (their job goes back to the
 * queue, the checkpoint already holds every committed page), then `worker.close()` waits
 * for active jobs to end.
 */
import { DelayedError, FlowProducer, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { processFinish } from './finish-processor.js';
import { processFolder } from '../copy/folder-processor.js';
import { processPlan } from '../plan/plan-processor.js';
import { JOB_FINISH, JOB_FOLDER, JOB_PLAN, JOB_TICK } from './queue.js';
import { errorClassOf, type JobOutcome, type Telemetry } from '../telemetry.js';
import { processTick } from './tick-processor.js';
import type { WorkerContext } from '../worker-context.js';

export interface WorkerOptions {
  readonly connection: ConnectionOptions;
  readonly prefix: string;
  /** Jobs at once per queue; a folder job holds one source and one target connection. @defaultValue 4 */
  readonly concurrency: number;
}

export interface RunningWorkers {
  /** True while every worker takes jobs (false once closed, or while one lost its connection). */
  isRunning(): boolean;
  close(): Promise<void>;
}

export function startWorkers(ctx: WorkerContext, queueNames: readonly string[], options: WorkerOptions): RunningWorkers {
  const flows = new FlowProducer({ connection: options.connection, prefix: options.prefix });
  const workers = queueNames.map((queueName) => {
    const worker = new Worker(queueName, (job: Job, token?: string) => measured(ctx.telemetry, job, () => {
      switch (job.name) {
        case JOB_PLAN: return processPlan(ctx, flows, job, token);
        case JOB_FOLDER: return processFolder(ctx, job, token);
        case JOB_FINISH: return processFinish(ctx, job);
        case JOB_TICK: return processTick(ctx, job);
        default: throw new Error(`unknown job name "${job.name}"`);
      }
    }), {
      connection: options.connection, prefix: options.prefix, concurrency: options.concurrency,
      // A killed worker's jobs go back to the queue once their lock expires: 15 s rather
      // than BullMQ's 30 s, so a restarted daemon resumes its mirror sooner (the lock is
      // renewed every 7.5 s while a job runs).
      lockDuration: 15_000, stalledInterval: 10_000,
    });
    // Failures are logged by the processors with their reason; this only keeps the
    // worker's own connection errors from going unnoticed.
    worker.on('error', (error) => ctx.log.warn({ err: error }, 'queue worker error'));
    return worker;
  });
  let closed = false;
  return {
    isRunning: () => !closed && workers.every((worker) => worker.isRunning()),
    async close() {
      closed = true;
      await Promise.all(workers.map((worker) => worker.close()));
      await flows.close();
      await ctx.trigger.close();
      await ctx.connections.close();
    },
  };
}

const KNOWN_JOBS = new Set([JOB_PLAN, JOB_FOLDER, JOB_FINISH, JOB_TICK]);

/** Runs one attempt of a job, telling telemetry how long it took and how it ended. */
async function measured(telemetry: Telemetry | undefined, job: Job, run: () => Promise<unknown>): Promise<unknown> {
  if (telemetry === undefined) return run();
  const name = KNOWN_JOBS.has(job.name) ? job.name : 'unknown';
  if (job.attemptsMade > 0) telemetry.jobRetried(name);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const value = await run();
    telemetry.jobFinished(name, 'completed', seconds());
    return value;
  } catch (error) {
    telemetry.jobFinished(name, outcomeOf(error, job), seconds(), errorClassOf(error));
    throw error;
  }
}

function outcomeOf(error: unknown, job: Job): JobOutcome {
  if (error instanceof DelayedError) return 'delayed';
  if (error instanceof UnrecoverableError) return 'failed';
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1) ? 'failed' : 'retry';
}
