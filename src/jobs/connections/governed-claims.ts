/**
 * Governor glue for the jobs: the claim an account's connection makes, and a wait for
 * slots whose failures take the queue's shapes (retry later, or interrupted).
 */
import { accountIdentity, type AccountSpec } from '../../config/index.js';
import { ConnectorError } from '../../connectors/connector-error.js';
import { GovernorTimeoutError, withAccountCap, type Claim, type Governor, type GovernorLimits, type GovernorSlot } from '../../state/index.js';
import { InterruptedError } from '../queue/interrupted-error.js';

/** How long a job that gave up waiting for slots stays in the queue before it tries again. */
const THROTTLED_RETRY_MS = 10_000;

/**
 * The claim of one connection to `account`, or undefined for a Maildir (no server). Used
 * by the pool and by anything else that holds a connection, such as an IDLE watcher:
 * `governor.acquire([claim])`, and `slot.release()` when the connection closes. The
 * account's own `maxConnections`, when it has one, replaces `connectionsPerAccount`.
 */
export function claimFor(account: AccountSpec, limits: GovernorLimits): Claim | undefined {
  if (account.kind === 'maildir') return undefined;
  // A Graph connection sends one request at a time, and Graph allows 4 at once per app and mailbox.
  const cap = account.kind === 'graph' ? Math.min(account.maxConnections ?? limits.connectionsPerAccount, GRAPH_MAILBOX_CONCURRENCY) : account.maxConnections;
  return {
    server: `${account.kind}|${account.host}|${account.port}`,
    account: accountIdentity(account),
    limits: withAccountCap(limits, cap),
  };
}

/** Graph's MailboxConcurrency limit (concepts/throttling-limits.md, Outlook service limits). */
export const GRAPH_MAILBOX_CONCURRENCY = 4;

/** True when the two claims count against a common server or account limit. */
export function claimsOverlap(a: Claim, b: Claim): boolean {
  return a.server === b.server || a.account === b.account;
}

export interface SlotWait {
  /** Worker shutdown: the wait ends with InterruptedError, so the job resumes later. */
  readonly signal?: AbortSignal;
  /** Past this, ConnectorError THROTTLED (retry later): the job goes back to the queue. */
  readonly timeoutMs?: number;
}

/** `governor.acquire`, with its timeout and abort turned into errors the retry policy knows. */
export async function waitForSlots(governor: Governor, claims: readonly Claim[], wait: SlotWait): Promise<GovernorSlot[]> {
  try {
    return await governor.acquire(claims, {
      ...(wait.signal === undefined ? {} : { signal: wait.signal }),
      ...(wait.timeoutMs === undefined ? {} : { timeoutMs: wait.timeoutMs }),
    });
  } catch (error) {
    if (error instanceof GovernorTimeoutError) {
      throw new ConnectorError(error.message, {
        code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: error.blocked.retryInMs ?? THROTTLED_RETRY_MS, cause: error,
      });
    }
    if (wait.signal?.aborted) throw new InterruptedError();
    throw error;
  }
}
