/**
 * `mailferry mirror --source URL --target URL`: keeps the target following the source in
 * the foreground, until SIGINT/SIGTERM: new messages, flag changes, deletions (within the
 * cap), new and renamed folders. Push from watched folders (IMAP IDLE), and a full pass
 * every --poll-seconds for the rest. One line on stdout per pass that changed something.
 *
 * `--once` makes one full pass and exits with the summary and exit codes of `migrate`.
 */
import { ConfigError, DEFAULT_DELETE_CAP, checkModeKinds, pairIdOf, pairService, type RunSpec } from '../../config/index.js';
import { queueNameOf } from '../../jobs/index.js';
import { checkReadable } from '../account-check.js';
import { requestRun, waitForRequestedRun } from '../requested-run.js';
import { buildRunReport, writeRunReport } from '../run-report.js';
import { startRunFeed } from '../run-feed.js';
import { servePairs } from '../serve-pairs.js';
import { httpOptionsOf, openSession, type Session } from '../session.js';
import { exitCodeOf, formatSummary, isQuietRun } from '../summary.js';
import { planMigration, type MigrateOptions } from './migrate.js';

export interface MirrorOptions extends Omit<MigrateOptions, 'config' | 'pair' | 'pageSize' | 'mappingReport'> {
  readonly watch: string[];
  readonly pollSeconds?: number;
  readonly deleteCapPercent?: number;
  readonly deleteCapMinimum?: number;
  readonly confirmDeletes: boolean;
  readonly once: boolean;
  readonly watchersPerAccount: number;
}

export function mirrorSpec(options: MirrorOptions): RunSpec {
  if (!options.source || !options.target) throw new ConfigError('give --source URL and --target URL (e.g. --source imaps://alice@old.example.com --target imaps://alice@new.example.com)');
  const [copy] = planMigration({ ...options, json: false }).specs;
  if (!copy) throw new ConfigError('no pair to mirror');
  checkModeKinds('mirror', copy.source, copy.target, '--source/--target');
  return {
    ...copy,
    mode: 'mirror',
    mirror: {
      deleteCap: { percent: options.deleteCapPercent ?? DEFAULT_DELETE_CAP.percent, minimum: options.deleteCapMinimum ?? DEFAULT_DELETE_CAP.minimum },
      confirmDeletes: options.confirmDeletes,
    },
  };
}

export async function mirror(options: MirrorOptions): Promise<number> {
  if (options.report && !options.once) throw new ConfigError('--report needs --once (a continuous mirror has no end to report)');
  const spec = mirrorSpec(options);
  const service = pairService('mirror', { watch: options.watch.length > 0 ? options.watch : undefined, pollSeconds: options.pollSeconds }, 'mirror');
  checkReadable([spec]);
  const session = await openSession({
    // On a terminal the per-pass lines are the output; the JSON log then only has warnings.
    interactive: Boolean(process.stderr.isTTY),
    http: httpOptionsOf(options),
    ...(options.redis === undefined ? {} : { redis: options.redis }),
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
  });
  try {
    return options.once ? await mirrorOnce(session, spec, options) : await mirrorForever(session, spec, service, options);
  } finally {
    await session.close();
  }
}

async function mirrorForever(session: Session, spec: RunSpec, service: ReturnType<typeof pairService>, options: MirrorOptions): Promise<number> {
  const served = await servePairs(session, [{ spec, service }], {
    queue: queueNameOf(pairIdOf(spec)), concurrency: options.concurrency ?? 4, watchersPerAccount: options.watchersPerAccount,
  });
  // Passes that changed nothing are not news: only the others get a line.
  const feed = startRunFeed(session, new Set(served.pairs.map((p) => p.pairId)), (outcome, line) => {
    if (!isQuietRun(outcome)) process.stdout.write(`${line}\n`);
  });
  process.stderr.write(`Mirroring ${spec.pairName}; watching ${served.watchers.watched.map((w) => w.folder).join(', ') || 'no folder (polling only)'}, `
    + `a full pass every ${service.pollSeconds} s. Stop with Ctrl-C.\n`);
  await new Promise<void>((resolve) => session.signal.addEventListener('abort', () => resolve(), { once: true }));
  feed.stop();
  await served.close();
  return 0;
}

/** One full pass: register, ask for a run, work it here, print its summary. */
async function mirrorOnce(session: Session, spec: RunSpec, options: MirrorOptions): Promise<number> {
  const pair = await session.registry.register(spec, queueNameOf(pairIdOf(spec)), { watch: [] });
  const workers = session.startWorkers([pair.queue], options.concurrency ?? 4);
  try {
    const outcome = await waitForRequestedRun(session, await requestRun(session, pair.pairId));
    if (!outcome) return session.interruptedWith() ?? 1;
    if (options.report) {
      writeRunReport(options.report, buildRunReport(outcome));
      process.stderr.write(`Report: ${options.report}\n`);
    }
    if (options.json) process.stdout.write(`${JSON.stringify({ pair: outcome.run.pairName, runId: outcome.run.runId, state: outcome.run.state, exitCode: exitCodeOf(outcome), folders: outcome.folders }, null, 2)}\n`);
    else process.stdout.write(`${formatSummary(outcome)}\n`);
    return exitCodeOf(outcome);
  } finally {
    await workers.close();
  }
}
