/**
 * Gives message buffers back to the system promptly. Buffer memory is freed only when V8
 * collects the objects that own it, and V8 lets such external memory grow by tens of MB
 * before it collects, so a migration that streams 100s of MB through short-lived
 * buffers sits far above its live memory (measured: ~60 MB of dead buffers at the RSS
 * peak whatever the byte budget). After every RECLAIM_EVERY_BYTES of message bytes
 * released, a full collection runs: a few ms on a heap this small, a few times per 100 MB.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const RECLAIM_EVERY_BYTES = 16 * 1024 * 1024;

// `--expose-gc` set at run time makes `gc` available to contexts created afterwards.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as unknown;

let releasedSinceCollect = 0;

/** Notes that `bytes` of message buffers became garbage; collects once enough has. */
export function noteReleased(bytes: number): void {
  releasedSinceCollect += bytes;
  if (releasedSinceCollect < RECLAIM_EVERY_BYTES || typeof collect !== 'function') return;
  releasedSinceCollect = 0;
  (collect as () => void)();
}
