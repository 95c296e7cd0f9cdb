/**
 * The target folders a run lacks that are parents of other folders of the run are made
 * here, parents before children, before any folder job starts. Folder jobs run largest
 * first and in parallel, so leaving creation to them made `Кириллица/Входящие 2019` before
 * `Кириллица`; servers that then make the parent along with the child (Cyrus) refuse the
 * parent's own CREATE. A parent's path is a prefix of its child's, so shortest first is
 * parents first. The other folders are made by their folder jobs, in parallel.
 *
 * A folder that cannot be made here is left to its folder job, which tries again and
 * reports the server's reason as that folder's failure; only an account-wide failure
 * stops the plan.
 */
import type { Logger } from 'pino';
import { isConnectorError } from '../../connectors/connector-error.js';
import type { TargetConnector } from '../../connectors/types.js';
import type { PlannedWithStatus } from './plan-run.js';

export async function createMissingFolders(target: TargetConnector, folders: readonly PlannedWithStatus[], log: Logger): Promise<PlannedWithStatus[]> {
  const missing = folders.filter((folder) => folder.targetStatus === undefined && holdsMail(folder));
  const isParent = (folder: PlannedWithStatus) => folders.some((other) => other.targetPath.length > folder.targetPath.length && other.targetPath.startsWith(folder.targetPath));
  const parentsFirst = missing.filter(isParent).sort((a, b) => a.targetPath.length - b.targetPath.length);
  const made = new Set<string>();
  for (const folder of parentsFirst) {
    try {
      await target.ensureFolder(folder.targetPath);
      made.add(folder.targetPath);
    } catch (error) {
      if (!isConnectorError(error) || error.scope === 'account') throw error;
      log.warn({ err: error, folder: folder.targetPath }, 'could not create the target folder; its folder job tries again');
    }
  }
  return folders.map((folder) => (made.has(folder.targetPath) ? { ...folder, targetCreated: true } : folder));
}

/** Calendars, contacts and tasks are reported, not copied, so their folders are not made. */
function holdsMail(folder: PlannedWithStatus): boolean {
  return folder.content === undefined || folder.content === 'mail';
}
