/** `mailferry status [--json]`: recent runs and their per-folder progress, from Redis. */
import { openSession } from '../session.js';

export interface StatusOptions {
  readonly json: boolean;
  readonly limit: number;
  readonly redis?: string;
  readonly stateDir?: string;
}

export async function status(options: StatusOptions): Promise<number> {
  const session = await openSession({
    interactive: false,
    ...(options.redis === undefined ? {} : { redis: options.redis }),
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
  });
  try {
    const runs = await session.runs.recent(options.limit);
    const detailed = await Promise.all(runs.map(async (run) => {
      const progress = await session.runs.progress(run.runId);
      const results = await session.runs.folderResults(run.runId);
      return {
        runId: run.runId,
        pair: run.pairName,
        state: run.state,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt ?? null,
        error: run.error ?? null,
        messages: { done: progress.reduce((s, p) => s + p.done, 0), total: progress.reduce((s, p) => s + p.total, 0) },
        copied: results.reduce((s, r) => s + r.copied, 0),
        quarantined: results.reduce((s, r) => s + r.quarantine.length, 0),
        folders: progress.map((p) => ({ ...p, result: results.find((r) => r.sourcePath === p.sourcePath) ?? null })),
      };
    }));
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ runs: detailed }, null, 2)}\n`);
    } else if (detailed.length === 0) {
      process.stdout.write('No runs recorded yet.\n');
    } else {
      for (const run of detailed) {
        process.stdout.write(`${run.runId}  ${run.state.padEnd(10)} ${run.startedAt}  ${run.messages.done}/${run.messages.total} messages  copied ${run.copied}  quarantined ${run.quarantined}  ${run.pair}${run.error ? `  (${run.error})` : ''}\n`);
      }
    }
    return 0;
  } finally {
    await session.close();
  }
}
