/**
 * A server's "back off" is a fact about the account, not about the connection that
 * heard it: Exchange counts every request of a mailbox against one budget (EWS
 * BackOffMilliseconds, Graph 429 Retry-After), as Gmail and Microsoft 365 do for IMAP
 * ([THROTTLED], "Suggested Backoff Time"). A connection that keeps sending while another
 * was told to wait makes the server throttle harder.
 *
 * So every connection to an account goes through the account's gate: it asks before each
 * request and reports every back-off hint. The caller shares the gate between all
 * connections to the account (and, through its governor, with other worker processes).
 */
export interface AccountGate {
  /**
   * Resolves when no back-off window of the account is open. Rejects with a THROTTLED
   * ConnectorError (retry later, with the time left) when the window is too long to wait
   * in place, so the job can go back to its queue instead.
   */
  beforeRequest(): Promise<void>;
  /** The server asked to wait `ms` before the account's next request. */
  backOff(ms: number): void;
}

/** The gate of a connector used on its own (tests, tools): nothing is shared, nothing waits. */
export const OPEN_GATE: AccountGate = {
  beforeRequest: () => Promise.resolve(),
  backOff: () => undefined,
};
