/**
 * Arrival times of requests at a test server, and the question a back-off test asks of
 * them: "did anything new reach the account while the server had asked for quiet?"
 *
 * Every time here is a wall-clock millisecond count with sub-millisecond resolution:
 * `performance.timeOrigin + performance.now()`. It does not jump when the system clock is
 * set (it is performance.now() underneath, monotonic within this process), yet it is on the
 * same scale as Date.now(), so it can be compared with times taken in another process (a
 * CLI or daemon child) to within the clock's precision.
 */

/** Now, as epoch milliseconds with sub-millisecond resolution (see above). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Anything a test server records with the time its first byte arrived. */
export interface Arrival {
  /** When the request's first byte reached the server ({@link nowMs}). */
  readonly at: number;
  /** When the server's final answer to it was written; undefined while unanswered (or never seen, e.g. after STARTTLS). */
  readonly answeredAt?: number;
}

/**
 * Appends `record` keeping `list` sorted by `at`. Servers learn enough to record a request
 * only some time after its first byte (the end of an IMAP command line, an HTTP body), and
 * two connections can finish in a different order than they started.
 */
export function insertByArrival<T extends Arrival>(list: T[], record: T): void {
  let index = list.length;
  while (index > 0 && (list[index - 1] as T).at > record.at) index -= 1;
  list.splice(index, 0, record);
}

/** Options for {@link arrivedInWindow}. */
export interface WindowOptions {
  /**
   * Ignore arrivals in the first `graceMs` of the window (default 0). `start` is when the
   * server wrote its back-off answer; the client reads it a little later, and a request
   * another connection sent in between was sent in good faith. On loopback that gap is the
   * client's event-loop latency, normally well under a few milliseconds.
   */
  graceMs?: number;
}

/**
 * The requests that arrived inside the back-off window [start, start + windowMs): the
 * ones a client honouring the back-off must not have sent. Requests already in flight at
 * `start` are not among them by construction: their first byte (`at`) arrived before
 * `start`, even when the rest (an APPEND literal, a large HTTP body) was still streaming.
 * The throttled request itself also arrived before its answer, so it is never included.
 */
export function arrivedInWindow<T extends Arrival>(requests: readonly T[], start: number, windowMs: number, options: WindowOptions = {}): T[] {
  const from = start + (options.graceMs ?? 0);
  return requests.filter((r) => r.at >= from && r.at < start + windowMs);
}

/** The requests in flight at time `t`: arrived at or before it and not answered by then. */
export function inFlightAt<T extends Arrival>(requests: readonly T[], t: number): T[] {
  return requests.filter((r) => r.at <= t && (r.answeredAt === undefined || r.answeredAt > t));
}
