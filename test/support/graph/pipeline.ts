/**
 * What happens to one request once it is authenticated, whether it came over HTTPS or as
 * an entry of a $batch: route and authorize it, then admit it against Outlook's limits and
 * the fault switches, then run its handler.
 *
 * Admission, in order (concepts/throttling.md, throttling-limits.md "Outlook service limits"):
 * 1. a request for a mailbox inside one of its throttle windows: 429 TooManyRequests with
 *    the rest of the window as Retry-After (Graph goes on throttling a client that ignores it);
 * 2. a pending `faults.throttle`: 429 TooManyRequests (throttling.md's sample body) or 503,
 *    with Retry-After, opening a window for the mailbox;
 * 3. more than `maxConcurrentPerMailbox` requests of the same app in flight for the
 *    mailbox (4; Outlook counts per app and mailbox): 429 ApplicationThrottled "Application is over its MailboxConcurrency limit." (the
 *    body Outlook sends) with Retry-After `faults.concurrencyRetryAfterSeconds`; no window;
 * 4. a pending `faults.failNext` for the path.
 * Admission is split from running (prepare / execute) so that a batch can admit its
 * parallel entries all at once, as Graph receives them.
 */
import { authorize, type Principal } from './auth.js';
import type { GraphAnswer, GraphRequest, Route, ServerState } from './context.js';
import { errorBody, GraphError, innerError } from './errors.js';
import type { FaultState } from './faults.js';
import { route } from './router.js';
import type { GraphRequestRecord, Traffic } from './traffic.js';

export interface Prepared {
  readonly record: GraphRequestRecord;
  /** The app (client id) the request came from. */
  readonly app: string;
  readonly requestId: string;
  readonly clientRequestId: string | undefined;
  /** Set when the request was refused before running (its answer). */
  readonly refusal?: GraphAnswer;
  readonly route?: Route;
}

export interface PipelineOptions {
  readonly state: ServerState;
  readonly traffic: Traffic;
  readonly faults: FaultState;
  readonly maxConcurrentPerMailbox: number;
}

/** The JSON answer for an error (any non-GraphError is a bug here: 500 generalException with its stack). */
export function errorAnswer(error: unknown, requestId: string, clientRequestId: string | undefined): GraphAnswer {
  const graphError = error instanceof GraphError
    ? error
    : new GraphError(500, 'generalException', `Graph test server bug: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  return { status: graphError.status, json: errorBody(graphError, requestId, clientRequestId), headers: graphError.headers };
}

function retryAfter(seconds: number): string {
  return String(Number(seconds.toFixed(3)));
}

/** throttling.md, "Sample response". */
function tooManyRequests(seconds: number, requestId: string, clientRequestId: string | undefined): GraphAnswer {
  return {
    status: 429,
    headers: { 'Retry-After': retryAfter(seconds) },
    json: {
      error: {
        code: 'TooManyRequests',
        innerError: { code: '429', date: innerError(requestId, clientRequestId)['date'], message: 'Please retry after', 'request-id': requestId, status: '429' },
        message: 'Please retry again later.',
      },
    },
  };
}

function unavailable(seconds: number, requestId: string, clientRequestId: string | undefined): GraphAnswer {
  const error = new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Retry the request after the delay in the Retry-After header.', { 'Retry-After': retryAfter(seconds) });
  return errorAnswer(error, requestId, clientRequestId);
}

export class Pipeline {
  constructor(private readonly options: PipelineOptions) {}

  /** Route, authorize and admit (synchronous: a batch admits its parallel entries together). */
  prepare(request: GraphRequest, principal: Principal, record: GraphRequestRecord, requestId: string, clientRequestId: string | undefined): Prepared {
    const { state, traffic, faults } = this.options;
    const base = { record, requestId, clientRequestId, app: principal.appId };
    let resolved: Route;
    try {
      resolved = route(state, request);
      authorize(principal, resolved);
    } catch (error) {
      return { ...base, refusal: errorAnswer(error, requestId, clientRequestId) };
    }
    const mailbox = resolved.user?.mail.toLowerCase();
    const inFlight = mailbox === undefined ? 0 : traffic.enter(record, mailbox, principal.appId);

    const window = traffic.windowAt(mailbox, record.at);
    if (mailbox !== undefined && window) {
      return { ...base, route: resolved, refusal: tooManyRequests(Math.max(1, Math.ceil((window.until - record.at) / 1000)), requestId, clientRequestId) };
    }
    const throttle = faults.takeThrottle(mailbox);
    if (throttle) {
      const status = throttle.status ?? 429;
      traffic.openWindow(mailbox, throttle.retryAfterSeconds, status);
      const refusal = status === 503
        ? unavailable(throttle.retryAfterSeconds, requestId, clientRequestId)
        : tooManyRequests(throttle.retryAfterSeconds, requestId, clientRequestId);
      return { ...base, route: resolved, refusal };
    }
    if (mailbox !== undefined && inFlight > this.options.maxConcurrentPerMailbox) {
      const error = new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'Retry-After': retryAfter(faults.concurrencyRetryAfterSeconds) });
      return { ...base, route: resolved, refusal: errorAnswer(error, requestId, clientRequestId) };
    }
    const failure = faults.takeFailure(request.path);
    if (failure) {
      const error = new GraphError(failure.status, failure.code, failure.message, failure.headers ?? {});
      return { ...base, route: resolved, refusal: errorAnswer(error, requestId, clientRequestId) };
    }
    return { ...base, route: resolved };
  }

  /** The answer of an admitted request (after the configured latency), or its refusal. */
  async execute(prepared: Prepared): Promise<GraphAnswer> {
    if (prepared.refusal || !prepared.route) return prepared.refusal ?? errorAnswer(new Error('no route'), prepared.requestId, prepared.clientRequestId);
    const delay = this.options.faults.delayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      return await prepared.route.run();
    } catch (error) {
      return errorAnswer(error, prepared.requestId, prepared.clientRequestId);
    }
  }

  /** The answer is written: the request leaves its mailbox's in-flight count. */
  finish(prepared: Prepared, status: number): void {
    const { record } = prepared;
    if (record.mailbox !== undefined) this.options.traffic.leave(record.mailbox, prepared.app);
    this.options.traffic.answered(record, status);
  }
}
