/**
 * The retry policy inside a real BullMQ worker on a real Redis: a throttled server
 * delays the job without using up an attempt, a permanent error fails it at once, and a
 * transient one is retried.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/connector-error.js';
import { rethrowForQueue } from '../../../src/jobs/queue/retry-policy.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let redis: RedisServer;
let queues = 0;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.destroy();
});

/** Runs one job whose processor throws the given errors in turn, then succeeds. */
async function runJob(errors: Error[]): Promise<{ state: string; attemptsMade: number; calls: number[]; failedReason?: string }> {
  queues += 1;
  const name = `policy${queues}`;
  const connection = () => new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: connection() });
  const calls: number[] = [];
  const worker = new Worker(name, async (job: Job, token?: string) => {
    calls.push(Date.now());
    const error = errors.shift();
    if (error) await rethrowForQueue(error, job, token);
  }, { connection: connection() });
  const job = await queue.add('x', {}, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  try {
    for (let i = 0; i < 200; i += 1) {
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') {
        const fresh = (await queue.getJob(job.id as string)) as Job;
        return { state, attemptsMade: fresh.attemptsMade, calls, ...(fresh.failedReason ? { failedReason: fresh.failedReason } : {}) };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('job did not finish');
  } finally {
    await worker.close();
    await queue.close();
  }
}

describe('retry policy in a real queue', () => {
  it('a throttled server delays the job by its hint and burns no attempt', async () => {
    const throttled = () => new ConnectorError('throttled', { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 400 });
    const result = await runJob([throttled(), throttled(), throttled()]);
    expect(result.state).toBe('completed');
    // Three throttles with attempts: 3 would have failed the job if they counted.
    expect(result.calls).toHaveLength(4);
    expect((result.calls[1] as number) - (result.calls[0] as number)).toBeGreaterThanOrEqual(350);
  });

  it('a permanent error (bad password) fails the job at once, without retries', async () => {
    const result = await runJob([new ConnectorError('login: authentication failed', { code: 'AUTH_FAILED', scope: 'account', retry: 'never' })]);
    expect(result.state).toBe('failed');
    expect(result.calls).toHaveLength(1);
    expect(result.failedReason).toContain('authentication failed');
  });

  it('a transient error is retried with backoff', async () => {
    const lost = () => new ConnectorError('connection lost', { code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
    const result = await runJob([lost(), lost()]);
    expect(result.state).toBe('completed');
    expect(result.calls).toHaveLength(3);
    // BullMQ counts every finished attempt, the successful one included.
    expect(result.attemptsMade).toBe(3);
  });
});
