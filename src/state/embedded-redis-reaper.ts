/**
 * Stops an embedded redis-server that nobody uses any more. A one-shot command leaves its
 * embedded Redis running so the next run starts fast; a user who ran one command does not
 * expect a server to keep running for ever. So beside each embedded server runs this
 * reaper, a small detached process (`node embedded-redis-reaper.js DIR IDLE_MS`) that
 * shuts the server down
 *
 * - once it has had no client but the reaper for IDLE_MS (a daemon or a worker stays
 *   connected, so it keeps its Redis for as long as it runs; 0 = as soon as the last
 *   client is gone),
 * - at once when its directory is gone (the state directory was deleted: the data is
 *   gone, nobody will use this server again),
 *
 * and exits with it. SHUTDOWN writes nothing the AOF does not already hold (appendfsync
 * always). The reaper exits too when the server goes away by other means.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { processGone } from './process-gone.js';

/** How often the reaper looks, at most. */
const MAX_TICK_MS = 5_000;

/** Starts the reaper of the server in `dir` unless one runs already. */
export function ensureReaper(dir: string, idleMs: number): void {
  const pidFile = join(dir, 'reaper.pid');
  const running = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
  if (running > 0 && !processGone(running)) return;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dir, String(idleMs)], { detached: true, stdio: 'ignore' });
  if (child.pid !== undefined) writeFileSync(pidFile, String(child.pid), { mode: 0o600 });
  child.unref();
}

/** The reaper's loop; resolves when the server is gone (stopped by it or by someone else). */
export async function reap(dir: string, idleMs: number): Promise<void> {
  const socketPath = join(dir, 'redis.sock');
  const client = new Redis({ path: socketPath, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return;
  }
  const tick = Math.min(MAX_TICK_MS, Math.max(250, Math.floor(idleMs / 4)));
  let busySince = Date.now();
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, tick));
      // The connection outlives the socket file: a deleted directory is still reachable here.
      if (!existsSync(dir)) return await shutdown(client);
      const info = await client.info('clients');
      const clients = Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? '1');
      if (clients > 1) busySince = Date.now();
      else if (Date.now() - busySince >= idleMs) return await shutdown(client);
    }
  } catch {
    // The server went away (or stopped answering): nothing left to reap.
  } finally {
    client.disconnect();
  }
}

async function shutdown(client: Redis): Promise<void> {
  // The server closes the connection as it goes: that "error" is the success.
  await client.call('SHUTDOWN').catch(() => undefined);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, idle] = process.argv.slice(2);
  if (dir !== undefined) await reap(dir, Number(idle) || 0);
  process.exit(0);
}
