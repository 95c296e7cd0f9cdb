/**
 * The plan step of a run: list both sides (with each folder's status, one round trip
 * where LIST-STATUS exists), map folders, create the target folders. No message is
 * touched here.
 */
import type { FolderStatus, SourceConnector, TargetConnector } from '../connectors/types.js';
import { planFolders, type ExcludedFolder, type FolderRules, type PlannedFolder } from '../mapping/index.js';

export interface PlannedWithStatus extends PlannedFolder {
  readonly sourceStatus?: FolderStatus;
  /** Absent when the target folder was just created (or its status is unknown). */
  readonly targetStatus?: FolderStatus;
}

export interface RunPlan {
  readonly folders: readonly PlannedWithStatus[];
  readonly excluded: readonly ExcludedFolder[];
}

export async function planRun(source: SourceConnector, target: TargetConnector, rules: FolderRules): Promise<RunPlan> {
  const [sourceFolders, sourceNamespace, targetFolders, targetNamespace] = [
    await source.listFolders({ withStatus: true }), await source.namespace(),
    await target.listFolders({ withStatus: true }), await target.namespace(),
  ];
  const plan = planFolders({ sourceFolders, sourceNamespace, targetFolders, targetNamespace, rules });
  const sourceByPath = new Map(sourceFolders.map((f) => [f.path, f]));
  const targetByPath = new Map(targetFolders.map((f) => [f.path, f]));
  const folders: PlannedWithStatus[] = [];
  for (const folder of plan.folders) {
    const existing = targetByPath.get(folder.targetPath);
    if (!existing) await target.ensureFolder(folder.targetPath, folder.specialUse);
    const sourceStatus = sourceByPath.get(folder.sourcePath)?.status;
    const targetStatus = existing?.status;
    folders.push({ ...folder, ...(sourceStatus ? { sourceStatus } : {}), ...(targetStatus ? { targetStatus } : {}) });
  }
  return { folders, excluded: plan.excluded };
}
