/**
 * `verify` talks to the servers itself, not through the queue. Where a server says "not
 * now" (throttled, POP3 [IN-USE], [LOGIN-DELAY]: Cyrus on Debian allows one POP3 login a
 * minute, so a verify right after a migrate meets it), it waits as long as the server asks
 * and tries again, as a run's jobs do, saying what it waits for and until when; for at
 * most `maxWaitMs` in all, then the server's answer stands.
 */
import { isConnectorError } from '../connectors/connector-error.js';
import { DEFAULT_LATER_MS } from '../jobs/queue/retry-policy.js';
import { describeWait } from './progress.js';

export interface ServerWaitOptions {
  /** @defaultValue 15 minutes */
  readonly maxWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}


export async function waitingForServer<T>(attempt: () => Promise<T>, say: (line: string) => void, options: ServerWaitOptions = {}): Promise<T> {
  const { maxWaitMs = 15 * 60_000, sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) } = options;
  let waited = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConnectorError(error) || error.retry !== 'later') throw error;
      const ms = error.retryAfterMs ?? DEFAULT_LATER_MS;
      if (waited + ms > maxWaitMs) throw error;
      say(describeWait({ reason: error.message, until: new Date(Date.now() + ms).toISOString() }));
      await sleep(ms);
      waited += ms;
    }
  }
}
