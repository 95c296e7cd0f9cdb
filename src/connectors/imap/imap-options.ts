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
  readonly accessToken?: string;
  readonly tls: TlsMode;
  /** PEM bytes of a CA to trust instead of the system store (self-hosted servers). */
  readonly ca?: Buffer;
  /** pino-compatible logger; imapflow logs through it. */
  readonly logger?: ImapLogger | false;
  /** Largest literal the client accepts (bounds memory for one message). */
  readonly maxLiteralBytes?: number;
}

export interface ImapLogger {
  debug(obj: unknown): void;
  info(obj: unknown): void;
  warn(obj: unknown): void;
  error(obj: unknown): void;
}
