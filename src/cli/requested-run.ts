/**
 * Asks for a run of a pair and waits for the run that takes the request: the one it
 * started, or, when a run was going, the next one (started by whichever process ends
 * the current run). A token ties the request to its run, so a run that ended just
 * before the request is never taken for it.
 */
import { randomBytes } from 'node:crypto';
import { ALL_FOLDERS } from '../jobs/index.js';
import type { Session } from './session.js';
import type { RunOutcome } from './summary.js';

const POLL_MS = 200;

export interface RunRequest {
  readonly pairId: string;
  readonly token: string;
  /** The run the request started itself; undefined when it waits for the run in progress. */
  readonly started?: string;
}

export async function requestRun(session: Session, pairId: string): Promise<RunRequest> {
  const token = randomBytes(8).toString('hex');
  const started = await session.trigger.request(pairId, ALL_FOLDERS, token);
  return started === undefined ? { pairId, token } : { pairId, token, started };
}

/** The run that took the request, once it has ended; undefined when interrupted first. */
export async function waitForRequestedRun(session: Session, request: RunRequest): Promise<RunOutcome | undefined> {
  let runId = request.started;
  while (!session.signal.aborted) {
    runId ??= await session.trigger.runOfRequest(request.token);
    const run = runId === undefined ? null : await session.runs.get(runId);
    if (run && run.state !== 'running') return { run, folders: await session.runs.folderResults(run.runId) };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}
