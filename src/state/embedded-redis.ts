/**
 * The embedded default: when no Redis URL is given, mailferry runs a private
 * `redis-server` under the state directory, on a Unix socket only (no TCP port), with
 * AOF fsync on every write and `noeviction`. It outlives the run, so the next run reuses
 * it; after a kill -9 of either, the next run starts it again from its AOF.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';

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

export async function ensureEmbeddedRedis(stateDir: string): Promise<EmbeddedRedis> {
  const dir = join(stateDir, 'redis');
  const socketPath = join(dir, 'redis.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new EmbeddedRedisError(`state directory path is too long for a Unix socket (${socketPath}); use a shorter --state-dir or pass --redis URL`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(socketPath) && (await answersPing(socketPath))) return { socketPath, started: false };

  await startServer(dir, socketPath);
  for (let i = 0; i < 100; i += 1) {
    if (await answersPing(socketPath)) return { socketPath, started: true };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new EmbeddedRedisError(`the embedded redis-server did not come up; see ${join(dir, 'redis.log')}`);
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
