/** The plan job: map folders, create missing ones on the target (parents first), then fan out one job per folder. */
import { FlowProducer, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AnySource, FolderStatus, TargetConnector } from '../../connectors/types.js';
import { FolderState, MirrorState, folderId, type RunRecord } from '../../state/index.js';
import { createMissingFolders } from './create-folders.js';
import { followRenames } from './follow-renames.js';
import { mirrorInSync } from '../mirror/mirror-folder.js';
import { folderUnchanged } from './folder-unchanged.js';
import type { RunSpec } from '../../config/index.js';
import { leaseBoth } from '../connections/lease-connectors.js';
import { planRun, type PlannedWithStatus, type RunPlan } from './plan-run.js';
import {
  DEFAULT_JOB_OPTIONS, JOB_FINISH, JOB_FOLDER, jobIdOf, queueOfRun,
  type FinishJobData, type FolderJobData, type PlanJobData,
} from '../queue/queue.js';
import { isFinalFailure, rethrowForQueue } from '../queue/retry-policy.js';
import { noteWaiting } from '../queue/run-waiting.js';
import { currentRun, type WorkerContext } from '../worker-context.js';

export async function processPlan(ctx: WorkerContext, flows: FlowProducer, job: Job<PlanJobData>, token?: string): Promise<void> {
  const found = await currentRun(ctx, job.data.runId);
  if (!found) return;
  const { run, spec } = found;
  const log = ctx.log.child({ runId: run.runId, pair: run.pairName });
  try {
    const { plan, follows } = await planWithConnections(ctx, spec, run, log);
    const mail = await recordNonMailFolders(ctx, run, plan.folders);
    const changed = await recordUnchangedFolders(ctx, run, mail, follows);
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
        ...(folder.targetStatus || folder.targetCreated ? {} : { createTarget: true }),
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
    } else {
      await noteWaiting(ctx.runs, run.runId, error);
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
async function recordUnchangedFolders(ctx: WorkerContext, run: RunRecord, folders: readonly PlannedWithStatus[], follows: Following): Promise<PlannedWithStatus[]> {
  const focus = run.focus === undefined ? undefined : new Set(JSON.parse(run.focus) as string[]);
  const checked = await Promise.all(folders.map(async (folder) => {
    const state = new FolderState(ctx.redis, ctx.keys, run.pairId, folder.sourcePath);
    const unchanged = folder.sourceStatus !== undefined && folder.targetStatus !== undefined
      && folderUnchanged(await state.overview(), folder.sourceStatus, folder.targetStatus, folder.targetPath, follows === 'flags')
      && (follows !== 'mirror' || await mirrorUnchanged(ctx, run, folder.sourcePath, folder.sourceStatus, focus));
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
 * What a run follows of the messages it copied before: their flags and deletions (a
 * mirror or backup whose connectors can), their flags (a migration's re-run), or nothing.
 */
type Following = 'mirror' | 'flags' | 'none';

function following(mode: RunSpec['mode'], source: AnySource, target: TargetConnector): Following {
  if (source.kind !== 'uid' || !source.features.mirror || !target.features.mirror) return 'none';
  return (mode ?? 'migrate') === 'migrate' ? 'flags' : 'mirror';
}

/**
 * Plans with pooled connections, given back before any folder job can start (connection
 * budget). A mirror also follows folder renames here.
 */
async function planWithConnections(ctx: WorkerContext, spec: RunSpec, run: RunRecord, log: Logger): Promise<{ plan: RunPlan; follows: Following }> {
  const [source, target] = await leaseBoth(ctx.connections, spec);
  let healthy = false;
  try {
    const plan = await planRun(source.connector, target.connector, spec.rules);
    const mirror = target.connector.features.mirror;
    const followed = spec.mode === 'mirror' && mirror
      ? await followRenames(ctx, run.pairId, target.connector, mirror, plan.folders, log)
      : plan.folders;
    const folders = await createMissingFolders(target.connector, followed, log);
    healthy = true;
    return { plan: { ...plan, folders }, follows: following(spec.mode, source.connector, target.connector) };
  } finally {
    await Promise.allSettled([source.release(healthy), target.release(healthy)]);
  }
}
