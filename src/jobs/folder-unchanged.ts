/**
 * The "nothing to do" test that makes a re-run cost O(folders): a folder whose source
 * UIDVALIDITY and UIDNEXT match its checkpoint (taken when it was last complete), whose
 * target is the same folder, and that has no pending intents or quarantine, has nothing
 * new to copy.
 */
import type { FolderStatus } from '../connectors/types.js';
import type { FolderCheckpoint } from '../state/index.js';

export interface FolderOverview {
  readonly checkpoint: FolderCheckpoint | null;
  readonly intents: number;
  readonly quarantined: number;
}

export function folderUnchanged(o: FolderOverview, source: FolderStatus, target: FolderStatus, targetPath: string): boolean {
  const c = o.checkpoint;
  return c !== null
    && o.intents === 0 && o.quarantined === 0
    && c.targetPath === targetPath
    && c.uidValidity === source.uidValidity
    && c.sourceUidNext === source.uidNext
    && c.targetUidValidity === target.uidValidity;
}
