/**
 * What every long-running command sets up: environment, logger, Redis (checked for
 * `noeviction`), state stores, and signal handling that asks work to stop at a page
 * boundary. The composition root: concrete classes are wired here.
 */
import type { Logger } from 'pino';
import { ConfigError, parsePort, readEnvironment, resolveSecret, type ConnectionLimitsGiven, type Environment, type LoadedConfig } from '../config/index.js';
import {
  AccountGates, armCrashPoint, ByteBudget, ConnectionPool, defaultConnectorFactory, RunTrigger, startWorkers,
  type ConnectorFactory, type RunningWorkers, type WorkerContext,
} from '../jobs/index.js';
import type { RunningHttpServer } from '../observability/http-server.js';
import { createLogger } from '../observability/logger.js';
import {
  DEFAULT_GOVERNOR_LIMITS, DEFAULT_PREFIX, Governor, openStateRedis, PairRegistry, RedisConnections, resolveRedis, RunStore, StateKeys,
  type GovernorLimits, type RedisConnection,
} from '../state/index.js';
import { EXIT } from './exit-codes.js';

/**
 * Message bytes one process holds in memory at once, across all folder jobs. Fetch and
 * APPEND each hold a transient second copy, so peak memory is about the module baseline
 * plus twice this.
 */
const MEMORY_BUDGET_BYTES = 12 * 1024 * 1024;

export interface SessionOptions {
  readonly redis?: string;
  readonly stateDir?: string;
  /** Quieter logs when progress bars own the terminal. */
  readonly interactive: boolean;
  /** Governor limits from the config file (defaults for the rest). */
  readonly limits?: ConnectionLimitsGiven;
  /**
   * Given by the commands that work jobs (migrate, mirror, daemon, worker): their HTTP
   * server runs when --http-port or MAILFERRY_HTTP_PORT gives a port. Without it, none.
   */
  readonly http?: HttpOptions;
}

/** `--http-port`, `--http-host`, `--dashboard-token-file`. */
export interface HttpOptions {
  readonly httpPort?: number;
  readonly httpHost?: string;
  readonly dashboardTokenFile?: string;
}

/** Where the HTTP server listens unless --http-host / MAILFERRY_HTTP_HOST say otherwise (in a pod: 0.0.0.0). */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

export interface Session {
  readonly env: Environment;
  readonly log: Logger;
  readonly connections: RedisConnections;
  readonly redis: RedisConnection;
  readonly keys: StateKeys;
  readonly runs: RunStore;
  readonly signal: AbortSignal;
  readonly registry: PairRegistry;
  readonly trigger: RunTrigger;
  readonly factory: ConnectorFactory;
  readonly pool: ConnectionPool;
  /** Connection and login budgets shared with every other process on this Redis. */
  readonly governor: Governor;
  readonly limits: GovernorLimits;
  /** Exit code a signal asked for, once one arrived. */
  readonly interruptedWith: () => number | undefined;
  /** Works the jobs of these queues in this process until closed. */
  startWorkers(queueNames: readonly string[], concurrency: number): RunningWorkers;
  close(): Promise<void>;
}

/**
 * A session for a config file's pairs: its Redis and state dir unless the command line
 * says otherwise, and its limits. `http` as for SessionOptions.
 */
export function openConfigSession(config: LoadedConfig, given: { readonly redis?: string; readonly stateDir?: string }, http?: HttpOptions): Promise<Session> {
  const redis = given.redis ?? config.redis;
  const stateDir = given.stateDir ?? config.stateDir;
  return openSession({
    interactive: false,
    limits: config.limits,
    ...(http === undefined ? {} : { http }),
    ...(redis === undefined ? {} : { redis }),
    ...(stateDir === undefined ? {} : { stateDir }),
  });
}

/** How long a stop asked for by a signal may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 60_000;

export async function openSession(options: SessionOptions): Promise<Session> {
  const env = readEnvironment();
  const log = createLogger(env.logLevel ?? (options.interactive ? 'warn' : 'info'));
  armCrashPoint(env.crashAt);
  const http = httpSettings(env, options.http);
  const target = await resolveRedis(options.redis ?? env.redisUrl, options.stateDir ?? env.defaultStateDir, env.redisIdleMinutes * 60_000);
  const connections = new RedisConnections(target);
  let redis: RedisConnection;
  try {
    redis = await withTimeout(openStateRedis(connections), 15_000, `cannot reach Redis at ${target.label}`);
  } catch (error) {
    await connections.closeAll();
    throw error;
  }
  const keys = new StateKeys(DEFAULT_PREFIX);
  const runs = new RunStore(redis, keys);

  const abort = new AbortController();
  let interruptedWith: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedWith !== undefined) {
      log.warn({ signal }, 'second signal: exiting now; run again to resume');
      process.exit(interruptedWith);
    }
    const code = signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM;
    interruptedWith = code;
    log.warn({ signal }, 'stopping at the next page boundary (a second signal exits at once); run again to resume');
    abort.abort();
    // A stop that cannot finish (Redis gone, a server that stopped answering) must not keep
    // the process alive: what a page did is recovered by the next run, as after a crash.
    setTimeout(() => {
      log.error({ afterMs: SHUTDOWN_DEADLINE_MS }, 'the stop did not finish in time: exiting; run again to resume');
      process.exit(code);
    }, SHUTDOWN_DEADLINE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const budget = new ByteBudget(MEMORY_BUDGET_BYTES);
  const governor = new Governor(redis, keys);
  const factory = defaultConnectorFactory(log, new AccountGates(governor, { signal: abort.signal, log }));
  const given = Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, value]) => value !== undefined));
  const limits: GovernorLimits = { ...DEFAULT_GOVERNOR_LIMITS, ...given };
  const bullmq = { connection: connections.bullmq(), prefix: keys.prefix };
  // The HTTP side (express, bull-board, prom-client) is loaded only when it is asked for:
  // it would cost every CLI start a quarter of a second otherwise.
  const served = http === undefined ? undefined : new (await import('../observability/served-queues.js')).ServedQueues(bullmq.connection, bullmq.prefix);
  const metrics = served === undefined ? undefined : (await import('../observability/metrics.js')).createMetrics(served);
  const pool = new ConnectionPool(factory, {
    governor, limitsFor: () => limits, signal: abort.signal,
    ...(metrics === undefined ? {} : { onConnection: metrics.telemetry.connection }),
  });
  const registry = new PairRegistry(redis, keys);
  const trigger = new RunTrigger(redis, keys, runs, registry, bullmq);
  const ctx: WorkerContext = {
    redis, keys, runs, connections: pool, log, signal: abort.signal, budget, trigger,
    ...(metrics === undefined ? {} : { telemetry: metrics.telemetry }),
  };
  // Worker sets started and not closed yet: /readyz wants at least one, all running.
  const live = new Set<RunningWorkers>();
  let server: RunningHttpServer | undefined;
  if (http !== undefined && served !== undefined && metrics !== undefined) {
    try {
      const [{ startHttpServer }, { checkReadiness }] = await Promise.all([
        import('../observability/http-server.js'), import('../observability/readiness.js'),
      ]);
      server = await startHttpServer({
        ...http, metrics, queues: served, log,
        readiness: () => checkReadiness(redis, () => live.size > 0 && [...live].every((workers) => workers.isRunning())),
      });
    } catch (error) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await served.close();
      await connections.closeAll();
      throw new ConfigError(`cannot serve HTTP on ${http.host}:${http.port} (${(error as NodeJS.ErrnoException).code ?? String(error)}); choose another --http-port`);
    }
  }
  return {
    env, log, connections, redis, keys, runs, signal: abort.signal, registry, trigger, factory, pool, governor, limits,
    interruptedWith: () => interruptedWith,
    startWorkers(queueNames, concurrency) {
      for (const name of queueNames) served?.add(name);
      const workers = startWorkers(ctx, queueNames, { ...bullmq, concurrency });
      live.add(workers);
      return {
        isRunning: () => workers.isRunning(),
        async close() {
          live.delete(workers);
          await workers.close();
        },
      };
    },
    async close() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await server?.close();
      await served?.close();
      await trigger.close();
      await pool.close();
      governor.close();
      await connections.closeAll();
    },
  };
}

/** What `--http-*` options a command's parsed options hold, leaving out the ones not given. */
export function httpOptionsOf(options: HttpOptions): HttpOptions {
  return {
    ...(options.httpPort === undefined ? {} : { httpPort: options.httpPort }),
    ...(options.httpHost === undefined ? {} : { httpHost: options.httpHost }),
    ...(options.dashboardTokenFile === undefined ? {} : { dashboardTokenFile: options.dashboardTokenFile }),
  };
}

/**
 * The HTTP server's settings, or undefined when it is off: it runs when --http-port or
 * MAILFERRY_HTTP_PORT gives a port (same rule for every command). The dashboard token
 * comes from --dashboard-token-file, else MAILFERRY_DASHBOARD_TOKEN; without one the
 * dashboard is off.
 */
function httpSettings(env: Environment, given: HttpOptions | undefined): { host: string; port: number; dashboardToken?: string } | undefined {
  if (given === undefined) return undefined;
  const port = given.httpPort ?? (env.httpPort === undefined ? undefined : parsePort(env.httpPort, 'MAILFERRY_HTTP_PORT'));
  if (port === undefined) return undefined;
  const token = given.dashboardTokenFile === undefined
    ? env.dashboardToken
    : resolveSecret({ file: given.dashboardTokenFile }, '--dashboard-token-file').trim();
  return {
    host: given.httpHost ?? env.httpHost ?? DEFAULT_HTTP_HOST,
    port,
    ...(token ? { dashboardToken: token } : {}),
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigError(`${message} (no answer within ${ms / 1000} s); check --redis / REDIS_URL`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
