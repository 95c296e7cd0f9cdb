/**
 * mbsync (isync) as the reference: one-way copy of every folder of `src` into `dst`.
 *
 * Far = source, Near = target, `Sync Pull` (changes flow far -> near only), `Create Near`
 * (make missing folders on the target), `Expunge None`, `CopyArrivalDate yes` (keep
 * INTERNALDATE), a private SyncState directory per run so every run is a full copy.
 * PipelineDepth is left at its default (unlimited).
 */
import fs from 'node:fs';
import path from 'node:path';
import { runMeasured } from './measure.mjs';

export const MBSYNC = '/usr/bin/mbsync';

export function mbsyncAvailable() {
  try {
    fs.accessSync(MBSYNC, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function quote(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function mbsyncConfig({ host = '127.0.0.1', srcPort, dstPort, srcUser, dstUser, password, stateDir }) {
  const account = (name, port, user) => [
    `IMAPAccount ${name}`,
    `Host ${host}`,
    `Port ${port}`,
    `User ${quote(user)}`,
    `Pass ${quote(password)}`,
    'SSLType None',
    'AuthMechs LOGIN',
    '',
    `IMAPStore ${name}-store`,
    `Account ${name}`,
    '',
  ];
  return [
    ...account('src', srcPort, srcUser),
    ...account('dst', dstPort, dstUser),
    'Channel copy',
    'Far :src-store:',
    'Near :dst-store:',
    'Patterns *',
    'Create Near',
    'Remove None',
    'Expunge None',
    'Sync Pull',
    'CopyArrivalDate yes',
    `SyncState ${stateDir.endsWith('/') ? stateDir : `${stateDir}/`}`,
    '',
  ].join('\n');
}

/**
 * @param {{ srcPort: number, dstPort: number, srcUser: string, dstUser: string, password: string, workDir: string, label: string }} o
 */
export async function runMbsync(o) {
  const dir = path.join(o.workDir, o.label);
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(stateDir, { recursive: true });
  const rc = path.join(dir, 'mbsyncrc');
  fs.writeFileSync(rc, mbsyncConfig({ ...o, stateDir }), { mode: 0o600 });
  return runMeasured(MBSYNC, ['-c', rc, '-a', '-q'], { logDir: o.workDir, label: o.label, cwd: dir });
}
