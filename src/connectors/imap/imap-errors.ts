/**
 * Translates imapflow's loose errors (string codes, flags on the object) into one
 * ConnectorError with scope and retry, so callers never parse message text.
 */
import { ConnectorError, isConnectorError, type ErrorScope } from '../connector-error.js';
import { NETWORK_ERROR_CODES, TLS_ERROR_CODES } from '../socket-errors.js';

interface ImapFlowErrorLike {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  responseStatus?: string;
  throttleReset?: number;
  /** Set by imapflow's mailboxOpen when SELECT failed and LIST does not know the folder. */
  mailboxMissing?: boolean;
}

/** Node's codes (socket-errors.ts), plus imapflow's own in each set. */
const TLS_CODES = new Set([...TLS_ERROR_CODES, 'STARTTLS_INJECTION']);

const NETWORK_CODES = new Set([
  ...NETWORK_ERROR_CODES,
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'StateLogout',
]);

/** The wait a plain `NO [THROTTLED]` (Gmail and others; no RFC code, no time given) stands for. */
export const THROTTLED_WAIT_MS = 30_000;
/** The wait an ETHROTTLE from imapflow stands for when it carries no server hint. */
const ETHROTTLE_WAIT_MS = 60_000;

/**
 * How long the account must wait when the server answered with this: a Microsoft 365
 * "Suggested Backoff Time" (imapflow's ETHROTTLE with `throttleReset`), or the
 * `[THROTTLED]` response code. Undefined for any other failure.
 */
export function backOffOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ImapFlowErrorLike;
  if (e.code === 'ETHROTTLE') return e.throttleReset ?? ETHROTTLE_WAIT_MS;
  return responseCodeOf(error) === 'THROTTLED' ? THROTTLED_WAIT_MS : undefined;
}

/** Response codes (RFC 5530) that mean "this one message is unacceptable". */
const MESSAGE_CODES = new Set(['TOOBIG', 'LIMIT', 'APPENDLIMIT', 'PARSE', 'CANNOT']);

function details(error: ImapFlowErrorLike): string {
  const text = error.responseText ?? error.message ?? 'unknown error';
  return error.serverResponseCode ? `[${error.serverResponseCode}] ${text}` : text;
}

/** What opens an Exchange Online mailbox to IMAP: the protocol per mailbox, and the app's right to it. */
const EXCHANGE_ONLINE_IMAP_FIX = 'Exchange Online: IMAP may be switched off for the mailbox (turn it on with ' +
  'Set-CASMailbox -Identity MAILBOX -ImapEnabled $true; Get-CASMailbox MAILBOX shows it), and an app needs ' +
  'Add-MailboxPermission -Identity MAILBOX -User SERVICE_PRINCIPAL_ID -AccessRights FullAccess';

/**
 * @param what - what was being done, for the message ("append to Archive", "login to imap.example.com:993").
 * @param commandScope - the blast radius when the server refused the command (NO/BAD) itself.
 */
export function toConnectorError(error: unknown, what: string, commandScope: ErrorScope = 'folder'): ConnectorError {
  if (isConnectorError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ImapFlowErrorLike;
  const code = e.code ?? '';
  const responseCode = (e.serverResponseCode ?? '').toUpperCase();
  const text = details(e);

  if (/authenticated but not connected/i.test(text)) {
    // Exchange Online's answer after a good login to a mailbox it will not open over IMAP.
    return new ConnectorError(`${what}: ${text}; ${EXCHANGE_ONLINE_IMAP_FIX}`, { code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: error });
  }
  if (e.authenticationFailed || responseCode === 'AUTHENTICATIONFAILED' || responseCode === 'AUTHORIZATIONFAILED') {
    return new ConnectorError(`${what}: authentication failed (${text}); check the user name and password`, {
      code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: error,
    });
  }
  if (e.tlsFailed || TLS_CODES.has(code)) {
    return new ConnectorError(`${what}: TLS failed (${code || text}); check the URL scheme, the port and the CA file`, {
      code: 'TLS_FAILED', scope: 'account', retry: 'never', cause: error,
    });
  }
  if (code === 'ENOTFOUND') {
    return new ConnectorError(`${what}: host not found (${text})`, {
      code: 'CONNECT_FAILED', scope: 'account', retry: 'now', cause: error,
    });
  }
  if (code === 'ETHROTTLE') {
    return new ConnectorError(`${what}: server throttled the connection (${text})`, {
      code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: backOffOf(error) ?? ETHROTTLE_WAIT_MS, cause: error,
    });
  }
  if (NETWORK_CODES.has(code)) {
    return new ConnectorError(`${what}: connection failed (${code}: ${text})`, {
      code: 'CONNECTION_LOST', scope: 'account', retry: 'now', cause: error,
    });
  }
  if (responseCode === 'OVERQUOTA') {
    return new ConnectorError(`${what}: target is over quota (${text})`, {
      code: 'OVER_QUOTA', scope: 'account', retry: 'never', cause: error,
    });
  }
  // [THROTTLED] is what Gmail and others answer when a client goes too fast (no RFC code,
  // but widely used); UNAVAILABLE / INUSE are RFC 5530's "try again later".
  if (responseCode === 'THROTTLED' || responseCode === 'UNAVAILABLE' || responseCode === 'INUSE') {
    return new ConnectorError(`${what}: server temporarily unavailable (${text})`, {
      code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: THROTTLED_WAIT_MS, cause: error,
    });
  }
  // The folder is gone (deleted mid-run; imapflow says NotFound for STATUS, mailboxMissing
  // for SELECT, where Dovecot 2.3 sends no response code): a folder problem, not a bad
  // message (RFC 3501 6.3.11 TRYCREATE, RFC 5530 NONEXISTENT).
  if (responseCode === 'NONEXISTENT' || responseCode === 'TRYCREATE' || code === 'NotFound' || e.mailboxMissing === true) {
    return new ConnectorError(`${what}: folder does not exist (${text})`, {
      code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never', cause: error,
    });
  }
  if (commandScope === 'message' && (MESSAGE_CODES.has(responseCode) || e.responseStatus === 'NO' || e.responseStatus === 'BAD')) {
    const tooLarge = responseCode === 'TOOBIG' || responseCode === 'APPENDLIMIT' || /too (big|large)|size/i.test(text);
    return new ConnectorError(`${what}: server refused the message: ${text}`, {
      code: tooLarge ? 'MESSAGE_TOO_LARGE' : 'MESSAGE_REJECTED', scope: 'message', retry: 'never', cause: error,
    });
  }
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    return new ConnectorError(`${what}: ${text}`, { code: 'FOLDER_FAILED', scope: commandScope, retry: 'now', cause: error });
  }
  return new ConnectorError(`${what}: ${text}`, { code: 'PROTOCOL', scope: 'account', retry: 'now', cause: error });
}

/**
 * A login with an OAuth access token (AUTHENTICATE XOAUTH2 / OAUTHBEARER) that failed:
 * a refused token, or a server that offers neither mechanism, is AUTH_FAILED "never"
 * with what to check (not "the user name and password"); anything else as toConnectorError.
 * The server's JSON error (status, schemes, scope) is named, never the token.
 */
export function oauthLoginError(error: unknown, what: string): ConnectorError {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ImapFlowErrorLike & { oauthError?: unknown };
  if (/Unsupported authentication mechanism/i.test(e.message ?? '')) {
    return new ConnectorError(`${what}: the server offers no OAuth login (AUTH=XOAUTH2 or AUTH=OAUTHBEARER); use a password, or check the host`, {
      code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: error,
    });
  }
  const mapped = toConnectorError(error, what, 'account');
  if (mapped.code !== 'AUTH_FAILED') return mapped;
  const status = typeof e.oauthError === 'object' && e.oauthError !== null ? (e.oauthError as { status?: unknown }).status : undefined;
  const text = `${details(e)}${typeof status === 'string' ? `, status ${status}` : ''}`;
  return new ConnectorError(
    `${what}: the server refused the OAuth access token (${text}); check that USER is the mailbox's address and that the app may open it ` +
      '(Microsoft 365 app-only: IMAP.AccessAsApp and Add-MailboxPermission for its service principal; delegated: the IMAP scope, ' +
      `https://outlook.office.com/IMAP.AccessAsUser.All or https://mail.google.com/). ${EXCHANGE_ONLINE_IMAP_FIX}`,
    { code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: error },
  );
}

/**
 * The response code of a refused command (RFC 3501 7.1, e.g. "UNKNOWN-CTE"), upper
 * case; undefined when it has none. imapflow sets `serverResponseCode` for some commands
 * only (not for FETCH), so it is also read from the tagged response it keeps.
 */
export function responseCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { serverResponseCode?: unknown; response?: { attributes?: Array<{ section?: Array<{ value?: unknown }> }> } };
  const code = e.serverResponseCode ?? (typeof e.response === 'object' ? e.response?.attributes?.[0]?.section?.[0]?.value : undefined);
  return typeof code === 'string' && code.trim() !== '' ? code.trim().toUpperCase() : undefined;
}

/**
 * imapflow answers some failed commands (STORE, EXPUNGE, SEARCH) with `false` instead of
 * throwing; it only logs the server's answer. A connection still usable means the server
 * refused the command; otherwise the connection went away under it.
 */
export function commandFailed(client: { readonly usable: boolean }, what: string): ConnectorError {
  const cause = client.usable
    ? { message: 'the server refused the command (the reason is in the imapflow log)', responseStatus: 'NO' }
    : { code: 'NoConnection', message: 'connection lost' };
  return toConnectorError(cause, what, 'folder');
}
