/**
 * A job the server sent away for a while ([THROTTLED], POP3 [IN-USE] or [LOGIN-DELAY]) is
 * delayed in the queue, where nobody watching the run can see it. The reason and the time
 * it ends are noted on the run, so the progress line says what is being waited for and
 * until when instead of standing still at 0 of 0.
 */
import { isConnectorError } from '../../connectors/connector-error.js';
import type { RunStore } from '../../state/index.js';
import { DEFAULT_LATER_MS } from './retry-policy.js';


export async function noteWaiting(runs: RunStore, runId: string, error: unknown, now = Date.now()): Promise<void> {
  if (!isConnectorError(error) || error.retry !== 'later') return;
  const until = new Date(now + (error.retryAfterMs ?? DEFAULT_LATER_MS)).toISOString();
  await runs.setWaiting(runId, { reason: error.message, until });
}
