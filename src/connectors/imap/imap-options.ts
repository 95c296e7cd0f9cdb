import type { BearerTokenSource } from '../oauth/token-cache.js';
import type { AccountGate } from '../types.js';

/**
 * How to reach one IMAP account. Built by the config layer; the connector never reads
 * the environment or files itself.
 */

/**
 * implicit: TLS from the first byte (imaps://, RFC 8314).
 * starttls: STARTTLS required; a server that does not offer it is an error, never a
 *   silent plaintext fallback (imapflow's default would continue in plaintext).
 * off: plaintext, only when the user explicitly asked for it.
 */
export type TlsMode = 'implicit' | 'starttls' | 'off';

export interface ImapAccountOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The resolved secret: a password, or an OAuth access token for XOAUTH2. */
  readonly password?: string;
  /** An OAuth access token used as given (XOAUTH2 / OAUTHBEARER); never refreshed. */
  readonly accessToken?: string;
  /**
   * Where OAuth access tokens come from (XOAUTH2 / OAUTHBEARER), instead of a password:
   * asked afresh at every connect, so a reconnect never logs in with an expired token; a
   * token the server refuses is replaced once (`refresh`) before the login counts as failed.
   */
  readonly tokens?: BearerTokenSource;
  readonly tls: TlsMode;
  /** PEM bytes of a CA to trust instead of the system store (self-hosted servers). */
  readonly ca?: Buffer;
  /** pino-compatible logger; imapflow logs through it. */
  readonly logger?: ImapLogger | false;
  /** Largest literal the client accepts (bounds memory for one message). */
  readonly maxLiteralBytes?: number;
  /** The account's back-off gate, shared by every connection to it; none: nothing is shared. */
  readonly gate?: AccountGate;
}

export interface ImapLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}
