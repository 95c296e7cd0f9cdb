/**
 * The embedded default: when no Redis URL is given, mailferry runs a private
 * `redis-server` under the state directory, on a Unix socket only (no TCP port), with
 * AOF fsync on every write and `noeviction`. It outlives the run, so the next run reuses
 * it, until its reaper stops it after a while without clients; after a kill -9 of either,
 * the next run starts it again from its AOF.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureReaper } from './embedded-redis-reaper.js';
import { processGone } from './process-gone.js';

export interface EmbeddedRedis {
  readonly socketPath: string;
  /** True when this call started the server (false: reused a running one). */
  readonly started: boolean;
}

export class EmbeddedRedisError extends Error {
  readonly code = 'EMBEDDED_REDIS';
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedRedisError';
  }
}

/** Unix socket paths are limited to 108 bytes (sun_path) on Linux. */
const MAX_SOCKET_PATH = 100;

/**
 * The embedded server of `stateDir`, started when none runs, with its reaper
 * (embedded-redis-reaper.ts), which stops it after `idleMs` without a client.
 */
export async function ensureEmbeddedRedis(stateDir: string, idleMs: number): Promise<EmbeddedRedis> {
  const dir = embeddedRedisDir(stateDir);
  const socketPath = join(dir, 'redis.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new EmbeddedRedisError(`state directory path is too long for a Unix socket (${socketPath}); use a shorter --state-dir or pass --redis URL`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(socketPath) && (await answersPing(socketPath))) return reaped({ socketPath, started: false }, dir, idleMs);

  // Two mailferry processes starting at once must not start two servers on one AOF.
  const unlock = await lockStart(join(dir, 'start.lock'));
  try {
    if (existsSync(socketPath) && (await answersPing(socketPath))) return reaped({ socketPath, started: false }, dir, idleMs);
    await startServer(dir, socketPath);
    for (let i = 0; i < 100; i += 1) {
      if (await answersPing(socketPath)) return reaped({ socketPath, started: true }, dir, idleMs);
      await sleep(100);
    }
  } finally {
    unlock();
  }
  throw new EmbeddedRedisError(`the embedded redis-server did not come up; see ${join(dir, 'redis.log')}`);
}

/** Where the embedded server of a state directory lives (socket, AOF, log, pid files). */
export function embeddedRedisDir(stateDir: string): string {
  return join(stateDir, 'redis');
}

/**
 * Stops the embedded server of `stateDir` now (`mailferry state stop`); false when none
 * was running. Its reaper sees it go and exits.
 */
export async function stopEmbeddedRedis(stateDir: string): Promise<boolean> {
  const socketPath = join(embeddedRedisDir(stateDir), 'redis.sock');
  if (!existsSync(socketPath) || !(await answersPing(socketPath))) return false;
  const client = new Redis({ path: socketPath, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // The server closes the connection as it goes: that "error" is the success.
    await client.call('SHUTDOWN').catch(() => undefined);
  } finally {
    client.disconnect();
  }
  return true;
}

function reaped(redis: EmbeddedRedis, dir: string, idleMs: number): EmbeddedRedis {
  ensureReaper(dir, idleMs);
  return redis;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An exclusive lock file holding our PID. A lock left by a process that no longer exists
 * (killed while starting the server) is taken over.
 */
async function lockStart(file: string): Promise<() => void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (holderIsGone(file)) rmSync(file, { force: true });
      else await sleep(50);
    }
  }
  throw new EmbeddedRedisError(`another mailferry is still starting the embedded Redis (${file}); try again`);
}

/** True only for a lock naming a process that is gone (an empty lock is being written: not gone). */
function holderIsGone(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false; // removed meanwhile: the next attempt takes it
  }
  return text !== '' && processGone(Number(text));
}

function startServer(dir: string, socketPath: string): Promise<void> {
  const args = [
    '--port', '0',
    '--unixsocket', socketPath,
    '--unixsocketperm', '700',
    '--dir', dir,
    '--appendonly', 'yes',
    // Checkpoints and intents are few writes per page: fsync each one, lose nothing on a crash.
    '--appendfsync', 'always',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'yes',
    '--pidfile', join(dir, 'redis.pid'),
    '--logfile', join(dir, 'redis.log'),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT'
        ? new EmbeddedRedisError('redis-server is not installed; install it (Debian: apt-get install redis-server) or pass --redis URL')
        : error);
    });
    // With --daemonize the foreground process exits once the server has forked.
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new EmbeddedRedisError(`redis-server exited with code ${code}; see ${join(dir, 'redis.log')}`))));
  });
}

async function answersPing(socketPath: string): Promise<boolean> {
  const client = new Redis({ path: socketPath, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
