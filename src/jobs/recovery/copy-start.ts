/**
 * Where a folder copy starts, the same for every kind of source (ARCHITECTURE.md,
 * "Identity, checkpoints and exactly-once effects"): the stored cursor if it still names
 * both folders, and the window where copies made before an interruption may sit, opened
 * by the recovery strategy the target declares.
 */
import type { FolderStatus, TargetRecovery } from '../../connectors/types.js';
import type { CopyCursor, CopyIntent, SourceCursor } from '../../state/index.js';
import type { CopyInput } from '../copy/copy-input.js';
import { MarkerWindow } from './marker-window.js';
import type { RecoveryWindow } from './recovery-window.js';
import { UidWindow } from './uid-window.js';

export interface CopyStart {
  readonly targetStatus: FolderStatus;
  /** The stored cursor; null when there is none or it no longer fit (the folder's state was then reset). */
  readonly cursor: CopyCursor | null;
  readonly window: RecoveryWindow;
}

/**
 * @param accepts - the stored source cursor still names the source folder's messages.
 * @param markerOf - the marker a copy of the message with this key carries.
 */
export async function startCopy(input: CopyInput, accepts: (cursor: SourceCursor) => boolean, markerOf: (key: string) => string): Promise<CopyStart> {
  const { target, targetPath, state, lease, log } = input;
  const targetStatus = await target.status(targetPath);
  let cursor = await state.cursor();
  if (cursor && !(cursor.target.path === targetPath && cursor.target.uidValidity === targetStatus.uidValidity && accepts(cursor.source))) {
    log.warn({ was: cursor.target.path, now: targetPath }, 'folder identity changed (source UIDVALIDITY, or another or a recreated target folder); re-matching by content');
    await state.reset(lease);
    cursor = null;
  }
  const intents = cursor ? await state.intents() : [];
  const window = await openWindow(target.features.recovery, targetPath, targetStatus, cursor, intents, markerOf);
  if (window.size > 0) log.info({ window: window.size }, 'checking target window for copies made before an interruption');
  return { targetStatus, cursor, window };
}

/**
 * Without a cursor (lost state, a target pre-filled by an earlier run or another tool)
 * the whole target folder; otherwise only what the dangling intents point at: the UIDs
 * from the last committed target UIDNEXT on, or the intents' markers.
 */
async function openWindow(
  recovery: TargetRecovery, path: string, status: FolderStatus, cursor: CopyCursor | null, intents: readonly CopyIntent[], markerOf: (key: string) => string,
): Promise<RecoveryWindow> {
  if (recovery.kind === 'marker') {
    if (status.messages === 0) return new MarkerWindow(recovery, path, new Set(), 0);
    if (cursor === null) return new MarkerWindow(recovery, path, 'all', status.messages);
    return new MarkerWindow(recovery, path, new Set(intents.map((i) => markerOf(i.key))), intents.length);
  }
  const from = cursor === null ? 1 : Math.min(cursor.target.uidNext, ...intents.map((i) => i.targetUidNextBefore));
  if (status.messages === 0 || from >= status.uidNext) return UidWindow.empty(recovery, path);
  return UidWindow.load(recovery, path, from);
}
