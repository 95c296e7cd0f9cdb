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
import { isConnectorError } from '../../connectors/connector-error.js';
import type { FolderStatus, MirrorTarget, TargetConnector } from '../../connectors/types.js';
import { FolderState, moveFolderState, pairFolderPaths, type UidCopyCursor } from '../../state/index.js';
import type { PlannedWithStatus } from './plan-run.js';
import type { WorkerContext } from '../worker-context.js';

interface Vanished {
  readonly sourcePath: string;
  readonly cursor: UidCopyCursor;
}

export async function followRenames(
  ctx: WorkerContext, pairId: string, target: TargetConnector, mirror: MirrorTarget, folders: readonly PlannedWithStatus[], log: Logger,
): Promise<PlannedWithStatus[]> {
  const listed = new Set(folders.map((f) => f.sourcePath));
  const known = await pairFolderPaths(ctx.redis, ctx.keys, pairId);
  const vanished = (await Promise.all(known.filter((path) => !listed.has(path)).map(async (sourcePath) => ({ sourcePath, cursor: await cursorOf(ctx, pairId, sourcePath) }))))
    .filter((v): v is Vanished => v.cursor !== null);
  if (vanished.length === 0) return [...folders];

  const result: PlannedWithStatus[] = [];
  // Parents before children: a parent's target rename moves its children's target folders.
  const byDepth = [...folders].sort((a, b) => a.sourcePath.length - b.sourcePath.length);
  const renamed = new Map<string, PlannedWithStatus>();
  for (const folder of byDepth) {
    const uidValidity = folder.sourceStatus?.uidValidity;
    const matches = uidValidity === undefined ? [] : vanished.filter((v) => v.cursor.source.uidValidity === uidValidity);
    const old = matches.length === 1 ? matches[0] : undefined;
    if (!old || (await cursorOf(ctx, pairId, folder.sourcePath)) !== null) continue;
    const targetStatus = await renameTarget(target, mirror, old.cursor.target.path, folder.targetPath);
    if (!targetStatus) continue;
    await moveFolderState(ctx.redis, ctx.keys, { pairId, fromPath: old.sourcePath, toPath: folder.sourcePath, uidValidity: old.cursor.source.uidValidity, targetPath: folder.targetPath });
    vanished.splice(vanished.indexOf(old), 1);
    renamed.set(folder.sourcePath, { ...folder, targetStatus });
    log.info({ from: old.sourcePath, to: folder.sourcePath, targetFrom: old.cursor.target.path, targetTo: folder.targetPath }, 'source folder renamed; followed on the target');
  }
  for (const gone of vanished) log.warn({ folder: gone.sourcePath, target: gone.cursor.target.path }, 'source folder is gone; its copy on the target is kept');
  for (const folder of folders) result.push(renamed.get(folder.sourcePath) ?? folder);
  return result;
}

function cursorOf(ctx: WorkerContext, pairId: string, sourcePath: string): Promise<UidCopyCursor | null> {
  return new FolderState(ctx.redis, ctx.keys, pairId, sourcePath).cursor();
}

/** Renames the target folder unless the new one exists already (moved with its parent); its status, or undefined when neither exists. */
async function renameTarget(target: TargetConnector, mirror: MirrorTarget, from: string, to: string): Promise<FolderStatus | undefined> {
  const existing = await statusIfExists(target, to);
  if (existing) return existing;
  if (from === to || !(await statusIfExists(target, from))) return undefined;
  await mirror.renameFolder(from, to);
  return statusIfExists(target, to);
}

/**
 * The folder's status, or undefined when the server says it does not exist. Any other
 * failure (a lost connection, a refused STATUS) is not an answer: taking it for "absent"
 * would copy the renamed folder again in full, so it ends the plan, to be retried.
 */
async function statusIfExists(target: TargetConnector, path: string): Promise<FolderStatus | undefined> {
  try {
    return await target.status(path);
  } catch (error) {
    if (isConnectorError(error) && error.code === 'FOLDER_NOT_FOUND') return undefined;
    throw error;
  }
}
