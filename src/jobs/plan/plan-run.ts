/**
 * The plan step of a run: list both sides (with each folder's status, one round trip
 * where LIST-STATUS exists) and map folders. No message is touched; the plan job then
 * creates missing target folders (create-folders.ts).
 */
import type { AnySource } from '../../connectors/types.js';
import type { FolderContent, FolderInfo, FolderStatus, ItemFolderInfo, TargetConnector } from '../../connectors/types.js';
import { planFolders, type ExcludedFolder, type FolderRules, type PlannedFolder } from '../../mapping/index.js';

export interface PlannedWithStatus extends PlannedFolder {
  readonly sourceStatus?: FolderStatus;
  /** What the source folder holds, when the source says (EWS); only mail is copied. */
  readonly content?: FolderContent;
  readonly itemCount?: number;
  /** Absent when the target folder was just created (or its status is unknown). */
  readonly targetStatus?: FolderStatus;
  /** The plan made the target folder: its folder job need not. */
  readonly targetCreated?: true;
}

export interface RunPlan {
  readonly folders: readonly PlannedWithStatus[];
  readonly excluded: readonly ExcludedFolder[];
}

export async function planRun(source: Pick<AnySource, 'listFolders' | 'namespace'>, target: TargetConnector, rules: FolderRules): Promise<RunPlan> {
  const [sourceFolders, sourceNamespace, targetFolders, targetNamespace] = [
    await source.listFolders({ withStatus: true }), await source.namespace(),
    await target.listFolders({ withStatus: true }), await target.namespace(),
  ];
  const plan = planFolders({ sourceFolders, sourceNamespace, targetFolders, targetNamespace, rules });
  const sourceByPath = new Map<string, FolderInfo | ItemFolderInfo>(sourceFolders.map((f) => [f.path, f]));
  const targetByPath = new Map(targetFolders.map((f) => [f.path, f]));
  const folders = plan.folders.map((folder): PlannedWithStatus => {
    const source = sourceByPath.get(folder.sourcePath);
    const sourceStatus = source?.status;
    const targetStatus = targetByPath.get(folder.targetPath)?.status;
    const content = source && 'content' in source ? { content: source.content, itemCount: source.itemCount } : {};
    return { ...folder, ...content, ...(sourceStatus ? { sourceStatus } : {}), ...(targetStatus ? { targetStatus } : {}) };
  });
  return { folders, excluded: plan.excluded };
}
