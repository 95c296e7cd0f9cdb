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

/** A single message this large is collected right after release: each one is a big share of the peak. */
const RECLAIM_LARGE_MESSAGE_BYTES = 1024 * 1024;

/** Notes that message buffers became garbage (`bytes` in all, the largest `largest`); collects once enough has. */
export function noteReleased(bytes: number, largest: number): void {
  releasedSinceCollect += bytes;
  const due = releasedSinceCollect >= RECLAIM_EVERY_BYTES || largest >= RECLAIM_LARGE_MESSAGE_BYTES;
  if (!due || typeof collect !== 'function') return;
  releasedSinceCollect = 0;
  (collect as () => void)();
}
