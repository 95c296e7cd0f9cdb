/**
 * Starts runs of registered pairs on request, one at a time per pair. A request while a
 * run is going is remembered (a set of folders, "*" for all) and taken by the next run,
 * which starts as soon as the current one finishes: bursts of changes coalesce into few
 * runs, and nothing asked for is dropped.
 *
 * The run slot (a key holding the running run's id) is the pair's lease: it is taken with
 * SET NX and freed by the run's finish job. A slot whose run is no longer running (its
 * record expired, or it ended without freeing the slot) is taken over.
 *
 * Ordering that makes requests safe: a request adds to the pending set BEFORE trying the
 * slot; a finishing run frees the slot BEFORE looking at the pending set. Whatever the
 * interleaving, a request either starts a run itself or is seen by the finishing one.
 */
import { randomBytes } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import { RunSlots, type PairRegistry, type RedisConnection, type RunStore, type StateKeys, type TakenRequests } from '../../state/index.js';
import { DEFAULT_JOB_OPTIONS, JOB_PLAN, jobIdOf, queueOfRun, type PlanJobData } from './queue.js';

/** A run this old whose queue has no worker is taken to be orphaned (see orphaned()). */
const ORPHAN_AGE_MS = 60_000;

/** "Every folder", in the pending set and as a request. */
export const ALL_FOLDERS = '*';

export class RunTrigger {
  private readonly queues = new Map<string, Queue>();
  private readonly slots: RunSlots;

  constructor(
    redis: RedisConnection,
    keys: StateKeys,
    private readonly runs: RunStore,
    private readonly registry: PairRegistry,
    private readonly bullmq: { readonly connection: ConnectionOptions; readonly prefix: string },
  ) {
    this.slots = new RunSlots(redis, keys);
  }

  /**
   * Asks for a run of the pair over `folders` (source paths) or every folder. Returns the
   * id of the run it started, or undefined when a run is going (the request waits for it).
   */
  async request(pairId: string, folders: readonly string[] | typeof ALL_FOLDERS, token?: string): Promise<string | undefined> {
    const members = folders === ALL_FOLDERS ? [ALL_FOLDERS] : folders;
    if (members.length === 0) return undefined;
    await this.slots.addRequest(pairId, members, token);
    return this.tryStart(pairId);
  }

  /**
   * The run that took the request made with `token`, once one has (it may be a run
   * started by another process, after the run that was going when the request came).
   */
  async runOfRequest(token: string): Promise<string | undefined> {
    return this.slots.answerOf(token);
  }

  /** Called once a run has ended: frees its slot and starts the run asked for meanwhile, if any. */
  async finished(pairId: string, runId: string): Promise<void> {
    await this.slots.free(pairId, runId);
    if (await this.slots.hasRequests(pairId)) await this.tryStart(pairId);
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
  }

  private async tryStart(pairId: string): Promise<string | undefined> {
    const runId = newRunId();
    if (!(await this.takeSlot(pairId, runId))) return undefined;
    let requests: TakenRequests = { folders: [], tokens: [] };
    let created = false;
    try {
      requests = await this.slots.takeRequests(pairId);
      // Another run took the requests between our SADD and our slot: nothing left to do.
      if (requests.folders.length === 0) {
        await this.slots.free(pairId, runId);
        return undefined;
      }
      const pair = await this.registry.get(pairId);
      if (!pair) throw new Error(`pair ${pairId} is not registered (run \`mailferry daemon\` or \`mailferry enqueue\` with its config)`);
      const focus = requests.folders.includes(ALL_FOLDERS) ? undefined : [...requests.folders].sort();
      await this.runs.create({
        runId, pairId, pairName: pair.spec.pairName, state: 'running', startedAt: new Date().toISOString(),
        spec: JSON.stringify(pair.spec), queue: pair.queue, ...(focus === undefined ? {} : { focus: JSON.stringify(focus) }),
      });
      created = true;
      await this.queue(pair.queue).add(JOB_PLAN, { runId } satisfies PlanJobData, { ...DEFAULT_JOB_OPTIONS, jobId: jobIdOf(runId, 'plan') });
      await this.slots.answer(requests.tokens, runId);
      return runId;
    } catch (error) {
      // Give the requests back for the next run, then free the slot.
      if (created) await this.runs.finish(runId, 'failed', `could not be queued: ${(error as Error).message}`);
      await this.slots.giveBack(pairId, requests);
      await this.slots.free(pairId, runId);
      throw error;
    }
  }

  /** The slot when free, or when its holder is no longer a running run (or one nobody can work). */
  private async takeSlot(pairId: string, runId: string): Promise<boolean> {
    const attempt = await this.slots.take(pairId, runId);
    if (attempt.taken) return true;
    const run = await this.runs.get(attempt.holder);
    if (run !== null && run.state === 'running' && !(await this.orphaned(run))) return false;
    return this.slots.takeOver(pairId, attempt.holder, runId);
  }

  /**
   * A running run whose queue no worker serves any more (a `mirror` one-liner that was
   * stopped, while a daemon serves the pair from another queue) would hold the slot for
   * ever. After a minute of age it gives way. A Redis that hides its client list (some
   * managed services) counts as served: holding on is the safe side.
   */
  private async orphaned(run: { readonly startedAt: string; readonly queue?: string; readonly pairId: string }): Promise<boolean> {
    if (Date.now() - Date.parse(run.startedAt) < ORPHAN_AGE_MS) return false;
    try {
      return (await this.queue(queueOfRun(run)).getWorkersCount()) === 0;
    } catch {
      return false;
    }
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.bullmq.connection, prefix: this.bullmq.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }
}

export function newRunId(): string {
  return `r${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}
