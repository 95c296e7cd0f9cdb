/**
 * The accounts' back-off gates (AccountGate) of one worker process, backed by the
 * governor: a server's "back off" heard on any connection closes the account's gate here
 * at once and, through Redis, in every other worker process; every request of every
 * connection to the account asks first (ARCHITECTURE.md, "Queues and jobs").
 */
import type { Logger } from 'pino';
import { accountIdentity, type AccountSpec } from '../../config/index.js';
import { ConnectorError } from '../../connectors/connector-error.js';
import type { AccountGate } from '../../connectors/types.js';
import type { Governor } from '../../state/index.js';

/** A window longer than this is not waited out in place: the job goes back to its queue for the rest. */
const DEFAULT_MAX_WAIT_MS = 60_000;
/**
 * After a window, one request goes first and the others of this process wait this long for
 * its answer: were they all to go at once, a server that throttles again (Graph keeps
 * answering 429 while it is over its budget) would see every one of them arrive inside its
 * new window. A throttling answer comes back fast, whatever the request.
 */
const PROBE_MS = 1_000;

export interface AccountGatesOptions {
  /** @defaultValue 60 s */
  readonly maxWaitMs?: number;
  /** Worker shutdown: a wait in progress ends at once (the request then fails THROTTLED, and the job is resumed later). */
  readonly signal?: AbortSignal;
  readonly log?: Logger;
}

export class AccountGates {
  private readonly gates = new Map<string, AccountBackoff>();

  constructor(private readonly governor: Governor, private readonly options: AccountGatesOptions = {}) {}

  /** The gate of `account`, one per account in this process; none for a Maildir (no server). */
  gateFor(account: AccountSpec): AccountGate | undefined {
    if (account.kind === 'maildir') return undefined;
    const key = accountIdentity(account);
    let gate = this.gates.get(key);
    if (!gate) this.gates.set(key, (gate = new AccountBackoff(this.governor, key, this.options)));
    return gate;
  }
}

class AccountBackoff implements AccountGate {
  /** End of the window this process knows of (ms since the epoch). */
  private until = 0;
  /** A read of the shared window in progress: requests arriving meanwhile wait for the same answer. */
  private reading: Promise<number> | undefined;
  /** A window was seen: the next request to go is the probe. */
  private probeNext = false;
  /** Until then only the probe is out; the others wait to hear whether it was throttled again. */
  private probeUntil = 0;
  private readonly maxWaitMs: number;

  constructor(private readonly governor: Governor, private readonly account: string, private readonly options: AccountGatesOptions) {
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  async beforeRequest(): Promise<void> {
    for (;;) {
      const remaining = Math.max(this.until - Date.now(), await this.shared());
      if (remaining <= 0) {
        const probing = this.probeUntil - Date.now();
        if (probing > 0 && !this.options.signal?.aborted) {
          await sleep(probing, this.options.signal);
          continue;
        }
        if (this.probeNext) {
          this.probeNext = false;
          this.probeUntil = Date.now() + PROBE_MS;
        }
        return;
      }
      this.probeNext = true;
      if (remaining > this.maxWaitMs || this.options.signal?.aborted) {
        throw new ConnectorError(`the server asked to wait; ${Math.ceil(remaining / 1000)} s of its back-off are left`, {
          code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: remaining,
        });
      }
      await sleep(remaining, this.options.signal);
    }
  }

  backOff(ms: number): void {
    this.until = Math.max(this.until, Date.now() + ms);
    this.probeNext = true;
    this.probeUntil = 0;
    this.options.log?.warn({ backOffMs: ms }, 'the server asked to back off: no request to the account until the window ends');
    // The other worker processes learn it from Redis; a failed write leaves them to hear the server themselves.
    this.governor.backOff(this.account, ms).catch((error: unknown) => this.options.log?.warn({ err: error }, 'could not share the back-off window through Redis'));
  }

  /**
   * The window as every process knows it. Unreadable (Redis down for a moment) counts as
   * none: this process still keeps its own, and the server will say again if need be.
   */
  private shared(): Promise<number> {
    this.reading ??= this.governor.backOffRemaining(this.account)
      .catch((error: unknown) => {
        this.options.log?.debug({ err: error }, 'could not read the shared back-off window');
        return 0;
      })
      .finally(() => { this.reading = undefined; });
    return this.reading;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
