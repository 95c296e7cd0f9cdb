/**
 * What the server saw, for tests of a client's manners: every request (top-level and each
 * $batch sub-request) with when it arrived and was answered, the mailbox it acted on and
 * how many requests for that mailbox were in flight when it arrived; and the throttle
 * windows (from the 429/503 answer until its Retry-After ends) inside which a client
 * honouring Retry-After sends nothing for that mailbox.
 *
 * Times are on the clock of ../arrivals.ts (epoch ms with sub-ms resolution). A request's
 * `at` is when its headers arrived (a sub-request's: when the batch dispatched it).
 */
import { insertByArrival, nowMs, type Arrival } from '../arrivals.js';

/**
 * A request arriving in the last milliseconds of a window is taken as arriving after it. A
 * client that waits Retry-After from the moment it read the answer can still show up about
 * 1 ms early by this clock: its timer runs on the event loop's millisecond clock, cached
 * when the loop iteration began (libuv), while `from` is the sub-millisecond moment the
 * answer was written.
 */
export const WINDOW_END_TOLERANCE_MS = 2;

function inside(window: ThrottleWindow, at: number): boolean {
  return window.from <= at && at < window.until - WINDOW_END_TOLERANCE_MS;
}

export interface GraphRequestRecord extends Arrival {
  readonly at: number;
  /** When the answer was completely written (for $value: the last byte); unset until then. */
  answeredAt?: number;
  readonly method: string;
  /** Path without host or query, as sent (e.g. /v1.0/users/alice@contoso.com/mailFolders). */
  readonly path: string;
  /** Query parameters as sent (decoded). */
  readonly query: Readonly<Record<string, string>>;
  /** The mailbox (user's mail address, lower case) the request acts on; undefined for /users, /groups, $batch, and refused requests. */
  mailbox: string | undefined;
  /** HTTP status of the answer; 0 until answered. */
  status: number;
  /** The id of the sub-request, for requests inside a $batch. */
  readonly batchId?: string;
  /** Requests of the same app for this mailbox in flight when this one arrived, itself included (0 when no mailbox). */
  inFlightForMailbox: number;
}

export interface ThrottleWindow {
  /** The mailbox throttled; undefined for a throttled request that acted on no mailbox. */
  readonly mailbox: string | undefined;
  /** When the throttling answer was written. */
  readonly from: number;
  /** `from` + Retry-After. */
  readonly until: number;
  readonly status: number;
}

export class Traffic {
  readonly records: GraphRequestRecord[] = [];
  readonly windows: ThrottleWindow[] = [];
  private readonly inFlight = new Map<string, number>();

  record(fields: Omit<GraphRequestRecord, 'status' | 'inFlightForMailbox' | 'mailbox'>): GraphRequestRecord {
    const record: GraphRequestRecord = { ...fields, mailbox: undefined, status: 0, inFlightForMailbox: 0 };
    insertByArrival(this.records, record);
    return record;
  }

  /**
   * The request of `app` is in flight for its mailbox (until `leave`); returns how many of
   * that app are, itself included (Outlook counts per app and mailbox). Every request for a
   * mailbox counts, the ones refused too: the client had them outstanding, whatever the answer.
   */
  enter(record: GraphRequestRecord, mailbox: string, app: string): number {
    const key = `${app}\u0000${mailbox}`;
    const count = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, count);
    record.mailbox = mailbox;
    record.inFlightForMailbox = count;
    return count;
  }

  leave(mailbox: string, app: string): void {
    const key = `${app}\u0000${mailbox}`;
    this.inFlight.set(key, Math.max(0, (this.inFlight.get(key) ?? 0) - 1));
  }

  answered(record: GraphRequestRecord, status: number): void {
    record.status = status;
    record.answeredAt = nowMs();
  }

  openWindow(mailbox: string | undefined, retryAfterSeconds: number, status: number): void {
    const from = nowMs();
    this.windows.push({ mailbox, from, until: from + retryAfterSeconds * 1000, status });
  }

  /** The window `mailbox` is inside at `at`, if any (the one ending last). */
  windowAt(mailbox: string | undefined, at: number): ThrottleWindow | undefined {
    let found: ThrottleWindow | undefined;
    for (const w of this.windows) if (w.mailbox === mailbox && inside(w, at) && (!found || w.until > found.until)) found = w;
    return found;
  }

  maxInFlight(mailbox: string): number {
    return this.records.reduce((max, r) => (r.mailbox === mailbox ? Math.max(max, r.inFlightForMailbox) : max), 0);
  }

  /** Requests that arrived for a mailbox inside one of its throttle windows: what a client honouring Retry-After never sends. */
  insideWindows(): GraphRequestRecord[] {
    return this.records.filter((r) => r.mailbox !== undefined && this.windows.some((w) => w.mailbox === r.mailbox && inside(w, r.at)));
  }
}
