/**
 * The plan step of a run: list both sides, map folders, create the target folders.
 * Its output is the list of folder tasks; no message is touched here.
 */
import type { SourceConnector, TargetConnector } from '../connectors/types.js';
import { planFolders, type ExcludedFolder, type FolderRules, type PlannedFolder } from '../mapping/index.js';

export interface RunPlan {
  readonly folders: readonly PlannedFolder[];
  readonly excluded: readonly ExcludedFolder[];
}

export async function planRun(source: SourceConnector, target: TargetConnector, rules: FolderRules): Promise<RunPlan> {
  const [sourceFolders, sourceNamespace, targetFolders, targetNamespace] = [
    await source.listFolders(), await source.namespace(), await target.listFolders(), await target.namespace(),
  ];
  const plan = planFolders({ sourceFolders, sourceNamespace, targetFolders, targetNamespace, rules });
  const existing = new Set(targetFolders.map((f) => f.path));
  for (const folder of plan.folders) {
    if (!existing.has(folder.targetPath)) await target.ensureFolder(folder.targetPath, folder.specialUse);
  }
  return plan;
}
