/** Runs, their per-folder results and live progress, and which run is current per pair. */
import type { Redis } from 'ioredis';
import type { StateKeys } from './keys.js';
import type { FolderProgress, FolderResult, RunRecord, RunState, RunWaiting } from './run-records.js';

/** Finished runs are kept this long for `mailferry status`. */
const RUN_RETENTION_SECONDS = 30 * 24 * 3600;
/** A mirror makes a run per burst of changes: its runs are kept a day. */
export const SHORT_RUN_RETENTION_SECONDS = 24 * 3600;
/** The run index keeps at most this many ids (a busy mirror adds thousands a day). */
const RUN_INDEX_MAX = 10_000;

export class RunStore {
  constructor(private readonly redis: Redis, private readonly keys: StateKeys) {}

  /**
   * Records a new run and makes it the pair's current one: jobs of older runs of the pair
   * then find they are not current and do nothing, and an older run still marked running
   * (its process was killed) is marked superseded.
   */
  async create(record: RunRecord): Promise<void> {
    const fields: Record<string, string> = { ...record } as unknown as Record<string, string>;
    const startedAt = Date.parse(record.startedAt);
    const previous = await this.redis.get(this.keys.currentRun(record.pairId));
    if (previous && (await this.redis.hget(this.keys.run(previous), 'state')) === 'running') {
      await this.finish(previous, 'superseded', `superseded by run ${record.runId}`);
    }
    await this.redis.multi()
      .hset(this.keys.run(record.runId), fields)
      .zadd(this.keys.runs(), startedAt, record.runId)
      // Run records expire after the retention; drop their ids from the index too.
      .zremrangebyscore(this.keys.runs(), '-inf', startedAt - RUN_RETENTION_SECONDS * 1000)
      .zremrangebyrank(this.keys.runs(), 0, -RUN_INDEX_MAX - 1)
      .set(this.keys.currentRun(record.pairId), record.runId)
      .exec();
  }

  async get(runId: string): Promise<RunRecord | null> {
    const fields = await this.redis.hgetall(this.keys.run(runId));
    return fields.runId ? (fields as unknown as RunRecord) : null;
  }

  /** False when a newer run of the same pair took over: old queued jobs then do nothing. */
  async isCurrent(run: RunRecord): Promise<boolean> {
    return (await this.currentRunId(run.pairId)) === run.runId;
  }

  /** The id of the pair's newest run (running or not), if it has had one. */
  async currentRunId(pairId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.currentRun(pairId))) ?? undefined;
  }

  async finish(runId: string, state: RunState, error?: string, retentionSeconds = RUN_RETENTION_SECONDS): Promise<void> {
    const fields: Record<string, string> = { state, finishedAt: new Date().toISOString() };
    if (error !== undefined) fields.error = error;
    await this.redis.multi()
      .hset(this.keys.run(runId), fields)
      .expire(this.keys.run(runId), retentionSeconds)
      .expire(this.keys.runFolders(runId), retentionSeconds)
      .expire(this.keys.runProgress(runId), retentionSeconds)
      .exec();
  }

  async recent(limit: number): Promise<RunRecord[]> {
    if (limit <= 0) return [];
    const ids = await this.redis.zrevrange(this.keys.runs(), 0, limit - 1);
    const runs = await Promise.all(ids.map((id) => this.get(id)));
    return runs.filter((run): run is RunRecord => run !== null);
  }

  async setFolderResult(runId: string, fid: string, result: FolderResult): Promise<void> {
    await this.redis.hset(this.keys.runFolders(runId), fid, JSON.stringify(result));
  }

  async folderResults(runId: string): Promise<FolderResult[]> {
    const values = await this.redis.hvals(this.keys.runFolders(runId));
    return values.map((value) => JSON.parse(value) as FolderResult).sort((a, b) => a.sourcePath.localeCompare(b.sourcePath));
  }

  /** Records that the run waits for the server (see RunWaiting), for the progress line. */
  async setWaiting(runId: string, waiting: RunWaiting): Promise<void> {
    await this.redis.hset(this.keys.run(runId), 'waiting', JSON.stringify(waiting));
  }

  async setProgress(runId: string, fid: string, progress: FolderProgress): Promise<void> {
    await this.redis.hset(this.keys.runProgress(runId), fid, JSON.stringify(progress));
  }

  async progress(runId: string): Promise<FolderProgress[]> {
    const values = await this.redis.hvals(this.keys.runProgress(runId));
    return values.map((value) => JSON.parse(value) as FolderProgress);
  }
}
