/**
 * Translates what ews-javascript-api rejects with into one ConnectorError with scope and
 * retry, so callers never parse message text.
 *
 * The library rejects with several shapes, none of them the C# API's typed exceptions:
 * - SoapFaultDetails for an HTTP 500 SOAP fault (ErrorServerBusy, ErrorImpersonateUserDenied):
 *   `ResponseCode` is a numeric ServiceError, the fault's MessageXml values (BackOffMilliseconds)
 *   are in the `ErrorDetails` dictionary (its switch that would throw ServerBusyException is
 *   commented out);
 * - SoapFaultDetails for any other HTTP status, with `HttpStatusCode` and nothing else:
 *   the response headers (Retry-After) and the socket error code are dropped;
 * - ServiceResponseException for an operation that failed as a whole (ResponseClass="Error"
 *   in a one-response request), `ErrorCode` numeric;
 * - per item, a ServiceResponse in the response collection with `ErrorCode`.
 * So the transport records the HTTP status, headers and socket error of each request
 * (transport.ts) and this mapping reads those first.
 */
import { ServiceError } from 'ews-javascript-api';
import { ConnectorError, isConnectorError, type ConnectorErrorCode, type ErrorScope, type RetryKind } from '../connector-error.js';
import { NETWORK_ERROR_CODES, TLS_ERROR_CODES } from '../socket-errors.js';
import { NTLM_HANDSHAKE_FAILED } from './ntlm-auth.js';

/** What the transport saw of the failed request's HTTP exchange. */
export interface HttpExchange {
  status?: number;
  headers?: Readonly<Record<string, unknown>>;
  /** The socket or HTTP client error when no response came (code as Node or axios gives it). */
  transport?: { readonly code?: string; readonly message: string };
}

/** Who is asking, for the advice in the message. */
export interface ErrorContext {
  readonly auth?: 'ntlm' | 'basic' | 'oauth';
  /** The mailbox acted on by impersonation, when there is one. */
  readonly impersonating?: string;
}

/** Wait when the server says "busy" without saying how long (HTTP 503 without Retry-After). */
export const DEFAULT_BACKOFF_MS = 30_000;

/** The client's request timeout (axios) and aborted sockets: worth another try. */
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);

/** EWS codes that mean "this mailbox or user may not be used so". */
const ACCESS_CODES = new Set([
  'ErrorAccessDenied', 'ErrorImpersonateUserDenied', 'ErrorImpersonationDenied', 'ErrorImpersonationFailed',
  'ErrorInvalidImpersonationHeader', 'ErrorAccountDisabled', 'ErrorInvalidLicense', 'ErrorProxyRequestNotAllowed',
]);

/** EWS codes of a server that is overloaded or briefly unable to serve the mailbox. */
const BUSY_CODES = new Set([
  'ErrorServerBusy', 'ErrorExceededConnectionCount', 'ErrorTooManyObjectsOpened', 'ErrorInsufficientResources',
  'ErrorInternalServerTransientError', 'ErrorMailboxStoreUnavailable', 'ErrorMailboxMoveInProgress',
  'ErrorConnectionFailed', 'ErrorTimeoutExpired', 'ErrorNoRespondingCASInDestinationSite',
]);

/** EWS codes that refuse one message's content. */
const MESSAGE_CODES = new Set([
  'ErrorMimeContentConversionFailed', 'ErrorMimeContentInvalid', 'ErrorMimeContentInvalidBase64String',
  'ErrorCorruptData', 'ErrorItemSave', 'ErrorItemSavePropertyError', 'ErrorInvalidExtendedPropertyValue',
]);

interface EwsErrorLike {
  readonly message?: string;
  readonly code?: string;
  readonly HttpStatusCode?: number;
  readonly ResponseCode?: number;
  readonly ErrorCode?: number;
  readonly ErrorMessage?: string;
  readonly FaultCode?: string | null;
  readonly ErrorDetails?: DictionaryLike;
  readonly Response?: { readonly ErrorDetails?: DictionaryLike; readonly ErrorMessage?: string };
}

interface DictionaryLike {
  containsKey(key: string): boolean;
  get(key: string): unknown;
}

/** The EWS error code name ("ErrorServerBusy") of a numeric ServiceError or a name; undefined for NoError. */
export function errorName(code: number | string | null | undefined): string | undefined {
  if (code === undefined || code === null) return undefined;
  const name = typeof code === 'number' ? (ServiceError as unknown as Record<number, string>)[code] : code;
  return name === undefined || name === 'NoError' ? undefined : name;
}

/**
 * The EWS code a rejection carries, if any. A SoapFaultDetails counts only when it was
 * parsed from a soap:Fault (it has a faultcode): one the library made from a bare HTTP
 * error or an unparsable answer defaults ResponseCode to ErrorInternalServerError, which
 * says nothing.
 */
function codeOf(e: EwsErrorLike): string | undefined {
  if (typeof e.ResponseCode === 'number') {
    if (typeof e.FaultCode !== 'string') return undefined;
    const response = errorName(e.ResponseCode);
    const fromFault = /(?:^|:)(Error\w+)$/.exec(e.FaultCode)?.[1];
    // A code the library's enum lacks maps to ErrorInternalServerError; the faultcode text keeps it.
    return response !== undefined && response !== 'ErrorInternalServerError' ? response : (fromFault ?? errorName(e.ErrorCode) ?? response);
  }
  return errorName(e.ErrorCode);
}

function detailsOf(e: EwsErrorLike): DictionaryLike | undefined {
  return e.ErrorDetails ?? e.Response?.ErrorDetails;
}

/** BackOffMilliseconds from an ErrorServerBusy fault's MessageXml, when it is a sane number. */
export function backOffMs(details: DictionaryLike | undefined): number | undefined {
  if (!details || !details.containsKey('BackOffMilliseconds')) return undefined;
  const value = Number(details.get('BackOffMilliseconds'));
  return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}

/** An HTTP Retry-After (delta-seconds or HTTP-date, RFC 9110 10.2.3) in ms from `now`. */
export function retryAfterMs(value: unknown, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? String(value[0] ?? '') : typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  if (/^\s*\d+\s*$/.test(text)) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function header(exchange: HttpExchange | undefined, name: string): unknown {
  const headers = exchange?.headers;
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function make(message: string, code: ConnectorErrorCode, scope: ErrorScope, retry: RetryKind, cause: unknown, retryAfter?: number): ConnectorError {
  return new ConnectorError(message, { code, scope, retry, cause, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) });
}

function authAdvice(context: ErrorContext): string {
  return context.auth === 'oauth' ? 'check the access token and its scopes' : 'check the user name and password';
}

function accessMessage(what: string, code: string, text: string, context: ErrorContext): string {
  if (context.impersonating !== undefined) {
    return `${what}: access to ${context.impersonating} denied (${code}: ${text}); the account needs impersonation rights on that mailbox ` +
      '(the ApplicationImpersonation role on Exchange Server; an app-only token with full_access_as_app on Exchange Online)';
  }
  return `${what}: access denied (${code}: ${text}); check that the account may use EWS on this mailbox`;
}

/**
 * @param what - what was being done, for the message ("list folders of alice@ex.example").
 * @param scope - the blast radius when the server refused the operation itself (not the
 *   connection, the credentials or the mailbox).
 * @param exchange - what the transport saw of the request (status, headers, socket error).
 */
export function toConnectorError(error: unknown, what: string, scope: ErrorScope, exchange?: HttpExchange, context: ErrorContext = {}): ConnectorError {
  if (isConnectorError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as EwsErrorLike;
  const status = exchange?.status ?? (e.HttpStatusCode === 200 ? undefined : e.HttpStatusCode);
  const text = (e.message || e.ErrorMessage || e.Response?.ErrorMessage || '').trim() || (status === undefined ? 'unknown error' : `HTTP ${status}`);

  // 1. No HTTP response at all: the socket or TLS failed.
  const transportCode = exchange?.transport?.code ?? (status === undefined && typeof e.code === 'string' ? e.code : undefined);
  if (transportCode !== undefined && status === undefined) {
    const detail = exchange?.transport?.message ?? text;
    if (TLS_ERROR_CODES.has(transportCode) || /certificate|ssl|tls/i.test(transportCode)) {
      return make(`${what}: TLS failed (${transportCode}); check the URL scheme, the port and the CA file`, 'TLS_FAILED', 'account', 'never', error);
    }
    if (transportCode === 'ENOTFOUND') return make(`${what}: host not found (${detail})`, 'CONNECT_FAILED', 'account', 'now', error);
    if (transportCode === NTLM_HANDSHAKE_FAILED) {
      // Usually a server without NTLM on this URL; a busy front end answers the negotiate so too: retry, then give up.
      return make(`${what}: ${detail}; check that the server offers NTLM at this URL (or use basic)`, 'PROTOCOL', 'account', 'now', error);
    }
    if (TIMEOUT_CODES.has(transportCode)) return make(`${what}: no answer in time (${transportCode}: ${detail})`, 'CONNECTION_LOST', 'account', 'now', error);
    if (NETWORK_ERROR_CODES.has(transportCode)) return make(`${what}: connection failed (${transportCode}: ${detail})`, 'CONNECTION_LOST', 'account', 'now', error);
  }

  // 2. An EWS error code, from a SOAP fault or a response message.
  const code = codeOf(e);
  if (code !== undefined) {
    const mapped = fromCode(code, text, what, scope, error, detailsOf(e), context);
    if (mapped) return mapped;
  }

  // 3. The HTTP status alone.
  if (status === 401) {
    return make(`${what}: authentication failed (${text}); ${authAdvice(context)}`, 'AUTH_FAILED', 'account', 'never', error);
  }
  if (status === 403) {
    return make(`${what}: the server forbids access (HTTP 403: ${text}); EWS may be switched off for this mailbox or application`, 'AUTH_FAILED', 'account', 'never', error);
  }
  if (status === 429 || status === 503) {
    const wait = retryAfterMs(header(exchange, 'retry-after')) ?? DEFAULT_BACKOFF_MS;
    return make(`${what}: server busy (HTTP ${status}); retry in ${Math.ceil(wait / 1000)} s`, 'THROTTLED', 'account', 'later', error, wait);
  }
  if (status === 404) {
    return make(`${what}: no EWS endpoint at this URL (HTTP 404); check the URL path (usually /EWS/Exchange.asmx)`, 'CONNECT_FAILED', 'account', 'never', error);
  }
  if (status === 502 || status === 504) {
    return make(`${what}: gateway error (HTTP ${status}: ${text})`, 'CONNECTION_LOST', 'account', 'now', error);
  }
  if (transportCode !== undefined) return make(`${what}: request failed (${transportCode}: ${text})`, 'CONNECTION_LOST', 'account', 'now', error);
  if (status !== undefined && status !== 500 && status !== 200) {
    return make(`${what}: unexpected HTTP ${status} (${text})`, 'PROTOCOL', 'account', 'now', error);
  }
  return make(`${what}: ${code === undefined ? '' : `${code}: `}${text}`, 'PROTOCOL', code === undefined ? 'account' : scope, 'now', error);
}

/** A per-item error of a multi-item response (GetItem, CreateItem). */
export function responseError(response: { readonly ErrorCode?: number; readonly ErrorMessage?: string; readonly ErrorDetails?: DictionaryLike }, what: string, context: ErrorContext = {}): ConnectorError {
  return toConnectorError(response, what, 'message', undefined, context);
}

function fromCode(code: string, text: string, what: string, scope: ErrorScope, cause: unknown, details: DictionaryLike | undefined, context: ErrorContext): ConnectorError | undefined {
  if (ACCESS_CODES.has(code)) return make(accessMessage(what, code, text, context), 'AUTH_FAILED', 'account', 'never', cause);
  if (code === 'ErrorNonExistentMailbox') {
    return make(`${what}: no such mailbox (${code}: ${text}); check the mailbox address`, 'AUTH_FAILED', 'account', 'never', cause);
  }
  if (code === 'ErrorServerBusy') {
    const wait = backOffMs(details) ?? DEFAULT_BACKOFF_MS;
    return make(`${what}: server busy (${code}); retry in ${Math.ceil(wait / 1000)} s`, 'THROTTLED', 'account', 'later', cause, wait);
  }
  if (BUSY_CODES.has(code)) {
    return make(`${what}: server temporarily unavailable (${code}: ${text})`, 'THROTTLED', 'account', 'later', cause, backOffMs(details) ?? DEFAULT_BACKOFF_MS);
  }
  if (code === 'ErrorInvalidSyncStateData') {
    return make(`${what}: the server no longer accepts the sync state (${code}); enumerate the folder again`, 'SYNC_STATE_INVALID', 'folder', 'now', cause);
  }
  if (code === 'ErrorFolderNotFound' || code === 'ErrorSyncFolderNotFound') {
    return make(`${what}: folder does not exist (${code}: ${text})`, 'FOLDER_NOT_FOUND', 'folder', 'never', cause);
  }
  if (code === 'ErrorQuotaExceeded') {
    // The mailbox is full: every further message fails too, so the account stops, as IMAP's [OVERQUOTA] does.
    return make(`${what}: target is over quota (${code}: ${text})`, 'OVER_QUOTA', 'account', 'never', cause);
  }
  if (code === 'ErrorMessageSizeExceeded') {
    return make(`${what}: server refused the message: too large (${code}: ${text})`, 'MESSAGE_TOO_LARGE', 'message', 'never', cause);
  }
  if (MESSAGE_CODES.has(code)) {
    return make(`${what}: server refused the message (${code}: ${text})`, 'MESSAGE_REJECTED', 'message', 'never', cause);
  }
  if (code === 'ErrorBatchProcessingStopped') {
    return make(`${what}: not processed, an earlier item of the batch failed (${code})`, 'MESSAGE_REJECTED', 'message', 'now', cause);
  }
  if (scope === 'message' && (code === 'ErrorItemNotFound' || code === 'ErrorInvalidIdMalformed' || code === 'ErrorInvalidIdNotAnItemAttachmentId')) {
    return make(`${what}: no such item (${code}: ${text})`, 'MESSAGE_REJECTED', 'message', 'never', cause);
  }
  return undefined;
}
