/** What every copy routine (IMAP folder, POP3 maildrop) takes and counts alike. */
import type { Logger } from 'pino';
import type { TargetConnector } from '../connectors/types.js';
import type { Lease } from '../state/index.js';
import type { ByteBudget } from './byte-budget.js';
import { TargetWindow } from './target-window.js';

export interface CopyCommonInput {
  readonly target: TargetConnector;
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
}

export function newTally(selected: number): Tally {
  return { selected, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0 };
}

/**
 * The recovery window: from `fromUid` (the last committed target UIDNEXT, or an older
 * intent's), or the whole folder when there is no checkpoint (lost state, pre-filled target).
 */
export async function openWindow(target: TargetConnector, path: string, fromUid: number | null, status: { readonly uidNext: number; readonly messages: number }): Promise<TargetWindow> {
  const from = fromUid ?? 1;
  if (status.messages === 0 || from >= status.uidNext) return TargetWindow.empty(target, path);
  return TargetWindow.load(target, path, from);
}
