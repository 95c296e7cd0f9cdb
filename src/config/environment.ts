/**
 * Every environment variable mailferry reads, in one place (nothing else reads process.env,
 * except secrets.ts resolving a `{ env: NAME }` reference).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';

export const SOURCE_PASSWORD_ENV = 'MAILFERRY_SOURCE_PASSWORD';
export const TARGET_PASSWORD_ENV = 'MAILFERRY_TARGET_PASSWORD';

export interface Environment {
  /** REDIS_URL: an external Redis instead of the embedded one. */
  readonly redisUrl?: string;
  /** Default state directory: $XDG_STATE_HOME/mailferry or ~/.local/state/mailferry. */
  readonly defaultStateDir: string;
  /** MAILFERRY_CRASH_AT: test hook, see jobs/crash-points.ts. */
  readonly crashAt?: string;
  /** MAILFERRY_REDIS_IDLE_MINUTES: an embedded Redis without clients stops after this long (0: when the last one leaves). Default 10. */
  readonly redisIdleMinutes: number;
  /** MAILFERRY_LOG_LEVEL: pino level. */
  readonly logLevel?: string;
  /** MAILFERRY_HTTP_PORT: serve health, metrics and the dashboard on this port (as --http-port); checked with parsePort where it is used. */
  readonly httpPort?: string;
  /** MAILFERRY_HTTP_HOST: the address that server binds (as --http-host). */
  readonly httpHost?: string;
  /** MAILFERRY_DASHBOARD_TOKEN: the token that opens /dashboard (without one the dashboard is off). */
  readonly dashboardToken?: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const stateHome = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return {
    defaultStateDir: join(stateHome, 'mailferry'),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    ...(env.MAILFERRY_CRASH_AT ? { crashAt: env.MAILFERRY_CRASH_AT } : {}),
    redisIdleMinutes: idleMinutes(env.MAILFERRY_REDIS_IDLE_MINUTES),
    ...(env.MAILFERRY_LOG_LEVEL ? { logLevel: env.MAILFERRY_LOG_LEVEL } : {}),
    ...(env.MAILFERRY_HTTP_PORT ? { httpPort: env.MAILFERRY_HTTP_PORT } : {}),
    ...(env.MAILFERRY_HTTP_HOST ? { httpHost: env.MAILFERRY_HTTP_HOST } : {}),
    ...(env.MAILFERRY_DASHBOARD_TOKEN?.trim() ? { dashboardToken: env.MAILFERRY_DASHBOARD_TOKEN.trim() } : {}),
  };
}

/** A TCP port, 1 to 65535; anything else is a ConfigError naming `what`. */
export function parsePort(value: string, what: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${what} must be a TCP port (1-65535), not "${value}"`);
  }
  return port;
}

/** Default time an embedded Redis waits for a client before it stops. */
export const DEFAULT_REDIS_IDLE_MINUTES = 10;

function idleMinutes(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_REDIS_IDLE_MINUTES;
  const minutes = Number(text);
  if (!Number.isFinite(minutes) || minutes < 0) throw new ConfigError(`MAILFERRY_REDIS_IDLE_MINUTES="${text}": give minutes, 0 or more (0 stops the embedded Redis as soon as the last client leaves)`);
  return minutes;
}
