/**
 * Every environment variable mailferry reads, in one place (nothing else reads process.env,
 * except secrets.ts resolving a `{ env: NAME }` reference).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SOURCE_PASSWORD_ENV = 'MAILFERRY_SOURCE_PASSWORD';
export const TARGET_PASSWORD_ENV = 'MAILFERRY_TARGET_PASSWORD';

export interface Environment {
  /** REDIS_URL: an external Redis instead of the embedded one. */
  readonly redisUrl?: string;
  /** Default state directory: $XDG_STATE_HOME/mailferry or ~/.local/state/mailferry. */
  readonly defaultStateDir: string;
  /** MAILFERRY_CRASH_AT: test hook, see jobs/crash-points.ts. */
  readonly crashAt?: string;
  /** MAILFERRY_LOG_LEVEL: pino level. */
  readonly logLevel?: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const stateHome = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return {
    defaultStateDir: join(stateHome, 'mailferry'),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    ...(env.MAILFERRY_CRASH_AT ? { crashAt: env.MAILFERRY_CRASH_AT } : {}),
    ...(env.MAILFERRY_LOG_LEVEL ? { logLevel: env.MAILFERRY_LOG_LEVEL } : {}),
  };
}
