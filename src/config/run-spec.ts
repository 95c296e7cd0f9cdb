/** What one run of a pair needs, stored with the run in Redis (no secrets in it). */
import { createHash } from 'node:crypto';
import type { FolderRules } from '../mapping/index.js';
import { accountIdentity, type AccountSpec } from './account-spec.js';
import type { Pop3Options } from './pop3-options.js';
import type { BackupOptions, MirrorOptions, PairMode } from './sync-modes.js';

export interface CopyOptions {
  /** Messages per checkpoint. @defaultValue 200 */
  readonly pageSize: number;
  /** Message bytes fetched in one batch (one FETCH, one MULTIAPPEND). @defaultValue 8 MiB */
  readonly batchBytes: number;
}

export const DEFAULT_COPY_OPTIONS: CopyOptions = { pageSize: 200, batchBytes: 4 * 1024 * 1024 };

export interface RunSpec {
  readonly pairName: string;
  readonly source: AccountSpec;
  readonly target: AccountSpec;
  readonly rules: FolderRules;
  readonly copy: CopyOptions;
  /** Only for a POP3 source: flag, date and deletion policy. */
  readonly pop3?: Pop3Options;
  /** What a run does beyond copying new messages. @defaultValue 'migrate' */
  readonly mode?: PairMode;
  /** Mode 'mirror': the deletion cap. */
  readonly mirror?: MirrorOptions;
  /** Mode 'backup': retention of messages deleted on the source. */
  readonly backup?: BackupOptions;
}

/**
 * A pair's state id: the two accounts, not the pair's name, so renaming a pair in the
 * config keeps its checkpoints, and the one-liner and a config naming the same accounts
 * share them.
 */
export function pairIdOf(spec: Pick<RunSpec, 'source' | 'target'>): string {
  return createHash('sha256').update(`${accountIdentity(spec.source)}\n${accountIdentity(spec.target)}`).digest('hex').slice(0, 16);
}
