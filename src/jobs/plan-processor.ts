/** The plan job: map folders, create them on the target, then fan out one job per folder. */
import { FlowProducer, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { isMirrorSource, isMirrorTarget, type FolderStatus, type MirrorTarget, type TargetConnector } from '../connectors/types.js';
import { FolderState, MirrorState, folderId, type RunRecord } from '../state/index.js';
import { followRenames } from './follow-renames.js';
import { mirrorInSync } from './mirror-folder.js';
import { folderUnchanged } from './folder-unchanged.js';
import type { RunSpec } from '../config/index.js';
import { leaseBoth } from './lease-connectors.js';
import { planRun, type PlannedWithStatus, type RunPlan } from './plan-run.js';
import {
  DEFAULT_JOB_OPTIONS, JOB_FINISH, JOB_FOLDER, jobIdOf, queueOfRun,
  type FinishJobData, type FolderJobData, type PlanJobData,
} from './queue.js';
import { isFinalFailure, rethrowForQueue } from './retry-policy.js';
import { currentRun, type WorkerContext } from './worker-context.js';

export async function processPlan(ctx: WorkerContext, flows: FlowProducer, job: Job<PlanJobData>, token?: string): Promise<void> {
  const found = await currentRun(ctx, job.data.runId);
  if (!found) return;
  const { run, spec } = found;
  const log = ctx.log.child({ runId: run.runId, pair: run.pairName });
  try {
    const { plan, mirrors } = await planWithConnections(ctx, spec, run, log);
    const mail = await recordNonMailFolders(ctx, run, plan.folders);
    const changed = await recordUnchangedFolders(ctx, run, mail, mirrors);
    log.info({ folders: plan.folders.length, notMail: plan.folders.length - mail.length, unchanged: mail.length - changed.length, excluded: plan.excluded.length }, 'run planned');
    const queueName = queueOfRun(run);
    // Largest folders first (by bytes where the server says, else by messages): the run
    // ends when its last folder does, and a big folder started last would leave the
    // other workers idle meanwhile.
    const weight = (f: PlannedWithStatus) => f.sourceStatus?.bytes ?? f.sourceStatus?.messages ?? 0;
    const largestFirst = [...changed].sort((a, b) => weight(b) - weight(a));
    const children = largestFirst.map((folder) => ({
      name: JOB_FOLDER,
      queueName,
      data: {
        runId: run.runId, sourcePath: folder.sourcePath, targetPath: folder.targetPath,
        ...(folder.targetStatus ? {} : { createTarget: true }),
      } satisfies FolderJobData,
      opts: { ...DEFAULT_JOB_OPTIONS, jobId: jobIdOf(run.runId, 'folder', folderId(folder.sourcePath)), ignoreDependencyOnFailure: true },
    }));
    await flows.add({
      name: JOB_FINISH,
      queueName,
      data: { runId: run.runId } satisfies FinishJobData,
      opts: { ...DEFAULT_JOB_OPTIONS, jobId: jobIdOf(run.runId, 'finish') },
      children,
    });
  } catch (error) {
    if (isFinalFailure(error, job)) {
      log.error({ err: error }, 'run failed while planning');
      await ctx.runs.finish(run.runId, 'failed', (error as Error).message);
    }
    await rethrowForQueue(error, job, token);
  }
}

/**
 * Calendars, contacts and tasks (EWS) have no MIME form to copy into a mail folder: they
 * are reported as skipped with their item counts, an explicit gap rather than silence.
 * Returns the mail folders.
 */
async function recordNonMailFolders(ctx: WorkerContext, run: RunRecord, folders: readonly PlannedWithStatus[]): Promise<PlannedWithStatus[]> {
  const mail: PlannedWithStatus[] = [];
  for (const folder of folders) {
    if (folder.content === undefined || folder.content === 'mail') {
      mail.push(folder);
      continue;
    }
    await ctx.runs.setFolderResult(run.runId, folderId(folder.sourcePath), {
      sourcePath: folder.sourcePath, targetPath: folder.targetPath, outcome: 'skipped',
      error: `${folder.content} folder with ${folder.itemCount ?? 0} item(s): only mail is migrated`,
      selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0, quarantine: [],
    });
  }
  return mail;
}

/**
 * Folders with nothing new get their (empty) result right away instead of a job: a
 * re-run of an unchanged pair then costs one LIST-STATUS per side and, for the Redis
 * side, requests issued together (ioredis pipelines them on its one connection) rather
 * than one round trip per folder in turn. Returns the folders that need a job.
 */
async function recordUnchangedFolders(ctx: WorkerContext, run: RunRecord, folders: readonly PlannedWithStatus[], mirrors: boolean): Promise<PlannedWithStatus[]> {
  const focus = run.focus === undefined ? undefined : new Set(JSON.parse(run.focus) as string[]);
  const checked = await Promise.all(folders.map(async (folder) => {
    const state = new FolderState(ctx.redis, ctx.keys, run.pairId, folder.sourcePath);
    const unchanged = folder.sourceStatus !== undefined && folder.targetStatus !== undefined
      && folderUnchanged(await state.overview(), folder.sourceStatus, folder.targetStatus, folder.targetPath)
      && (!mirrors || await mirrorUnchanged(ctx, run, folder.sourcePath, folder.sourceStatus, focus));
    if (unchanged) {
      await ctx.runs.setFolderResult(run.runId, state.fid, {
        sourcePath: folder.sourcePath, targetPath: folder.targetPath, outcome: 'done',
        selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0, quarantine: [],
      });
    }
    return { folder, unchanged };
  }));
  return checked.filter((c) => !c.unchanged).map((c) => c.folder);
}

/** A mirror's folder is unchanged only when flags and deletions are in sync too (see mirrorInSync). */
async function mirrorUnchanged(ctx: WorkerContext, run: RunRecord, sourcePath: string, status: FolderStatus, focus: ReadonlySet<string> | undefined): Promise<boolean> {
  const cursor = await new MirrorState(ctx.redis, ctx.keys, run.pairId, sourcePath).cursor();
  return cursor !== null && mirrorInSync(cursor, status, focus === undefined || focus.has(sourcePath));
}

/**
 * Plans with pooled connections, given back before any folder job can start (connection
 * budget). `mirrors`: the run follows flags and deletions (a mirror or backup whose
 * connectors can); a mirror also follows folder renames here.
 */
async function planWithConnections(ctx: WorkerContext, spec: RunSpec, run: RunRecord, log: Logger): Promise<{ plan: RunPlan; mirrors: boolean }> {
  const [source, target] = await leaseBoth(ctx.connections, spec);
  let healthy = false;
  try {
    const plan = await planRun(source.connector, target.connector, spec.rules);
    const mode = spec.mode ?? 'migrate';
    const mirrors = mode !== 'migrate' && isMirrorSource(source.connector) && isMirrorTarget(target.connector);
    const folders = mode === 'mirror' && isMirrorTarget(target.connector)
      ? await followRenames(ctx, run.pairId, target.connector as TargetConnector & MirrorTarget, plan.folders, log)
      : plan.folders;
    healthy = true;
    return { plan: { ...plan, folders }, mirrors };
  } finally {
    await Promise.allSettled([source.release(healthy), target.release(healthy)]);
  }
}
