/** What every copy routine (IMAP folder, POP3 maildrop) takes and counts alike. */
import type { Logger } from 'pino';
import type { TargetConnector } from '../connectors/types.js';
import type { Lease } from '../state/index.js';
import type { ByteBudget } from './byte-budget.js';
import { MarkerWindow } from './marker-window.js';
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

/** Where copies made before an interruption are looked for: by UID + hash (IMAP) or by marker (Exchange). */
export interface CopyWindow {
  readonly size: number;
  /** Source messages (by `srcUid`) already on the target: srcUid -> target UID (0 when unknown). */
  claim(messages: ReadonlyArray<{ readonly srcUid: number; readonly size: number; readonly sha256: string }>, markerOf: (srcUid: number) => string): Promise<Map<number, number>>;
}

/**
 * The recovery window: from `fromUid` (the last committed target UIDNEXT, or an older
 * intent's), or the whole folder when there is no checkpoint (lost state, pre-filled
 * target). A target that keeps markers is searched by marker instead: `pending` gives
 * the markers of the dangling intents.
 */
export async function openWindow(
  target: TargetConnector, path: string, fromUid: number | null,
  status: { readonly uidNext: number; readonly messages: number }, pending: () => ReadonlySet<string>,
): Promise<CopyWindow> {
  const byMarker = MarkerWindow.open(target, path, fromUid === null ? 'all' : pending(), status.messages);
  if (byMarker) return byMarker;
  const from = fromUid ?? 1;
  if (status.messages === 0 || from >= status.uidNext) return TargetWindow.empty(target, path);
  return TargetWindow.load(target, path, from);
}

/** The marker a copy carries on targets that keep one: the source message's identity within its pair. */
export function copyMarker(pairId: string, folderId: string, sourceKey: string): string {
  return `mailferry:${pairId}:${folderId}:${sourceKey}`;
}
