/**
 * When each authenticated request arrived and when the server told the client to back off
 * (ErrorServerBusy with BackOffMilliseconds, or a 503 with Retry-After), for tests of a
 * back-off that must hold for the whole mailbox: nothing new may arrive for it until the
 * window ends (see ../arrivals.ts for the window question and the clock).
 *
 * Only requests that passed authentication are recorded, as only they can use up a
 * fault (faults.ts): an NTLM handshake leg or a 401 is not a request to the mailbox.
 */
import { insertByArrival, nowMs, type Arrival } from '../arrivals.js';

/** One authenticated POST. */
export interface EwsArrival extends Arrival {
  /** When the request's headers arrived (before its body was read). */
  readonly at: number;
  /** The first child of soap:Body, e.g. 'SyncFolderItems'; '' when the body is not a SOAP request. */
  readonly operation: string;
  /** The authenticated user (or app id, with OAuth). */
  readonly user: string;
  /** The mailbox the request acts on: the ExchangeImpersonation address, else `user`. */
  readonly mailbox: string;
  /** When the answer was written, and its HTTP status; unset until then. */
  readonly answeredAt?: number;
  readonly status?: number;
}

/** One whole-request fault answered (faults.serverBusy / faults.unavailable). */
export interface EwsRequestFaultRecord {
  /** When the answer was written. */
  readonly at: number;
  readonly operation: string;
  readonly user: string;
  readonly mailbox: string;
  /** 'busy': HTTP 500 ErrorServerBusy; 'unavailable': HTTP 503. */
  readonly kind: 'busy' | 'unavailable';
  /** The back-off the answer asked for: BackOffMilliseconds, or a 503's Retry-After in ms; unset for a 503 without Retry-After. */
  readonly backOffMs?: number;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export class RequestTimes {
  /** Sorted by `at` (a request is recorded once its body is read, and bodies finish out of order). */
  readonly arrivals: Array<Writable<EwsArrival>> = [];
  readonly faults: EwsRequestFaultRecord[] = [];

  arrived(at: number, operation: string, user: string, impersonated: string | undefined): Writable<EwsArrival> {
    const arrival = { at, operation, user, mailbox: impersonated ?? user };
    insertByArrival(this.arrivals, arrival);
    return arrival;
  }

  answered(arrival: Writable<EwsArrival>, status: number): void {
    arrival.answeredAt = nowMs();
    arrival.status = status;
  }

  /** Call after `answered`: the fault is timed when its answer was written. */
  faulted(arrival: EwsArrival, kind: 'busy' | 'unavailable', backOffMs: number | undefined): void {
    const { operation, user, mailbox } = arrival;
    const at = arrival.answeredAt ?? nowMs();
    this.faults.push(backOffMs === undefined ? { at, operation, user, mailbox, kind } : { at, operation, user, mailbox, kind, backOffMs });
  }
}
