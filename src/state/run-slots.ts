/**
 * A pair's run slot and what was asked for while it was taken (see jobs/queue/run-trigger.ts
 * for why the order of these steps makes requests safe): the slot is a key holding the id
 * of the pair's running run, taken with SET NX; requests wait in a set of folders ("*":
 * every folder) and a set of requester tokens, which the next run takes as a whole.
 */
import type { Redis } from 'ioredis';
import type { StateKeys } from './keys.js';
import { Script } from './script.js';

/** How long the answer to a request (which run took it) is kept for its requester. */
const REQUEST_ANSWER_SECONDS = 24 * 3600;

/** KEYS: slot. ARGV: expected holder, new holder. Takes the slot over from a run that no longer holds it. */
const TAKE_OVER = new Script('take_over_run_slot', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`);

/** KEYS: slot. ARGV: holder. Frees the slot only if this run holds it. */
const FREE = new Script('free_run_slot', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

/** What a run took from the waiting requests. */
export interface TakenRequests {
  /** Folders asked for ("*": every folder). */
  readonly folders: string[];
  /** Tokens of the requesters waiting for an answer. */
  readonly tokens: string[];
}

export class RunSlots {
  constructor(private readonly redis: Redis, private readonly keys: StateKeys) {}

  /** Remembers a request (folders, and the requester's token when it waits for an answer). */
  async addRequest(pairId: string, folders: readonly string[], token?: string): Promise<void> {
    const multi = this.redis.multi().sadd(this.keys.pendingRun(pairId), ...folders);
    if (token !== undefined) multi.sadd(this.keys.pendingTokens(pairId), token);
    await multi.exec();
  }

  async hasRequests(pairId: string): Promise<boolean> {
    return (await this.redis.scard(this.keys.pendingRun(pairId))) > 0;
  }

  /** Takes every waiting request, atomically. */
  async takeRequests(pairId: string): Promise<TakenRequests> {
    const taken = await this.redis.multi()
      .smembers(this.keys.pendingRun(pairId)).smembers(this.keys.pendingTokens(pairId))
      .del(this.keys.pendingRun(pairId), this.keys.pendingTokens(pairId))
      .exec();
    return { folders: (taken?.[0]?.[1] ?? []) as string[], tokens: (taken?.[1]?.[1] ?? []) as string[] };
  }

  /** Puts taken requests back for the next run (the run could not be started). */
  async giveBack(pairId: string, requests: TakenRequests): Promise<void> {
    if (requests.folders.length === 0 && requests.tokens.length === 0) return;
    const back = this.redis.multi();
    if (requests.folders.length > 0) back.sadd(this.keys.pendingRun(pairId), ...requests.folders);
    if (requests.tokens.length > 0) back.sadd(this.keys.pendingTokens(pairId), ...requests.tokens);
    await back.exec();
  }

  /** Tells each requester which run took its request. */
  async answer(tokens: readonly string[], runId: string): Promise<void> {
    if (tokens.length === 0) return;
    const answers = this.redis.multi();
    for (const token of tokens) answers.set(this.keys.requestRun(token), runId, 'EX', REQUEST_ANSWER_SECONDS);
    await answers.exec();
  }

  /** The run that took the request made with `token`, once one has. */
  async answerOf(token: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.requestRun(token))) ?? undefined;
  }

  /** Takes the slot when it is free; else the id of the run holding it. */
  async take(pairId: string, runId: string): Promise<{ taken: true } | { taken: false; holder: string }> {
    const slot = this.keys.activeRun(pairId);
    for (;;) {
      if ((await this.redis.set(slot, runId, 'NX')) === 'OK') return { taken: true };
      const holder = await this.redis.get(slot);
      // Freed between the two commands: try again.
      if (holder !== null) return { taken: false, holder };
    }
  }

  /** Takes the slot from `holder`, if it still holds it. */
  async takeOver(pairId: string, holder: string, runId: string): Promise<boolean> {
    return (await TAKE_OVER.run(this.redis, [this.keys.activeRun(pairId)], [holder, runId])) === 1;
  }

  /** Frees the slot if `runId` holds it. */
  async free(pairId: string, runId: string): Promise<void> {
    await FREE.run(this.redis, [this.keys.activeRun(pairId)], [runId]);
  }
}
