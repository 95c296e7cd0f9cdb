/**
 * `mailferry enqueue --config FILE [--pair NAME...]`: puts a run of each pair on the shared
 * queue and returns; any number of `mailferry worker` (or `daemon`) processes on the same
 * Redis work them. A pair whose run is still going gets its next run right after it, not
 * a second one beside it. `--wait` stays until the runs end and exits like `migrate`.
 */
import { ConfigError, loadConfigFile } from '../../config/index.js';
import { SHARED_QUEUE } from '../../jobs/index.js';
import { checkReadable } from '../account-check.js';
import { requestRun, waitForRequestedRun, type RunRequest } from '../requested-run.js';
import { openConfigSession, type Session } from '../session.js';
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
  const session = await openConfigSession(config, options);
  try {
    const requests: Array<RunRequest & { name: string }> = [];
    for (const name of names) {
      const spec = config.pairs.get(name);
      if (!spec) continue;
      const pair = await session.registry.register(spec, SHARED_QUEUE, config.services.get(name) ?? { watch: [] });
      const request = await requestRun(session, pair.pairId);
      requests.push({ ...request, name });
      process.stderr.write(request.started ? `${name}: queued run ${request.started}\n` : `${name}: a run is in progress; the next one starts when it ends\n`);
    }
    return options.wait ? await waitForAll(session, requests) : 0;
  } finally {
    await session.close();
  }
}

/** Waits for the run of every request; prints one line each as they end. */
async function waitForAll(session: Session, requests: readonly RunRequest[]): Promise<number> {
  const codes = await Promise.all(requests.map(async (request) => {
    const outcome = await waitForRequestedRun(session, request);
    if (!outcome) return undefined;
    process.stdout.write(`${oneLineSummary(outcome)}\n`);
    return exitCodeOf(outcome);
  }));
  return session.interruptedWith() ?? Math.max(0, ...codes.map((code) => code ?? 0));
}
