/**
 * Translates what can go wrong on a POP3 connection (an "-ERR" answer, a socket or TLS
 * error, a silent or vanished server) into one ConnectorError with scope and retry, so
 * callers never parse message text.
 */
import { ConnectorError, isConnectorError } from '../connector-error.js';
import { NETWORK_ERROR_CODES, TLS_ERROR_CODES } from '../socket-errors.js';

/** The commands whose refusal means the credentials were refused. */
const AUTH_COMMANDS = new Set(['USER', 'PASS', 'APOP', 'AUTH']);

/** RFC 2449 / RFC 3206 response codes that mean "not now, later". */
const LATER_CODES = new Set(['IN-USE', 'SYS/TEMP', 'LOGIN-DELAY']);

/**
 * What each "later" code means to the user, and how long to wait when the server does not
 * say (a LOGIN-DELAY in CAPA replaces the default, see pop3-login.ts).
 */
const LATER_REASONS: Record<string, { why: string; waitMs: number }> = {
  'IN-USE': { why: 'another session holds the mailbox (another client, or a session the server has not ended yet)', waitMs: 30_000 },
  'LOGIN-DELAY': { why: 'the server allows only one login per user every so often (LOGIN-DELAY)', waitMs: 60_000 },
  'SYS/TEMP': { why: 'the server has a passing problem', waitMs: 30_000 },
};

/** The RFC 2449 response code of the server's -ERR behind `error`, if any. */
export function responseCodeOf(error: unknown): string | undefined {
  const cause = isConnectorError(error) ? error.cause : error;
  return cause instanceof Pop3ResponseError ? cause.responseCode : undefined;
}

/** The server answered "-ERR" to `command`. */
export class Pop3ResponseError extends Error {
  /** The command's name only ("PASS", "RETR", "greeting"): never its arguments. */
  readonly command: string;
  /** The server's text after "-ERR", response code included. */
  readonly text: string;
  /** RFC 2449 extended response code, upper-cased ("IN-USE", "SYS/TEMP", "AUTH"). */
  readonly responseCode: string | undefined;

  constructor(command: string, text: string) {
    super(`${command}: -ERR ${text}`);
    this.name = 'Pop3ResponseError';
    this.command = command;
    this.text = text;
    this.responseCode = /^\[([^\]\s]+)\]/.exec(text)?.[1]?.toUpperCase();
  }
}

/**
 * The connection failed under a command. CLOSED: the server or the network ended it.
 * TIMEOUT: the server said nothing for too long. BAD_RESPONSE: it answered something that
 * is not POP3 (then nothing more it sends can be trusted).
 */
export class Pop3ConnectionError extends Error {
  readonly code: 'CLOSED' | 'TIMEOUT' | 'BAD_RESPONSE';

  constructor(code: Pop3ConnectionError['code'], message: string) {
    super(message);
    this.name = 'Pop3ConnectionError';
    this.code = code;
  }
}

/**
 * The server answered `command` with a plain -ERR (no response code): "no such message",
 * "UIDL not supported". Codes such as [SYS/TEMP] say more than "no", so they do not count.
 */
export function refusedBy(error: unknown, command: string): boolean {
  const cause = isConnectorError(error) ? error.cause : error;
  return cause instanceof Pop3ResponseError && cause.command === command && cause.responseCode === undefined;
}

/**
 * The server answered `command` with -ERR, response code or not: that command failed,
 * but the connection is in step (unlike a lost or garbled answer).
 */
export function answeredErr(error: unknown, command: string): boolean {
  const cause = isConnectorError(error) ? error.cause : error;
  return cause instanceof Pop3ResponseError && cause.command === command;
}

/** A TLS problem; `reason` is shown in parentheses. */
export function tlsFailed(what: string, reason: string, cause?: unknown): ConnectorError {
  return new ConnectorError(`${what}: TLS failed (${reason}); check the URL scheme, the port and the CA file`, {
    code: 'TLS_FAILED', scope: 'account', retry: 'never', ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * STLS was required (pop3://) and the server does not do it: never go on in plaintext,
 * tell the user the two ways out. `detail` is the server's refusal, if it answered one.
 */
export function stlsNotOffered(what: string, detail?: string, cause?: unknown): ConnectorError {
  const why = detail === undefined ? '' : ` (${detail})`;
  return new ConnectorError(`${what}: server does not offer STLS${why}; use pop3s:// or ?tls=off`, {
    code: 'TLS_FAILED', scope: 'account', retry: 'never', ...(cause === undefined ? {} : { cause }),
  });
}

/** OAuth was asked for and the server's CAPA does not list XOAUTH2 in its SASL line. */
export function xoauth2NotOffered(what: string, detail?: string): ConnectorError {
  const why = detail === undefined ? '' : ` (${detail})`;
  return new ConnectorError(`${what}: the POP3 server does not offer XOAUTH2${why}; log in with a password (?auth=user), or check the host and port`, {
    code: 'AUTH_FAILED', scope: 'account', retry: 'never',
  });
}

/**
 * The server answered AUTH XOAUTH2 with -ERR: the token was refused (expired, revoked,
 * for another mailbox or without the POP scope). `status` is from the server's error
 * challenge ({"status":"401",...}) when it sent one. Codes that mean "later" stay as
 * toConnectorError makes them.
 */
export function oauthRefused(error: unknown, what: string, status?: string): ConnectorError {
  const mapped = toConnectorError(error, what);
  const cause = isConnectorError(error) ? error.cause : error;
  if (mapped.code !== 'AUTH_FAILED' || !(cause instanceof Pop3ResponseError)) return mapped;
  const text = `-ERR ${cause.text}${status === undefined ? '' : `, status ${status}`}`;
  return new ConnectorError(
    `${what}: the server refused the OAuth access token (${text}); check that USER is the mailbox's address and that the app may open it ` +
      '(Microsoft 365 app-only: POP.AccessAsApp and Add-MailboxPermission for its service principal; delegated: the POP scope, ' +
      'https://outlook.office.com/POP.AccessAsUser.All or https://mail.google.com/)',
    { code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause },
  );
}

interface NodeErrorLike {
  message?: string;
  code?: string;
  /** node-pop3 tags its own connect errors: 'close' | 'end' | 'timeout' | 'bad-server-response'. */
  eventName?: string;
  /** OpenSSL errors carry their library. */
  library?: string;
}

function isTlsError(e: NodeErrorLike): boolean {
  const code = e.code ?? '';
  return TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || e.library === 'SSL routines';
}

/**
 * @param what - what was being done and to which account, for the message
 *   ("login to alice@pop.example.com:995", "fetch message 3 from alice@pop.example.com:995").
 */
export function toConnectorError(error: unknown, what: string): ConnectorError {
  if (isConnectorError(error)) return error;
  if (error instanceof Pop3ResponseError) return fromResponse(error, what);
  if (error instanceof Pop3ConnectionError) {
    if (error.code === 'BAD_RESPONSE') {
      return new ConnectorError(`${what}: ${error.message}`, { code: 'PROTOCOL', scope: 'account', retry: 'now', cause: error });
    }
    return new ConnectorError(`${what}: connection lost (${error.message})`, { code: 'CONNECTION_LOST', scope: 'account', retry: 'now', cause: error });
  }
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as NodeErrorLike;
  const code = e.code ?? '';
  const text = e.message || code || 'unknown error';
  if (isTlsError(e)) {
    return tlsFailed(what, code ? `${code}: ${text}` : text, error);
  }
  if (code === 'ENOTFOUND') {
    return new ConnectorError(`${what}: host not found (${text})`, { code: 'CONNECT_FAILED', scope: 'account', retry: 'now', cause: error });
  }
  if (NETWORK_ERROR_CODES.has(code) || e.eventName === 'close' || e.eventName === 'end' || e.eventName === 'timeout') {
    return new ConnectorError(`${what}: connection failed (${code ? `${code}: ` : ''}${text})`, {
      code: 'CONNECTION_LOST', scope: 'account', retry: 'now', cause: error,
    });
  }
  return new ConnectorError(`${what}: ${text}`, { code: 'PROTOCOL', scope: 'account', retry: 'now', cause: error });
}

function fromResponse(error: Pop3ResponseError, what: string): ConnectorError {
  const code = error.responseCode ?? '';
  if (LATER_CODES.has(code)) {
    const { why, waitMs } = LATER_REASONS[code] ?? { why: 'the server asked to try later', waitMs: 30_000 };
    return new ConnectorError(`${what}: ${why} (-ERR ${error.text}); waiting`, {
      code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: waitMs, cause: error,
    });
  }
  if (code === 'SYS/PERM') {
    return new ConnectorError(`${what}: server refused permanently (${error.text})`, { code: 'PROTOCOL', scope: 'account', retry: 'never', cause: error });
  }
  if (AUTH_COMMANDS.has(error.command) || code === 'AUTH') {
    return new ConnectorError(`${what}: authentication failed (${error.text}); check the user name and password`, {
      code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: error,
    });
  }
  if (error.command === 'greeting') {
    return new ConnectorError(`${what}: the server refused the connection (-ERR ${error.text})`, {
      code: 'PROTOCOL', scope: 'account', retry: 'now', cause: error,
    });
  }
  if (error.command === 'STLS') {
    return stlsNotOffered(what, `-ERR ${error.text}`, error);
  }
  return new ConnectorError(`${what}: server answered ${error.command} with -ERR ${error.text}`, {
    code: 'PROTOCOL', scope: 'account', retry: 'now', cause: error,
  });
}
