#!/usr/bin/env node
// The npm registry this project is built from carries only the Linux builds of
// msgpackr-extract (an optional native speed-up of bullmq's msgpackr). `npm install`
// still lists the other platforms' builds in package-lock.json without entries for
// them, and `npm ci` then refuses the lock. This drops optional dependencies that have
// no entry in the lock. Run it after `npm install` changes the lock: npm run lock:trim
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let dropped = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!entry.optionalDependencies) continue;
  for (const name of Object.keys(entry.optionalDependencies)) {
    const nested = `${path}/node_modules/${name}`;
    if (!lock.packages[`node_modules/${name}`] && !lock.packages[nested]) {
      delete entry.optionalDependencies[name];
      dropped += 1;
    }
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock:trim: dropped ${dropped} optional dependencies without a lock entry`);
