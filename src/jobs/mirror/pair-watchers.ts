/**
 * Push for mirrors: a watcher per watched source folder (IMAP IDLE, else a STATUS poll)
 * asks for a run of that folder as soon as it may have changed. Requests within a short
 * quiet time are coalesced, and RunTrigger coalesces the rest while a run is going.
 *
 * Each watcher holds one connection for as long as it runs, so the number of folders
 * watched per account is bounded (`maxPerAccount`); the rest of the account is covered by
 * the pair's full passes every `pollSeconds`.
 */
import type { Logger } from 'pino';
import type { AccountSpec } from '../../config/index.js';
import type { Claim, Governor, GovernorSlot } from '../../state/index.js';
import { waitForSlots } from '../connections/governed-claims.js';
import type { FolderInfo, FolderWatcher, Namespace } from '../../connectors/types.js';
import { DEFAULT_FOLDER_RULES, compileFolderRules, namespaceFor, toNormalized, toSegments } from '../../mapping/index.js';
import type { ConnectionPool } from '../connections/connection-pool.js';
import type { RegisteredPair } from '../../state/index.js';
import type { RunTrigger } from '../queue/run-trigger.js';

/** Changes within this time become one request (a client moving 50 messages is one event, not 50). */
const QUIET_MS = 150;

export interface WatchDeps {
  readonly pool: ConnectionPool;
  readonly trigger: RunTrigger;
  readonly log: Logger;
  /** A watcher for the account, or undefined when its protocol has none (only IMAP has). */
  readonly createWatcher: (account: AccountSpec) => Promise<FolderWatcher | undefined>;
  /** A watcher's connection counts against the account's budget like any other. */
  readonly governor: Governor;
  readonly claim: (account: AccountSpec) => Claim | undefined;
  /** Watched folders per source account at most (each is a connection). */
  readonly maxPerAccount: number;
  /** STATUS poll interval of watchers on servers without IDLE. */
  readonly pollSeconds: number;
}

export interface RunningWatchers {
  readonly watched: ReadonlyArray<{ readonly pairName: string; readonly folder: string }>;
  close(): Promise<void>;
}

export async function startWatchers(deps: WatchDeps, pairs: readonly RegisteredPair[], signal: AbortSignal): Promise<RunningWatchers> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const running: Array<Promise<void>> = [];
  const watched: Array<{ pairName: string; folder: string }> = [];
  const perAccount = new Map<string, number>();
  const watchPair = async (pair: RegisteredPair): Promise<void> => {
    const folders = await watchedFolders(deps, pair);
    const accountKey = JSON.stringify(pair.spec.source);
    for (const folder of folders) {
      const used = perAccount.get(accountKey) ?? 0;
      if (used >= deps.maxPerAccount) {
        deps.log.warn({ pair: pair.spec.pairName, folder, max: deps.maxPerAccount }, 'not watched: the account\'s watcher budget is used; covered by the full passes');
        continue;
      }
      const watcher = await deps.createWatcher(pair.spec.source);
      if (!watcher) return;
      perAccount.set(accountKey, used + 1);
      watched.push({ pairName: pair.spec.pairName, folder });
      running.push(watchOne(deps, pair, folder, watcher, stop.signal));
    }
  };
  for (const pair of pairs) {
    if (pair.spec.mode !== 'mirror' || pair.service.watch.length === 0) continue;
    // A source that cannot be listed now (server down, restarting) is tried again later;
    // meanwhile the pair's full passes keep it in sync.
    await watchPair(pair).catch((error: unknown) => {
      deps.log.warn({ err: error, pair: pair.spec.pairName }, 'cannot start watchers yet; retrying every 30 s');
      running.push(retryUntilStarted(() => watchPair(pair), stop.signal, deps.log));
    });
  }
  return {
    watched,
    async close() {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      await Promise.allSettled(running);
    },
  };
}

const RETRY_WATCHERS_MS = 30_000;

async function retryUntilStarted(start: () => Promise<void>, signal: AbortSignal, log: Logger): Promise<void> {
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RETRY_WATCHERS_MS);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    if (signal.aborted) return;
    try {
      await start();
      return;
    } catch (error) {
      log.debug({ err: error }, 'watchers still cannot start');
    }
  }
}

async function watchOne(deps: WatchDeps, pair: RegisteredPair, folder: string, watcher: FolderWatcher, signal: AbortSignal): Promise<void> {
  const log = deps.log.child({ pair: pair.spec.pairName, folder });
  let timer: NodeJS.Timeout | undefined;
  const claim = deps.claim(pair.spec.source);
  const slots = claim ? await watcherSlot(deps, claim, signal, log) : [];
  if (!slots) return;
  const request = () => {
    timer = undefined;
    deps.trigger.request(pair.pairId, [folder]).catch((error: unknown) => log.warn({ err: error }, 'could not ask for a run'));
  };
  try {
    log.info('watching for changes');
    await watcher.watch(folder, {
      signal,
      pollSeconds: deps.pollSeconds,
      onChange: (event) => {
        log.debug({ event }, 'change seen');
        timer ??= setTimeout(request, QUIET_MS);
      },
    });
  } catch (error) {
    // An account that cannot log in stops its watcher; the pair's full passes report the error.
    log.error({ err: error }, 'watcher stopped');
  } finally {
    if (timer) clearTimeout(timer);
    await Promise.allSettled(slots.map((slot) => slot.release()));
  }
}

/**
 * The watcher's connection slot. A wait that ends because the daemon stops is the end of
 * the watcher (nothing to report); any other failure (Redis unreachable, say) is logged
 * and the wait tried again, so a watcher never silently fails to start.
 */
async function watcherSlot(deps: WatchDeps, claim: Claim, signal: AbortSignal, log: Logger): Promise<GovernorSlot[] | undefined> {
  for (;;) {
    try {
      return await waitForSlots(deps.governor, [claim], { signal });
    } catch (error) {
      if (signal.aborted) return undefined;
      log.warn({ err: error }, `watcher cannot get a connection slot; trying again in ${RETRY_WATCHERS_MS / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RETRY_WATCHERS_MS);
        signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      if (signal.aborted) return undefined;
    }
  }
}

/** Source folders matching the pair's watch globs (normalized paths, as folder rules are written). */
async function watchedFolders(deps: WatchDeps, pair: RegisteredPair): Promise<string[]> {
  const leased = await deps.pool.source(pair.spec.source);
  let healthy = false;
  let folders: FolderInfo[];
  let namespace: Namespace;
  try {
    folders = await leased.connector.listFolders();
    namespace = await leased.connector.namespace();
    healthy = true;
  } finally {
    await leased.release(healthy);
  }
  const watch = compileFolderRules({ ...DEFAULT_FOLDER_RULES, include: pair.service.watch });
  const copied = compileFolderRules(pair.spec.rules);
  return folders
    .filter((f) => f.selectable)
    .filter((f) => {
      const normalized = toNormalized(toSegments(f.path, namespaceFor(f, namespace)));
      return watch.filter(normalized) === undefined && copied.filter(normalized) === undefined;
    })
    .map((f) => f.path);
}
