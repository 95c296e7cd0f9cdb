/**
 * Graph's answers as ConnectorErrors: how far the damage reaches and whether another try
 * can help. Codes and texts follow Microsoft's docs (concepts/errors.md,
 * concepts/throttling.md, concepts/delta-query-overview.md); the fix a user needs is named
 * in the message (a permission to grant, a cmdlet to run, a URL or CA file to check).
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import { ConnectorError, isConnectorError, type ConnectorErrorCode, type ErrorScope, type RetryKind } from '../connector-error.js';
import { NETWORK_ERROR_CODES, TLS_ERROR_CODES } from '../socket-errors.js';

/** What fetch said when the network itself failed (the SDK keeps only the text). */
export interface NetworkFailure {
  readonly code: string;
  readonly message: string;
}

/** Graph's codes for a delta or skip token it no longer knows: enumerate the folder again. */
const SYNC_STATE_CODES = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired', 'invaliddeltatoken', 'invalidskiptoken']);
/** Codes of a mailbox Graph cannot serve at all (no Exchange Online license, on-premises, soft-deleted). */
const MAILBOX_CODES = new Set(['mailboxnotenabledforrestapi', 'mailboxnotfound', 'resourcenotfound', 'request_resourcenotfound', 'errorinvaliduser']);

export function graphError(error: unknown, what: string, network?: NetworkFailure): ConnectorError {
  if (isConnectorError(error)) return error;
  const make = (message: string, code: ConnectorErrorCode, scope: ErrorScope, retry: RetryKind, retryAfterMs?: number) =>
    new ConnectorError(`${what}: ${message}`, { code, scope, retry, cause: error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  if (!(error instanceof GraphError) || error.statusCode < 0) {
    if (network !== undefined && (TLS_ERROR_CODES.has(network.code) || /CERT|SSL|TLS/.test(network.code))) {
      return make(`TLS failed (${network.code}); check the endpoint URL, and --source-ca / caFile for a private CA`, 'TLS_FAILED', 'account', 'never');
    }
    if (network?.code === 'ENOTFOUND') return make(`host not found (${network.message}); check ?endpoint=`, 'CONNECT_FAILED', 'account', 'now');
    if (network?.code === 'TimeoutError' || network?.code === 'AbortError') return make('no answer in time', 'CONNECTION_LOST', 'account', 'now');
    if (network !== undefined && (NETWORK_ERROR_CODES.has(network.code) || network.code.startsWith('UND_ERR'))) {
      return make(`connection failed (${network.code})`, 'CONNECTION_LOST', 'account', 'now');
    }
    return make(`request failed (${(error as Error)?.message ?? String(error)})`, 'CONNECTION_LOST', 'account', 'now');
  }
  const status = error.statusCode;
  const code = (error.code ?? '').toLowerCase();
  const detail = `HTTP ${status}${error.code ? ` ${error.code}` : ''}${error.message ? `: ${error.message.slice(0, 300)}` : ''}`;
  if (status === 410 || SYNC_STATE_CODES.has(code)) return make(`the delta token is no longer valid (${detail})`, 'SYNC_STATE_INVALID', 'folder', 'now');
  if (status === 401) {
    return make(`the access token was refused (${detail}); check that the token's audience is this Graph endpoint's cloud (&authority= and &endpoint= of one cloud)`, 'AUTH_FAILED', 'account', 'never');
  }
  if (status === 403) {
    return make(
      `access denied (${detail}); grant the app the application permission Mail.Read (User.Read.All for discover) with admin consent, and check that an application access policy or RBAC for Applications scope includes this mailbox`,
      'AUTH_FAILED', 'account', 'never',
    );
  }
  if (status === 404 && MAILBOX_CODES.has(code)) {
    return make(`the mailbox cannot be reached through Graph (${detail}); check the address, and that it is an Exchange Online mailbox with a license`, 'AUTH_FAILED', 'account', 'never');
  }
  if (status === 404) return make(`not found (${detail})`, 'FOLDER_NOT_FOUND', 'folder', 'never');
  if (status === 429 || status === 503 || status === 504) {
    const retryAfter = Number(error.headers?.get('Retry-After'));
    return make(`Graph asks to slow down (${detail})`, 'THROTTLED', 'account', 'later', Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
  }
  if (status >= 500) return make(`Graph failed (${detail})`, 'CONNECTION_LOST', 'account', 'now');
  return make(`Graph refused the request (${detail})`, 'PROTOCOL', 'folder', 'never');
}
