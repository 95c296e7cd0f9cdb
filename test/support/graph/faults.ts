/**
 * Switchable failures, the ones a migration must survive against real Graph:
 * throttling (429, or 503, with Retry-After: concepts/throttling.md), expired delta
 * tokens (delta-tokens.ts answers them), generic errors, and latency. Only requests that
 * passed authentication and routing use a fault up, in arrival order; a $batch's
 * sub-requests count one by one, as Graph evaluates them (throttling.md, "Throttling and
 * batching").
 */

export interface ThrottleOptions {
  /** The Retry-After the answer carries, in seconds (fractions allowed, as Graph's "2.128"). */
  retryAfterSeconds: number;
  /** 429 (default) or 503. */
  status?: 429 | 503;
  /** Only requests for this mailbox (its address or user id) use the fault up; default any. */
  mailbox?: string;
}

export interface FailOptions {
  status: number;
  code: string;
  message: string;
  /** Only requests whose path (e.g. '/v1.0/users/a@b.c/messages/…/$value') contains this string or matches this pattern. */
  path?: string | RegExp;
  /** Extra headers of the answer. */
  headers?: Record<string, string>;
}

export interface GraphFaults {
  /**
   * The next `count` requests (for `mailbox`, or any) answer `status` with Retry-After and
   * Graph's throttling body. Each opens a window for its mailbox until Retry-After ends, in
   * which every request for that mailbox is also answered 429 (Graph goes on throttling a
   * client that ignores Retry-After); see `throttleWindows` and `requestsInsideWindows()`.
   */
  throttle(count: number, options: ThrottleOptions): void;
  /** Every delta and skip token issued so far (for this mailbox, or all) stops working: 410 SyncStateNotFound. */
  expireDeltaTokens(mailbox?: string): void;
  /** The next `count` matching requests answer this error. */
  failNext(count: number, options: FailOptions): void;
  /** Each request waits this long before it is handled (holding its concurrency slot). Default 0. */
  delayMs: number;
  /** Retry-After (seconds) of a 429 for the concurrency limit. Default 1. */
  concurrencyRetryAfterSeconds: number;
  clear(): void;
}

interface PendingThrottle extends ThrottleOptions {
  left: number;
}

interface PendingFailure extends FailOptions {
  left: number;
}

export class FaultState implements GraphFaults {
  delayMs = 0;
  concurrencyRetryAfterSeconds = 1;
  private throttles: PendingThrottle[] = [];
  private failures: PendingFailure[] = [];

  constructor(
    /** Resolves a mailbox name (address or id) to the key requests are recorded with. */
    private readonly mailboxKey: (mailbox: string) => string,
    private readonly expire: (mailboxKey: string | undefined) => void,
  ) {}

  throttle(count: number, options: ThrottleOptions): void {
    const mailbox = options.mailbox === undefined ? undefined : this.mailboxKey(options.mailbox);
    this.throttles.push({ ...options, ...(mailbox === undefined ? {} : { mailbox }), left: count });
  }

  expireDeltaTokens(mailbox?: string): void {
    this.expire(mailbox === undefined ? undefined : this.mailboxKey(mailbox));
  }

  failNext(count: number, options: FailOptions): void {
    this.failures.push({ ...options, left: count });
  }

  clear(): void {
    this.throttles = [];
    this.failures = [];
    this.delayMs = 0;
  }

  /** Uses up one throttle meant for this request, if any. */
  takeThrottle(mailbox: string | undefined): ThrottleOptions | undefined {
    const match = this.throttles.find((t) => t.left > 0 && (t.mailbox === undefined || t.mailbox === mailbox));
    if (!match) return undefined;
    match.left -= 1;
    return match;
  }

  /** Uses up one generic failure meant for this path, if any. */
  takeFailure(path: string): FailOptions | undefined {
    const match = this.failures.find((f) => f.left > 0 && (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))));
    if (!match) return undefined;
    match.left -= 1;
    return match;
  }
}
