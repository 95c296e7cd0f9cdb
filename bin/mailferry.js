#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=65536 node --max-semi-space-size=2
// Memory tuning for a process that streams 100s of MB through short-lived buffers
// (measured with `npm run bench`: peak RSS 168 -> ~140 MiB with 12 MiB messages):
// - a small V8 young generation: the garbage is mostly message buffers, and 16 MB
//   semi-spaces add tens of MB of RSS for no speed gain here;
// - glibc returns freed memory at the top of its heap to the system from 64 KiB on
//   (default 128 KiB, and raised dynamically up to 32 MiB after large frees).
import '../dist/cli/main.js';
