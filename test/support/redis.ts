import path from 'node:path';
import { spawnOwned, type OwnedProcess } from './owned-process.js';
import { freePort } from './ports.js';
import { waitForTcp } from './tcp-probe.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/** A private redis-server owned by this test process. */
export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Data directory (AOF under `appendonlydir/`, log in `redis.log`); kept across restarts. */
  dir: string;
  /** PID of the current process (changes after {@link RedisServer.start}). */
  pid: number;
  /** Graceful stop (SIGTERM: flushes the AOF, saves no RDB); waits for exit. */
  stop(): Promise<void>;
  /** Crash it: SIGKILL, wait for exit. */
  kill9(): Promise<void>;
  /** Start again on the same port and dir (replays the AOF); resolves once PING answers. */
  start(): Promise<void>;
  /** stop() and delete `dir` (otherwise it is removed at exit or by a later run's sweep). */
  destroy(): Promise<void>;
}

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Default `always`: an acknowledged write survives kill9(). */
  appendfsync?: 'always' | 'everysec';
  /** Default `noeviction` (what BullMQ requires). */
  maxmemoryPolicy?: string;
}

/**
 * Start a private redis-server on a free 127.0.0.1 port with AOF persistence and no RDB
 * snapshots; resolves once it answers PING (i.e. after any AOF replay).
 * The directory is removed when the test process exits.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = await makeTempDir('redis');
  let port = await freePort();
  let proc: OwnedProcess | undefined;

  const args = (): string[] => [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'yes',
    '--appendfsync', options.appendfsync ?? 'always',
    '--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction',
    '--daemonize', 'no',
    '--logfile', path.join(dir, 'redis.log'),
  ];

  const boot = async (): Promise<OwnedProcess> => {
    const p = await spawnOwned('redis-server', args(), { logFile: path.join(dir, 'redis.stderr.log'), cwd: dir });
    try {
      await waitForTcp(port, {
        send: 'PING\r\n',
        until: /\r\n/,
        // -LOADING while the AOF is replayed: keep waiting.
        accept: (reply) => reply.startsWith('+PONG'),
        deadlineMs: 20_000,
        alive: p.running,
        what: 'redis-server',
      });
      return p;
    } catch (err) {
      await p.stop('SIGKILL');
      throw err;
    }
  };

  // First start only: if the port was taken between freePort() and bind, pick another.
  for (let attempt = 1; ; attempt++) {
    try {
      proc = await boot();
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      port = await freePort();
    }
  }

  const current = (): OwnedProcess => {
    if (proc === undefined) throw new Error('redis-server is not running');
    return proc;
  };

  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return current().pid;
    },
    async stop() {
      await current().stop('SIGTERM', 10_000);
    },
    async kill9() {
      await current().stop('SIGKILL');
    },
    async start() {
      if (proc?.running()) throw new Error('redis-server is already running');
      proc = await boot();
    },
    async destroy() {
      if (proc?.running()) await proc.stop('SIGTERM', 10_000);
      await removeTempDir(dir);
    },
  };
  return server;
}
