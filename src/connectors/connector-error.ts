/**
 * The one error type connectors throw. It carries two facts, as mbsync's driver results
 * do: how far the damage reaches (`scope`) and whether trying again can help (`retry`).
 * Callers branch on these and on `code`, never on message text.
 */

/** Blast radius: one message is bad, one folder is bad, or the whole account is unusable. */
export type ErrorScope = 'message' | 'folder' | 'account';

/** now: transient, retry with backoff; later: the server asked us to wait; never: permanent. */
export type RetryKind = 'now' | 'later' | 'never';

export type ConnectorErrorCode =
  | 'AUTH_FAILED'
  | 'TLS_FAILED'
  | 'CONNECT_FAILED'
  | 'CONNECTION_LOST'
  | 'THROTTLED'
  | 'OVER_QUOTA'
  | 'MESSAGE_REJECTED'
  | 'MESSAGE_TOO_LARGE'
  | 'FOLDER_NOT_FOUND'
  | 'FOLDER_FAILED'
  /** A stored sync state (EWS SyncState) is no longer accepted: enumerate again from the start. */
  | 'SYNC_STATE_INVALID'
  /** The folder's UIDVALIDITY changed while it was read: its UIDs name other messages now; read it again. */
  | 'UIDVALIDITY_CHANGED'
  /** The server lacks an extension the operation needs to be safe (e.g. UIDPLUS for exact deletions). */
  | 'UNSUPPORTED'
  /** The server's listing of a folder contradicts its own message count: copying from it could silently skip mail. */
  | 'LISTING_MISMATCH'
  | 'PROTOCOL';

export interface ConnectorErrorOptions {
  readonly code: ConnectorErrorCode;
  readonly scope: ErrorScope;
  readonly retry: RetryKind;
  /** With retry 'later': how long the server asked us to wait. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  readonly scope: ErrorScope;
  readonly retry: RetryKind;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ConnectorErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
    this.code = options.code;
    this.scope = options.scope;
    this.retry = options.retry;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError;
}
