/**
 * How to reach one POP3 mailbox. Built by the config layer; the connector never reads
 * the environment or files itself.
 */
import type { BearerTokenSource } from '../oauth/index.js';

/**
 * implicit: TLS from the first byte (pop3s://, port 995, RFC 8314).
 * starttls: STLS (RFC 2595) required; a server that does not offer it is an error, never
 *   a silent plaintext fallback.
 * off: plaintext, only when the user explicitly asked for it.
 */
export type Pop3TlsMode = 'implicit' | 'starttls' | 'off';

/**
 * user: USER/PASS. apop: APOP (RFC 1939 section 7), which needs the timestamp the server
 *   puts in its greeting and the plaintext password stored on the server.
 * auto: USER/PASS over TLS (it works whatever way the server stores passwords, and TLS
 *   protects the password); on a plaintext connection APOP when the server offers it,
 *   so the password never crosses the network in the clear, else USER/PASS.
 * xoauth2: SASL XOAUTH2 (RFC 5034 AUTH) with an OAuth 2.0 access token from `tokens`;
 *   only where CAPA's SASL line lists XOAUTH2.
 */
export type Pop3Auth = 'auto' | 'user' | 'apop' | 'xoauth2';

export interface Pop3AccountOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /**
   * The resolved secret. CR or LF in it are refused (they would end the command line).
   * Not used with auth 'xoauth2' ('' then: the account's secret belongs to the token provider).
   */
  readonly password: string;
  readonly tls: Pop3TlsMode;
  /** @defaultValue 'auto' */
  readonly auth?: Pop3Auth;
  /**
   * With auth 'xoauth2' (required then): where the access tokens come from. A token per
   * login; one the server refuses is replaced once by a fresh one.
   */
  readonly tokens?: BearerTokenSource;
  /** PEM bytes of a CA to trust instead of the system store (self-hosted servers). */
  readonly ca?: Buffer;
  /**
   * Longest silence of the server while a command waits for it (greeting, answer, or the
   * next bytes of a message), in ms. @defaultValue 60000
   */
  readonly timeoutMs?: number;
  /** pino-compatible logger: commands at debug level, with PASS, APOP and AUTH arguments masked. */
  readonly logger?: Pop3Logger;
}

export interface Pop3Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}
