/** What the copy engine takes for one folder, and what it counts. */
import type { Logger } from 'pino';
import type { TargetConnector } from '../../connectors/types.js';
import type { CopyState, Lease } from '../../state/index.js';
import type { ByteBudget } from './byte-budget.js';

export interface CopyInput {
  readonly target: TargetConnector;
  readonly state: CopyState;
  /** The folder's lease: every state write is fenced by it. */
  readonly lease: Lease;
  readonly targetPath: string;
  /** Messages per checkpoint. */
  readonly pageSize: number;
  /** Bytes of message bodies fetched at once. */
  readonly batchBytes: number;
  /** Aborted on SIGTERM/SIGINT: the copy stops at the next page boundary. */
  readonly signal: AbortSignal;
  /** Process-wide bound on message bytes in memory, shared by all folder jobs. */
  readonly budget: ByteBudget;
  readonly log: Logger;
  readonly onProgress?: (done: number, total: number) => void | Promise<void>;
}

/** Mutable tallies of one folder run (see FolderResult). */
export interface Tally {
  selected: number;
  copied: number;
  alreadyThere: number;
  quarantined: number;
  vanished: number;
  bytes: number;
  /** Messages copied in an earlier run whose flags this run brought up to date. */
  flagsUpdated: number;
  /** Copies (made or found) that the target stored other than they were sent: how -> how many (rewrite-identity.ts). */
  readonly targetChanges: Map<string, number>;
}

export function newTally(): Tally {
  return { selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0, flagsUpdated: 0, targetChanges: new Map() };
}
