/**
 * `mailferry migrate`: queue a run of one pair (one-liner) or of the config's pairs,
 * work it in this process, show progress, print the summary, exit with a code scripts
 * can trust. Other `mailferry worker` processes on the same Redis may help.
 */
import {
  ConfigError, DEFAULT_COPY_OPTIONS, DEFAULT_POP3_OPTIONS, accountLabel, checkPairKinds, loadConfigFile, pairIdOf, parseAccountUrl, parseDeletion,
  SOURCE_PASSWORD_ENV, type ConnectionLimitsGiven, TARGET_PASSWORD_ENV, type Pop3Options, type RunSpec, type SecretRef,
} from '../../config/index.js';
import { SHARED_QUEUE, enqueueRun, queueNameOf, type EnqueuedRun } from '../../jobs/index.js';
import { DEFAULT_FOLDER_RULES, type DateSource } from '../../mapping/index.js';
import type { RunRecord } from '../../state/index.js';
import { checkReadable } from '../account-check.js';
import { writeMappingReport } from '../mapping-report.js';
import { buildReport, writeRunReport } from '../run-report.js';
import { activeWait, createProgressView } from '../progress.js';
import { httpOptionsOf, openSession, type HttpOptions, type Session } from '../session.js';
import { exitCodeOf, formatSummary, type RunOutcome } from '../summary.js';

export interface MigrateOptions extends HttpOptions {
  readonly source?: string;
  readonly target?: string;
  readonly sourcePasswordFile?: string;
  readonly targetPasswordFile?: string;
  readonly sourceCa?: string;
  readonly targetCa?: string;
  readonly config?: string;
  readonly pair?: string;
  readonly include: string[];
  readonly exclude: string[];
  readonly specialUse: boolean;
  readonly pageSize?: number;
  readonly concurrency?: number;
  readonly redis?: string;
  readonly stateDir?: string;
  readonly json: boolean;
  readonly pop3Folder?: string;
  readonly pop3Seen?: boolean;
  readonly pop3Date?: DateSource;
  readonly pop3Delete?: string;
  readonly mappingReport?: string;
  /** Write the run's report (JSON) to this file at the end. */
  readonly report?: string;
}

interface Plan {
  readonly specs: RunSpec[];
  /** Config pairs share the queue `worker`s serve; a one-liner has its own. */
  readonly shared: boolean;
  readonly redis?: string;
  readonly stateDir?: string;
  readonly concurrency: number;
  /** Governor limits from the config file. */
  readonly limits?: ConnectionLimitsGiven;
}

/** Turns options into run specs; every problem is a ConfigError naming what to fix. */
export function planMigration(options: MigrateOptions): Plan {
  if (options.config) {
    if (options.source || options.target) throw new ConfigError('use either --config or --source/--target, not both');
    if (options.include.length > 0 || options.exclude.length > 0 || !options.specialUse || options.pageSize !== undefined) {
      throw new ConfigError('with --config, set folder rules and the page size in the file (pairs.NAME.folders, options.pageSize), not on the command line');
    }
    if (pop3Flags(options).length > 0) throw new ConfigError('with --config, set POP3 options in the file (pairs.NAME.pop3), not on the command line');
    const config = loadConfigFile(options.config);
    const names = options.pair ? [options.pair] : [...config.pairs.keys()];
    const specs = names.map((name) => {
      const spec = config.pairs.get(name);
      if (!spec) throw new ConfigError(`--pair ${name}: no such pair in ${options.config} (known: ${[...config.pairs.keys()].join(', ')})`);
      return spec;
    });
    if (specs.length === 0) throw new ConfigError(`${options.config}: no pairs defined`);
    return checkMappingReport(withLocation({ specs, shared: true, limits: config.limits, concurrency: options.concurrency ?? config.concurrency ?? 4 }, options.redis ?? config.redis, options.stateDir ?? config.stateDir), options);
  }
  if (!options.source || !options.target) {
    throw new ConfigError('give --source URL and --target URL (e.g. --source imaps://alice@old.example.com --target imaps://alice@new.example.com), or --config FILE');
  }
  const secret = (file: string | undefined, env: string): SecretRef => (file ? { file } : { env });
  const source = parseAccountUrl(options.source, '--source', secret(options.sourcePasswordFile, SOURCE_PASSWORD_ENV), options.sourceCa);
  const target = parseAccountUrl(options.target, '--target', secret(options.targetPasswordFile, TARGET_PASSWORD_ENV), options.targetCa);
  checkPairKinds(source, target, '--source/--target', pop3Flags(options));
  const map = options.pop3Folder === undefined ? {} : { INBOX: options.pop3Folder };
  const spec: RunSpec = {
    pairName: `${accountLabel(source)} -> ${accountLabel(target)}`,
    source,
    target,
    rules: { ...DEFAULT_FOLDER_RULES, include: options.include, exclude: options.exclude, specialUse: options.specialUse, map },
    copy: { ...DEFAULT_COPY_OPTIONS, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
    ...(source.kind === 'pop3' ? { pop3: pop3Options(options) } : {}),
  };
  return checkMappingReport(withLocation({ specs: [spec], shared: false, concurrency: options.concurrency ?? 4 }, options.redis, options.stateDir), options);
}

/** The POP3-only flags the user gave, by name (refused for other sources). */
function pop3Flags(options: MigrateOptions): string[] {
  const given: Array<[string, unknown]> = [
    ['--pop3-folder', options.pop3Folder], ['--pop3-seen', options.pop3Seen], ['--pop3-date', options.pop3Date], ['--pop3-delete', options.pop3Delete],
  ];
  return given.filter(([, value]) => value !== undefined).map(([name]) => name);
}

function pop3Options(options: MigrateOptions): Pop3Options {
  return {
    markSeen: options.pop3Seen ?? DEFAULT_POP3_OPTIONS.markSeen,
    dateFrom: options.pop3Date ?? DEFAULT_POP3_OPTIONS.dateFrom,
    deletion: options.pop3Delete === undefined ? DEFAULT_POP3_OPTIONS.deletion : parseDeletion(options.pop3Delete, '--pop3-delete'),
  };
}

/** The report maps UIDLs: refuse it up front when no pair has a POP3 source. */
function checkMappingReport(plan: Plan, options: MigrateOptions): Plan {
  if (options.mappingReport && !plan.specs.some((spec) => spec.source.kind === 'pop3')) {
    throw new ConfigError('--mapping-report: only POP3 sources have a UIDL mapping to report, and no pair here has one');
  }
  return plan;
}

/** Adds where Redis is, leaving out what was not given (exactOptionalPropertyTypes). */
function withLocation(plan: Plan, redis: string | undefined, stateDir: string | undefined): Plan {
  return { ...plan, ...(redis ? { redis } : {}), ...(stateDir ? { stateDir } : {}) };
}

export async function migrate(options: MigrateOptions): Promise<number> {
  const plan = planMigration(options);
  checkReadable(plan.specs);
  const interactive = Boolean(process.stderr.isTTY) && !options.json;
  const session = await openSession({ ...plan, interactive, http: httpOptionsOf(options) });
  try {
    const enqueued: EnqueuedRun[] = [];
    const queueOf = (pairId: string) => (plan.shared ? SHARED_QUEUE : queueNameOf(pairId));
    for (const spec of plan.specs) {
      // A backup pair runs one backup pass; a mirror pair is copied without following
      // deletions (that is the daemon's job, with its watchers and caps).
      const { mode: _mode, mirror: _mirror, ...copyOnly } = spec;
      const runSpec = spec.mode === 'mirror' ? copyOnly : spec;
      enqueued.push(await enqueueRun(session.runs, runSpec, session.connections.bullmq(), session.keys.prefix, queueOf(pairIdOf(spec))));
    }
    const workers = session.startWorkers([...new Set(enqueued.map((e) => queueOf(e.pairId)))], plan.concurrency);
    const outcomes = await waitForRuns(session, enqueued.map((e) => e.runId), interactive);
    await workers.close();
    const interrupted = session.interruptedWith();
    if (options.report) writeReportFile(options.report, outcomes, interrupted);
    if (interrupted !== undefined) {
      process.stderr.write('Interrupted: every committed page is kept; run the same command again to resume.\n');
      return interrupted;
    }
    report(outcomes, options.json);
    const state = stateLine(session);
    if (state !== undefined && !options.json) process.stderr.write(`${state}\n`);
    if (options.mappingReport) {
      const lines = await writeMappingReport(options.mappingReport, plan.specs, session.redis, session.keys);
      process.stderr.write(`Mapping report: ${lines} message(s) in ${options.mappingReport}\n`);
    }
    return Math.max(...outcomes.map(exitCodeOf));
  } finally {
    await session.close();
  }
}

/** `--report FILE`: one run's report, or `{ runs: [...] }` for several pairs. */
function writeReportFile(file: string, outcomes: readonly RunOutcome[], exitCode: number | undefined): void {
  writeRunReport(file, buildReport(outcomes, exitCode));
  process.stderr.write(`Report: ${file}\n`);
}

async function waitForRuns(session: Session, runIds: readonly string[], interactive: boolean): Promise<RunOutcome[]> {
  const progress = createProgressView(interactive, session.log);
  try {
    for (;;) {
      const runs = await Promise.all(runIds.map((id) => session.runs.get(id)));
      const folders = (await Promise.all(runIds.map((id) => session.runs.progress(id)))).flat();
      progress.update(folders, activeWait(runs));
      const finished = runs.every((run) => run !== null && run.state !== 'running');
      if (finished || session.signal.aborted) {
        return Promise.all(runs.filter((run): run is RunRecord => run !== null).map(async (run) => ({
          run, folders: await session.runs.folderResults(run.runId),
        })));
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    progress.stop();
  }
}

function report(outcomes: readonly RunOutcome[], json: boolean): void {
  if (json) {
    const runs = outcomes.map((o) => ({
      pair: o.run.pairName, runId: o.run.runId, state: o.run.state, error: o.run.error ?? null,
      exitCode: exitCodeOf(o), folders: o.folders,
    }));
    process.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
    return;
  }
  for (const outcome of outcomes) {
    if (outcomes.length > 1) process.stdout.write(`\n== ${outcome.run.pairName}\n`);
    process.stdout.write(`${formatSummary(outcome)}\n`);
  }
}

/** Where the state of a one-shot run lives when it is the embedded Redis, and when that stops. */
function stateLine(session: Session): string | undefined {
  const dir = session.connections.target.embeddedIn;
  if (dir === undefined) return undefined;
  const minutes = session.env.redisIdleMinutes;
  return `State: embedded Redis in ${dir}; it stops ${minutes === 0 ? 'now that this run has ended' : `after ${minutes} min without a client`} (mailferry state stop: now).`;
}

