/**
 * How a failure becomes queue behaviour (research: reliability §0 rule 7):
 * - server asked us to wait (throttling) or a folder is busy: delay the job, no attempt burned;
 * - permanent for the account (auth, TLS, quota) or bad input: fail now, no retry storm;
 * - anything else: throw, BullMQ retries with backoff.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { isConnectorError } from '../../connectors/connector-error.js';
import { ConfigError } from '../../config/index.js';
import { isMappingError } from '../../mapping/index.js';
import { LeaseHeldError } from '../../state/index.js';
import { InterruptedError } from './interrupted-error.js';

/** How long a "later" answer that names no time is waited for (run-waiting.ts and verify say the same). */
export const DEFAULT_LATER_MS = 60_000;

/** How long to wait before looking at a folder another worker holds. */
const BUSY_DELAY_MS = 5000;

/** True when this failure ends the job for good: the caller then records the failure. */
export function isFinalFailure(error: unknown, job: Job): boolean {
  if (error instanceof InterruptedError || error instanceof LeaseHeldError) return false;
  if (isConnectorError(error) && error.retry === 'later') return false;
  if (isPermanent(error)) return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Rethrows `error` in the form that gives the queue behaviour described above. */
export async function rethrowForQueue(error: unknown, job: Job, token: string | undefined): Promise<never> {
  if (error instanceof InterruptedError) {
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError(error.message);
  }
  if (error instanceof LeaseHeldError) {
    await job.moveToDelayed(Date.now() + BUSY_DELAY_MS, token);
    throw new DelayedError(error.message);
  }
  if (isConnectorError(error) && error.retry === 'later') {
    await job.moveToDelayed(Date.now() + (error.retryAfterMs ?? DEFAULT_LATER_MS), token);
    throw new DelayedError(error.message);
  }
  if (isPermanent(error)) throw new UnrecoverableError((error as Error).message);
  throw error;
}

function isPermanent(error: unknown): boolean {
  if (error instanceof ConfigError || isMappingError(error)) return true;
  return isConnectorError(error) && error.retry === 'never';
}
