/** Summarize a V8 .cpuprofile (from `node --cpu-prof`): self time by package and by function. */
import fs from 'node:fs';
import path from 'node:path';

function groupOf(url) {
  if (!url) return '(native/V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node core';
  const dist = /\/dist\/([^/]+)\//.exec(url);
  if (dist) return `mailferry ${dist[1]}/`;
  return path.basename(url);
}

export function summarizeProfile(file, top = 12) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const totalUs = profile.endTime - profile.startTime;
  const samples = profile.samples?.length ?? 0;
  const perSampleMs = samples ? totalUs / samples / 1000 : 0;
  const byGroup = new Map();
  const byFn = new Map();
  let idle = 0;
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * perSampleMs;
    if (!ms) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const group = ['(garbage collector)', '(program)'].includes(functionName) ? functionName : groupOf(url);
    byGroup.set(group, (byGroup.get(group) ?? 0) + ms);
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const sort = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    wallMs: totalUs / 1000,
    idleMs: idle,
    busyMs: totalUs / 1000 - idle,
    byGroup: sort(byGroup).slice(0, top),
    byFunction: sort(byFn).slice(0, top),
  };
}
