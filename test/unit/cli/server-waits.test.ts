/**
 * waitingForServer (server-waits.ts): verify's own answer to a server's "not now" (retry
 * 'later': throttled, POP3 [IN-USE] / [LOGIN-DELAY]). It waits as long as the server asks,
 * saying until when, tries again, and gives up once the total would pass maxWaitMs. Sleep is
 * injected and Date faked: nothing really waits.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitingForServer } from '../../../src/cli/server-waits.js';
import { ConnectorError, type RetryKind } from '../../../src/connectors/connector-error.js';

const NOW = new Date(2024, 4, 1, 10, 0, 0);

function notNow(message: string, retryAfterMs?: number, retry: RetryKind = 'later'): ConnectorError {
  return new ConnectorError(message, { code: 'THROTTLED', scope: 'account', retry, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

/** An attempt that throws `errors` in turn, then answers 'done'; counts its calls. */
function scripted(...errors: Error[]): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    attempt: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

/** A sleep that records its waits and moves the faked clock on. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
      vi.setSystemTime(Date.now() + ms);
    },
  };
}

const hhmmss = (date: Date): string => [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('waitingForServer', () => {
  it('answers at once when the first attempt succeeds, saying nothing', async () => {
    const { attempt } = scripted();
    const said: string[] = [];
    const { sleep, waits } = recordingSleep();
    await expect(waitingForServer(attempt, (line) => said.push(line), { sleep })).resolves.toBe('done');
    expect(waits).toEqual([]);
    expect(said).toEqual([]);
  });

  it("retries a retry-'later' error after its retryAfterMs, saying until when and why each time", async () => {
    const { attempt, calls } = scripted(notNow('[LOGIN-DELAY] wait a minute', 60_000), notNow('[IN-USE] mailbox locked', 30_000));
    const said: string[] = [];
    const { sleep, waits } = recordingSleep();
    await expect(waitingForServer(attempt, (line) => said.push(line), { sleep })).resolves.toBe('done');
    expect(calls()).toBe(3);
    expect(waits).toEqual([60_000, 30_000]);
    expect(said).toEqual([
      `waiting until ${hhmmss(new Date(NOW.getTime() + 60_000))}: [LOGIN-DELAY] wait a minute`,
      `waiting until ${hhmmss(new Date(NOW.getTime() + 90_000))}: [IN-USE] mailbox locked`,
    ]);
    expect(said[0]).toContain('waiting until 10:01:00: [LOGIN-DELAY] wait a minute');
  });

  it('waits a minute when the error does not say how long', async () => {
    const { attempt } = scripted(notNow('throttled'));
    const { sleep, waits } = recordingSleep();
    await waitingForServer(attempt, () => {}, { sleep });
    expect(waits).toEqual([60_000]);
  });

  it('waits up to exactly maxWaitMs in all', async () => {
    const { attempt } = scripted(notNow('busy', 5_000), notNow('busy', 5_000));
    const { sleep, waits } = recordingSleep();
    await expect(waitingForServer(attempt, () => {}, { sleep, maxWaitMs: 10_000 })).resolves.toBe('done');
    expect(waits).toEqual([5_000, 5_000]);
  });

  it('gives up, rethrowing the error, when the total wait would pass maxWaitMs', async () => {
    const last = notNow('busy again', 5_000);
    const { attempt, calls } = scripted(notNow('busy', 5_000), last);
    const said: string[] = [];
    const { sleep, waits } = recordingSleep();
    await expect(waitingForServer(attempt, (line) => said.push(line), { sleep, maxWaitMs: 8_000 })).rejects.toBe(last);
    expect(calls()).toBe(2);
    expect(waits).toEqual([5_000]);
    expect(said).toHaveLength(1);
  });

  it('does not wait at all when one wait alone is longer than maxWaitMs', async () => {
    const error = notNow('[LOGIN-DELAY]', 60_000);
    const { attempt } = scripted(error);
    const { sleep, waits } = recordingSleep();
    await expect(waitingForServer(attempt, () => {}, { sleep, maxWaitMs: 59_999 })).rejects.toBe(error);
    expect(waits).toEqual([]);
  });

  it.each<[string, Error]>([
    ['a plain Error', new Error('boom')],
    ["a ConnectorError with retry 'now'", notNow('connection lost', 1_000, 'now')],
    ["a ConnectorError with retry 'never'", notNow('auth failed', 1_000, 'never')],
  ])('rethrows %s at once', async (_name, error) => {
    const { attempt, calls } = scripted(error);
    const said: string[] = [];
    const { sleep, waits } = recordingSleep();
    await expect(waitingForServer(attempt, (line) => said.push(line), { sleep })).rejects.toBe(error);
    expect(calls()).toBe(1);
    expect(waits).toEqual([]);
    expect(said).toEqual([]);
  });
});
