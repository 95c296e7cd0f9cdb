/** Messages as connectors read and store them. */
import type { ConnectorError } from '../connector-error.js';

/** What is known of one message before its bytes are fetched. */
export interface MessageMeta {
  readonly uid: number;
  readonly size: number;
  readonly flags: readonly string[];
  readonly internalDate: Date;
  /** Message-ID header value, when `withMessageId` was asked for and the message has one. */
  readonly messageId?: string;
}

/** One message with its exact bytes (unless `inexact` says otherwise). */
export interface RawMessage extends MessageMeta {
  readonly raw: Buffer;
  /**
   * Set when `raw` is NOT the message's exact bytes and the source cannot give them,
   * with the reason (for the log and the quarantine). E.g. an IMAP server that shows
   * NUL bytes as 0x80 in BODY[] (Dovecot) and cannot give them otherwise: no BINARY
   * (RFC 3516), or BINARY[] decodes the message's encoded parts. `raw` is then what
   * the server gave, for inspection; copying it would alter the message silently.
   */
  readonly inexact?: string;
}

export interface ListOptions {
  /** Also read the Message-ID (costs an ENVELOPE fetch). */
  readonly withMessageId?: boolean;
}

/** The flags of one message. */
export interface MessageFlags {
  readonly uid: number;
  readonly flags: readonly string[];
}

/** What a target folder accepts as flags (from PERMANENTFLAGS). */
export interface FlagPolicy {
  /** Flags and keywords listed in PERMANENTFLAGS. */
  readonly permanent: readonly string[];
  /** PERMANENTFLAGS contains `\*`: new keywords may be created. */
  readonly newKeywords: boolean;
}

/** One message to store. */
export interface AppendItem {
  readonly raw: Buffer;
  readonly flags: readonly string[];
  readonly internalDate: Date;
  /**
   * Idempotency marker: a key of the caller's (the source message's identity) that a
   * target whose recovery is 'marker' keeps on the new message, so the copy can be found
   * after a crash. Other targets ignore it.
   */
  readonly marker?: string;
}

export interface AppendResult {
  /** The new UID when the server says it (APPENDUID, RFC 4315). */
  readonly uid?: number;
  /** The new message's id on targets whose ids are strings (EWS ItemId), when known. */
  readonly id?: string;
}

/**
 * What became of one message of an `appendEach`: stored (with its id when the server
 * said), or refused with the ConnectorError that `append` would have thrown for it.
 */
export type AppendEachResult =
  | { readonly stored: true; readonly result: AppendResult }
  | { readonly stored: false; readonly error: ConnectorError };
