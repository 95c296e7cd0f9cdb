/**
 * Reports each run of the served pairs once it has ended: a line on stdout for `mirror`,
 * a log record for `daemon`. Polls the run index (cheap: one ZREVRANGE and a few HGETALLs).
 */
import type { Session } from './session.js';
import { oneLineSummary, type RunOutcome } from './summary.js';

const POLL_MS = 500;

export interface RunFeed {
  stop(): void;
}

export function startRunFeed(session: Session, pairIds: ReadonlySet<string>, report: (outcome: RunOutcome, line: string) => void): RunFeed {
  const seen = new Set<string>();
  let first = true;
  let stopped = false;
  const tick = async () => {
    const runs = await session.runs.recent(50);
    for (const run of runs.reverse()) {
      if (!pairIds.has(run.pairId) || run.state === 'running' || seen.has(run.runId)) continue;
      seen.add(run.runId);
      // Runs that ended before we started are history, not news.
      if (first) continue;
      const outcome = { run, folders: await session.runs.folderResults(run.runId) };
      report(outcome, oneLineSummary(outcome));
    }
    first = false;
  };
  const loop = async () => {
    while (!stopped) {
      await tick().catch((error: unknown) => session.log.debug({ err: error }, 'run feed could not read runs'));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref());
    }
  };
  void loop();
  return { stop: () => { stopped = true; } };
}
