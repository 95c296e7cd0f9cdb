import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { ConnectorError, type RetryKind } from '../../../src/connectors/connector-error.js';
import { InterruptedError } from '../../../src/jobs/queue/interrupted-error.js';
import { isFinalFailure } from '../../../src/jobs/queue/retry-policy.js';
import { MappingError } from '../../../src/mapping/index.js';
import { LeaseHeldError } from '../../../src/state/index.js';

/** isFinalFailure reads only attemptsMade and opts.attempts. */
function job(attemptsMade: number, attempts?: number): Job {
  return { attemptsMade, opts: attempts === undefined ? {} : { attempts } } as unknown as Job;
}

function connectorError(retry: RetryKind): ConnectorError {
  return new ConnectorError(`retry ${retry}`, {
    code: retry === 'later' ? 'THROTTLED' : retry === 'never' ? 'AUTH_FAILED' : 'CONNECTION_LOST',
    scope: 'account', retry, ...(retry === 'later' ? { retryAfterMs: 1000 } : {}),
  });
}

describe('isFinalFailure', () => {
  it.each<[string, unknown, Job, boolean]>([
    // Never final: the job is delayed, no attempt is burned.
    ['interrupted, even on the last attempt', new InterruptedError(), job(4, 5), false],
    ['lease held by another worker, even on the last attempt', new LeaseHeldError('k', 'host:1:abc'), job(4, 5), false],
    ['throttled (retry later), even on the last attempt', connectorError('later'), job(4, 5), false],
    ['throttled with no attempts configured', connectorError('later'), job(0), false],
    // Permanent: final on the first attempt.
    ['auth failure (retry never) on the first attempt', connectorError('never'), job(0, 5), true],
    ['config error on the first attempt', new ConfigError('bad'), job(0, 5), true],
    ['mapping error on the first attempt', new MappingError('bad rule'), job(0, 5), true],
    // Transient: final only once the attempts are used up.
    ['transient connector error, first of 5', connectorError('now'), job(0, 5), false],
    ['transient connector error, 4th of 5', connectorError('now'), job(3, 5), false],
    ['transient connector error, last of 5', connectorError('now'), job(4, 5), true],
    ['transient connector error beyond the attempts', connectorError('now'), job(7, 5), true],
    ['plain Error, first of 3', new Error('redis hiccup'), job(0, 3), false],
    ['plain Error, last of 3', new Error('redis hiccup'), job(2, 3), true],
    ['plain Error without attempts configured (1 attempt)', new Error('x'), job(0), true],
    ['a thrown string, first of 2', 'boom', job(0, 2), false],
    ['undefined, last of 2', undefined, job(1, 2), true],
  ])('%s -> %s', (_name, error, j, final) => {
    expect(isFinalFailure(error, j)).toBe(final);
  });
});
