/**
 * A mirror follows folder renames on the source instead of copying the folder again: a
 * new source folder (no state yet) whose UIDVALIDITY is that of exactly one folder that
 * vanished from the source is taken to be that folder renamed (IMAP servers such as
 * Dovecot keep UIDVALIDITY across RENAME). Its target folder is renamed to the new
 * mapped path and its state moved along. Children renamed with their parent are found
 * the same way; their target folders have moved with the parent's already.
 *
 * A folder that vanished without a match keeps its copy on the target: a mirror does not
 * delete folders, and says so in the log.
 */
import type { Logger } from 'pino';
import type { MirrorTarget, TargetConnector } from '../connectors/types.js';
import { FolderState, moveFolderState, type FolderCheckpoint } from '../state/index.js';
import type { PlannedWithStatus } from './plan-run.js';
import type { WorkerContext } from './worker-context.js';

export async function followRenames(
  ctx: WorkerContext, pairId: string, target: TargetConnector & MirrorTarget, folders: readonly PlannedWithStatus[], log: Logger,
): Promise<PlannedWithStatus[]> {
  const listed = new Set(folders.map((f) => f.sourcePath));
  const known = Object.values(await ctx.redis.hgetall(ctx.keys.pairFolders(pairId)));
  const vanished = (await Promise.all(known.filter((path) => !listed.has(path)).map((path) => checkpointOf(ctx, pairId, path))))
    .filter((c): c is FolderCheckpoint => c !== null);
  if (vanished.length === 0) return [...folders];

  const result: PlannedWithStatus[] = [];
  // Parents before children: a parent's target rename moves its children's target folders.
  const byDepth = [...folders].sort((a, b) => a.sourcePath.length - b.sourcePath.length);
  const renamed = new Map<string, PlannedWithStatus>();
  for (const folder of byDepth) {
    const uidValidity = folder.sourceStatus?.uidValidity;
    const matches = uidValidity === undefined ? [] : vanished.filter((c) => c.uidValidity === uidValidity);
    const old = matches.length === 1 ? matches[0] : undefined;
    if (!old || (await checkpointOf(ctx, pairId, folder.sourcePath)) !== null) continue;
    const targetStatus = await renameTarget(target, old.targetPath, folder.targetPath);
    if (!targetStatus) continue;
    await moveFolderState(ctx.redis, ctx.keys, { pairId, fromPath: old.sourcePath, toPath: folder.sourcePath, uidValidity: old.uidValidity, targetPath: folder.targetPath });
    vanished.splice(vanished.indexOf(old), 1);
    renamed.set(folder.sourcePath, { ...folder, targetStatus });
    log.info({ from: old.sourcePath, to: folder.sourcePath, targetFrom: old.targetPath, targetTo: folder.targetPath }, 'source folder renamed; followed on the target');
  }
  for (const gone of vanished) log.warn({ folder: gone.sourcePath, target: gone.targetPath }, 'source folder is gone; its copy on the target is kept');
  for (const folder of folders) result.push(renamed.get(folder.sourcePath) ?? folder);
  return result;
}

function checkpointOf(ctx: WorkerContext, pairId: string, sourcePath: string): Promise<FolderCheckpoint | null> {
  return new FolderState(ctx.redis, ctx.keys, pairId, sourcePath).checkpoint();
}

/** Renames the target folder unless the new one exists already (moved with its parent); its status, or undefined when neither exists. */
async function renameTarget(target: TargetConnector & MirrorTarget, from: string, to: string) {
  const statusOf = (path: string) => target.status(path).catch(() => undefined);
  const existing = await statusOf(to);
  if (existing) return existing;
  if (from === to || !(await statusOf(from))) return undefined;
  await target.renameFolder(from, to);
  return statusOf(to);
}
