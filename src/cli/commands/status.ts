/**
 * `mailferry status [--json]`: every registered pair (mode, schedule, its current or last
 * run) and the recent runs with their per-folder progress, from Redis.
 */
import type { RegisteredPair } from '../../state/index.js';
import type { RunRecord } from '../../state/index.js';
import { openSession, type Session } from '../session.js';

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
    const detailed = await Promise.all(runs.map((run) => describeRun(session, run)));
    const pairs = await Promise.all((await session.registry.all()).map((pair) => describePair(session, pair)));
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ pairs, runs: detailed }, null, 2)}\n`);
      return 0;
    }
    if (pairs.length > 0) {
      process.stdout.write('Pairs:\n');
      for (const p of pairs) {
        const run = p.current ?? p.last;
        const what = run ? `${run.state} ${run.messages.done}/${run.messages.total} (copied ${run.copied}${run.quarantined ? `, quarantined ${run.quarantined}` : ''}) ${run.finishedAt ?? `since ${run.startedAt}`}` : 'no run yet';
        process.stdout.write(`  ${p.pair.padEnd(20)} ${p.mode.padEnd(8)} ${(p.schedule ?? '').padEnd(14)} ${what}${run?.error ? `  (${run.error})` : ''}\n`);
      }
      process.stdout.write('\n');
    }
    if (detailed.length === 0) {
      process.stdout.write('No runs recorded yet.\n');
    } else {
      process.stdout.write('Recent runs:\n');
      for (const run of detailed) {
        process.stdout.write(`  ${run.runId}  ${run.state.padEnd(10)} ${run.startedAt}  ${run.messages.done}/${run.messages.total} messages  copied ${run.copied}  quarantined ${run.quarantined}  ${run.pair}${run.error ? `  (${run.error})` : ''}\n`);
      }
    }
    return 0;
  } finally {
    await session.close();
  }
}

async function describeRun(session: Session, run: RunRecord) {
  const progress = await session.runs.progress(run.runId);
  const results = await session.runs.folderResults(run.runId);
  return {
    runId: run.runId,
    pair: run.pairName,
    pairId: run.pairId,
    state: run.state,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    error: run.error ?? null,
    messages: { done: progress.reduce((s, p) => s + p.done, 0), total: progress.reduce((s, p) => s + p.total, 0) },
    copied: results.reduce((s, r) => s + r.copied, 0),
    quarantined: results.reduce((s, r) => s + r.quarantine.length, 0),
    // Every folder with progress or a result: a folder with nothing to copy (a mirror's
    // flags-only pass, an unchanged folder) has a result but never reported progress.
    folders: [...new Set([...progress.map((p) => p.sourcePath), ...results.map((r) => r.sourcePath)])].sort().map((sourcePath) => {
      const p = progress.find((x) => x.sourcePath === sourcePath);
      return { sourcePath, done: p?.done ?? 0, total: p?.total ?? 0, result: results.find((r) => r.sourcePath === sourcePath) ?? null };
    }),
  };
}

/** The pair's current run (if one is going) and its last finished one. */
async function describePair(session: Session, pair: RegisteredPair) {
  const currentId = await session.runs.currentRunId(pair.pairId);
  const current = currentId ? await session.runs.get(currentId) : null;
  const running = current?.state === 'running' ? await describeRun(session, current) : null;
  const last = current && current.state !== 'running' ? await describeRun(session, current) : null;
  const schedule = pair.service.schedule ?? (pair.service.pollSeconds === undefined ? undefined : `every ${pair.service.pollSeconds} s`);
  return {
    pair: pair.spec.pairName,
    pairId: pair.pairId,
    mode: pair.spec.mode ?? 'migrate',
    ...(schedule === undefined ? {} : { schedule }),
    watch: pair.service.watch,
    current: running,
    last,
  };
}
