/**
 * The "nothing to do" test that makes a re-run cost O(folders): a folder whose source
 * UIDVALIDITY and UIDNEXT match its cursor (taken when it was last complete), whose
 * target is the same folder, and that has no pending intents or quarantine, has nothing
 * new to copy. When the run also brings earlier copies' flags up to date, the source's
 * HIGHESTMODSEQ must match too (without CONDSTORE nothing says flags are unchanged).
 */
import type { FolderStatus } from '../../connectors/types.js';
import type { FolderOverview } from '../../state/index.js';

export function folderUnchanged(o: FolderOverview, source: FolderStatus, target: FolderStatus, targetPath: string, followsFlags: boolean): boolean {
  const c = o.cursor;
  if (c === null || o.intents > 0 || o.quarantined > 0) return false;
  const copied = c.target.path === targetPath
    && c.target.uidValidity === target.uidValidity
    && c.source.uidValidity === source.uidValidity
    && c.source.uidNext === source.uidNext;
  const flagsInSync = !followsFlags || (source.highestModseq !== undefined && c.source.highestModseq === source.highestModseq);
  return copied && flagsInSync;
}
