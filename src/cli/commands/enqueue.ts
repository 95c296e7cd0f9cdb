/**
 * `mailferry enqueue --config FILE [--pair NAME...]`: puts a run of each pair on the shared
 * queue and returns; any number of `mailferry worker` (or `daemon`) processes on the same
 * Redis work them. A pair whose run is still going gets its next run right after it, not
 * a second one beside it. `--wait` stays until the runs end and exits like `migrate`.
 */
import { ConfigError, loadConfigFile } from '../../config/index.js';
import { ALL_FOLDERS, SHARED_QUEUE } from '../../jobs/index.js';
import { checkReadable } from '../account-check.js';
import { openSession, type Session } from '../session.js';
import { exitCodeOf, oneLineSummary } from '../summary.js';

export interface EnqueueOptions {
  readonly config: string;
  readonly pair: string[];
  readonly wait: boolean;
  readonly redis?: string;
  readonly stateDir?: string;
}

export async function enqueue(options: EnqueueOptions): Promise<number> {
  const config = loadConfigFile(options.config);
  const names = options.pair.length > 0 ? options.pair : [...config.pairs.keys()];
  for (const name of names) {
    if (!config.pairs.has(name)) throw new ConfigError(`--pair ${name}: no such pair in ${options.config} (known: ${[...config.pairs.keys()].join(', ')})`);
  }
  if (names.length === 0) throw new ConfigError(`${options.config}: no pairs defined`);
  checkReadable(names.map((name) => config.pairs.get(name)).filter((spec) => spec !== undefined));
  const redis = options.redis ?? config.redis;
  const stateDir = options.stateDir ?? config.stateDir;
  const session = await openSession({
    interactive: false,
    ...(redis === undefined ? {} : { redis }),
    ...(stateDir === undefined ? {} : { stateDir }),
  });
  try {
    const asked = Date.now();
    const pairIds: string[] = [];
    for (const name of names) {
      const spec = config.pairs.get(name);
      if (!spec) continue;
      const pair = await session.registry.register(spec, SHARED_QUEUE, config.services.get(name) ?? { watch: [] });
      const runId = await session.trigger.request(pair.pairId, ALL_FOLDERS);
      pairIds.push(pair.pairId);
      process.stderr.write(runId ? `${name}: queued run ${runId}\n` : `${name}: a run is in progress; the next one starts when it ends\n`);
    }
    return options.wait ? await waitForAll(session, pairIds, asked) : 0;
  } finally {
    await session.close();
  }
}

/** Waits until every pair has a run started after `since` that has ended; prints one line each. */
async function waitForAll(session: Session, pairIds: readonly string[], since: number): Promise<number> {
  const codes = new Map<string, number>();
  while (codes.size < pairIds.length && !session.signal.aborted) {
    for (const run of await session.runs.recent(Math.max(100, pairIds.length * 4))) {
      if (codes.has(run.pairId) || !pairIds.includes(run.pairId) || run.state === 'running' || Date.parse(run.startedAt) < since - 1000) continue;
      const outcome = { run, folders: await session.runs.folderResults(run.runId) };
      codes.set(run.pairId, exitCodeOf(outcome));
      process.stdout.write(`${oneLineSummary(outcome)}\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return session.interruptedWith() ?? Math.max(0, ...codes.values());
}
