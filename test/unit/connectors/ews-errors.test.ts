/**
 * Error mapping of the EWS connector: the shapes ews-javascript-api rejects with, made by
 * the library itself from canned HTTP answers (a fake XHR under the real ExchangeService),
 * and the records the transport keeps of each request.
 */
import {
  BasePropertySet, ExchangeService, ExchangeVersion, Folder, PropertySet, ServiceError, SoapFaultDetails, TimeZoneInfo, Uri, WebCredentials,
  WellKnownFolderName, type IXHRApi, type IXHROptions,
} from 'ews-javascript-api';
import { describe, expect, it } from 'vitest';
import { ConnectorError, type ConnectorErrorCode, type ErrorScope, type RetryKind } from '../../../src/connectors/connector-error.js';
import { backOffMs, errorName, responseError, retryAfterMs, toConnectorError, type HttpExchange } from '../../../src/connectors/ews/ews-errors.js';
import { ObservingXhrApi, observe } from '../../../src/connectors/ews/transport.js';

const HEADER = '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
  + '<h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>';

function fault(code: string, text: string, values: Record<string, string> = {}): string {
  const xml = Object.entries(values).map(([k, v]) => `<t:Value Name="${k}">${v}</t:Value>`).join('');
  return `${HEADER}<s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:${code}</faultcode>`
    + `<faultstring xml:lang="en-US">${text}</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${code}</e:ResponseCode>`
    + `<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${text}</e:Message>`
    + (xml ? `<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">${xml}</t:MessageXml>` : '')
    + '</detail></s:Fault></s:Body></s:Envelope>';
}

function getFolderError(code: string, text: string): string {
  return `${HEADER}<s:Body><m:GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">`
    + `<m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>${text}</m:MessageText><m:ResponseCode>${code}</m:ResponseCode>`
    + '<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Folders/></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse></s:Body></s:Envelope>';
}

type Answer = { status: number; body?: string; headers?: Record<string, string> } | { network: string; message: string };

/** An XHR API that answers every request with `answer`, shaped as @ewsjs/xhr shapes its answers. */
function fakeXhr(answer: Answer): IXHRApi {
  return {
    apiName: 'fake',
    disconnect: () => undefined,
    xhrStream: () => Promise.reject(new Error('not used')),
    async xhr(_options: IXHROptions) {
      if ('network' in answer) {
        throw Object.assign(new Error(answer.message), { code: answer.network, getResponseHeader: () => null, getAllResponseHeaders: () => '' });
      }
      const headers = answer.headers ?? {};
      const response = { status: answer.status, responseText: answer.body ?? '', headers, getResponseHeader: (name: string) => headers[name.toLowerCase()] ?? null };
      if (answer.status === 200) return response as unknown as XMLHttpRequest;
      throw response;
    },
  };
}

/** GetFolder msgfolderroot through the real library over `answer`; the mapped error. */
async function mapped(answer: Answer, context = {}): Promise<{ error: ConnectorError; record: HttpExchange }> {
  const service = new ExchangeService(ExchangeVersion.Exchange2013_SP1, TimeZoneInfo.Utc);
  service.Url = new Uri('https://mail.example.com/EWS/Exchange.asmx');
  service.Credentials = new WebCredentials('alice', 'pa55word');
  service.XHRApi = new ObservingXhrApi(fakeXhr(answer));
  const record: HttpExchange = {};
  const outcome = await observe(record, () => Folder.Bind(service, WellKnownFolderName.MsgFolderRoot, new PropertySet(BasePropertySet.IdOnly))).then(
    () => undefined,
    (error: unknown) => toConnectorError(error, 'op', 'folder', record, context),
  );
  if (!outcome) throw new Error('expected a failure');
  return { error: outcome, record };
}

interface Expected {
  readonly code: ConnectorErrorCode;
  readonly scope: ErrorScope;
  readonly retry: RetryKind;
  readonly retryAfterMs?: number;
  readonly message: RegExp;
}

describe('EWS error mapping through ews-javascript-api', () => {
  it.each<[string, Answer, Expected]>([
    ['ErrorServerBusy fault with BackOffMilliseconds', { status: 500, body: fault('ErrorServerBusy', 'The server cannot service this request right now.', { BackOffMilliseconds: '29994' }) },
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 29_994, message: /^op: server busy \(ErrorServerBusy\); retry in 30 s$/ }],
    ['ErrorServerBusy fault without a hint', { status: 500, body: fault('ErrorServerBusy', 'busy') },
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 30_000, message: /server busy/ }],
    ['HTTP 503 with Retry-After seconds', { status: 503, body: '<html>Service Unavailable</html>', headers: { 'retry-after': '120' } },
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 120_000, message: /^op: server busy \(HTTP 503\); retry in 120 s$/ }],
    ['HTTP 503 without Retry-After', { status: 503 },
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 30_000, message: /HTTP 503/ }],
    ['HTTP 429', { status: 429, headers: { 'retry-after': '5' } },
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 5_000, message: /HTTP 429/ }],
    ['HTTP 401', { status: 401 },
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /^op: authentication failed \(401 Unauthorized\); check the user name and password$/ }],
    ['HTTP 403', { status: 403 },
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /HTTP 403/ }],
    ['HTTP 404', { status: 404 },
      { code: 'CONNECT_FAILED', scope: 'account', retry: 'never', message: /no EWS endpoint/ }],
    ['HTTP 502', { status: 502 },
      { code: 'CONNECTION_LOST', scope: 'account', retry: 'now', message: /gateway error \(HTTP 502/ }],
    ['HTTP 500 with an HTML page (the library would crash on it)', { status: 500, body: '<html><body>IIS error</body></html>' },
      { code: 'PROTOCOL', scope: 'account', retry: 'now', message: /^op: / }],
    ['HTTP 500 with an empty body', { status: 500, body: '' },
      { code: 'PROTOCOL', scope: 'account', retry: 'now', message: /^op: / }],
    ['ErrorImpersonateUserDenied fault', { status: 500, body: fault('ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.') },
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /access denied \(ErrorImpersonateUserDenied/ }],
    ['ErrorNonExistentMailbox fault', { status: 500, body: fault('ErrorNonExistentMailbox', 'No mailbox.') },
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /no such mailbox/ }],
    ['ErrorAccessDenied response message', { status: 200, body: getFolderError('ErrorAccessDenied', 'Access is denied.') },
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /access denied \(ErrorAccessDenied: Access is denied\.\)/ }],
    ['ErrorFolderNotFound response message', { status: 200, body: getFolderError('ErrorFolderNotFound', 'The specified folder could not be found.') },
      { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never', message: /folder does not exist/ }],
    ['ErrorInvalidSyncStateData response message', { status: 200, body: getFolderError('ErrorInvalidSyncStateData', 'Invalid sync state data.') },
      { code: 'SYNC_STATE_INVALID', scope: 'folder', retry: 'now', message: /no longer accepts the sync state/ }],
    ['ErrorMailboxMoveInProgress response message', { status: 200, body: getFolderError('ErrorMailboxMoveInProgress', 'Moving.') },
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 30_000, message: /temporarily unavailable/ }],
    ['an unknown EWS error in the operation', { status: 200, body: getFolderError('ErrorInvalidRequest', 'Bad request.') },
      { code: 'PROTOCOL', scope: 'folder', retry: 'now', message: /ErrorInvalidRequest: Bad request\./ }],
    ['a 200 that is not XML (a login page)', { status: 200, body: 'Please log in' },
      { code: 'PROTOCOL', scope: 'account', retry: 'now', message: /^op: / }],
    ['connection refused', { network: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:443' },
      { code: 'CONNECTION_LOST', scope: 'account', retry: 'now', message: /^op: connection failed \(ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:443\)$/ }],
    ['host not found', { network: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND mail.invalid' },
      { code: 'CONNECT_FAILED', scope: 'account', retry: 'now', message: /host not found/ }],
    ['client timeout', { network: 'ECONNABORTED', message: 'timeout of 300000ms exceeded' },
      { code: 'CONNECTION_LOST', scope: 'account', retry: 'now', message: /no answer in time/ }],
    ['self-signed certificate', { network: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' },
      { code: 'TLS_FAILED', scope: 'account', retry: 'never', message: /^op: TLS failed \(DEPTH_ZERO_SELF_SIGNED_CERT\); check the URL scheme, the port and the CA file$/ }],
  ])('%s', async (_label, answer, expected) => {
    const { error } = await mapped(answer);
    expect(error).toBeInstanceOf(ConnectorError);
    expect({ code: error.code, scope: error.scope, retry: error.retry }).toEqual({ code: expected.code, scope: expected.scope, retry: expected.retry });
    if (expected.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(expected.retryAfterMs);
    expect(error.message).toMatch(expected.message);
    expect(error.message).not.toContain('pa55word');
  });

  it('names impersonation rights when impersonating, and the token for OAuth', async () => {
    const denied = await mapped({ status: 500, body: fault('ErrorImpersonateUserDenied', 'No.') }, { impersonating: 'alice@example.com' });
    expect(denied.error.message).toMatch(/access to alice@example\.com denied \(ErrorImpersonateUserDenied: No\.\); the account needs impersonation rights/);
    const oauth = await mapped({ status: 401 }, { auth: 'oauth' });
    expect(oauth.error.message).toMatch(/check the access token/);
  });

  it('records status and headers, or the socket error without the request (Authorization)', async () => {
    const busy = await mapped({ status: 503, headers: { 'retry-after': '7' } });
    expect(busy.record).toEqual({ status: 503, headers: { 'retry-after': '7' } });
    const refused = await mapped({ network: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    expect(refused.record).toEqual({ transport: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } });
  });

  it('keeps concurrent operations\' records apart', async () => {
    const records = await Promise.all([{ status: 503 }, { status: 401 }, { status: 404 }].map(async (answer) => (await mapped(answer)).record.status));
    expect(records).toEqual([503, 401, 404]);
  });
});

describe('per-item response errors', () => {
  const details = (values: Record<string, string>) => ({ containsKey: (k: string) => k in values, get: (k: string) => values[k] });
  it.each<[string, Expected]>([
    ['ErrorMessageSizeExceeded', { code: 'MESSAGE_TOO_LARGE', scope: 'message', retry: 'never', message: /^append: server refused the message: too large/ }],
    ['ErrorMimeContentConversionFailed', { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never', message: /server refused the message \(ErrorMimeContentConversionFailed/ }],
    ['ErrorMimeContentInvalidBase64String', { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never', message: /refused/ }],
    ['ErrorQuotaExceeded', { code: 'OVER_QUOTA', scope: 'account', retry: 'never', message: /over quota/ }],
    ['ErrorBatchProcessingStopped', { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'now', message: /not processed/ }],
    ['ErrorItemNotFound', { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never', message: /no such item/ }],
    ['ErrorServerBusy', { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 500, message: /server busy/ }],
    ['ErrorCorruptData', { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never', message: /refused/ }],
    ['ErrorInvalidPropertySet', { code: 'PROTOCOL', scope: 'message', retry: 'now', message: /ErrorInvalidPropertySet: text/ }],
  ])('%s', (code, expected) => {
    const numeric = (ServiceError as unknown as Record<string, number>)[code] as number;
    expect(numeric).toBeTypeOf('number');
    const error = responseError({ ErrorCode: numeric, ErrorMessage: 'text', ErrorDetails: details({ BackOffMilliseconds: '500' }) }, 'append');
    expect({ code: error.code, scope: error.scope, retry: error.retry }).toEqual({ code: expected.code, scope: expected.scope, retry: expected.retry });
    if (expected.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(expected.retryAfterMs);
    expect(error.message).toMatch(expected.message);
  });

  it('passes a ConnectorError through untouched', () => {
    const original = new ConnectorError('x', { code: 'FOLDER_FAILED', scope: 'folder', retry: 'never' });
    expect(toConnectorError(original, 'op', 'message')).toBe(original);
  });

  it('ignores the default ResponseCode of a SoapFaultDetails made from a bare HTTP error', () => {
    const bare = new SoapFaultDetails();
    bare.HttpStatusCode = 401;
    expect(errorName(bare.ResponseCode)).toBe('ErrorInternalServerError');
    expect(toConnectorError(bare, 'op', 'folder').code).toBe('AUTH_FAILED');
  });
});

describe('hints', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs(['7'], now)).toBe(7_000);
    expect(retryAfterMs('Mon, 01 Jan 2024 00:01:30 GMT', now)).toBe(90_000);
    expect(retryAfterMs('Sun, 31 Dec 2023 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('reads BackOffMilliseconds only when it is a number', () => {
    const dict = (v: string | undefined) => ({ containsKey: (k: string) => k === 'BackOffMilliseconds' && v !== undefined, get: () => v });
    expect(backOffMs(dict('29994'))).toBe(29_994);
    expect(backOffMs(dict('abc'))).toBeUndefined();
    expect(backOffMs(dict('-5'))).toBeUndefined();
    expect(backOffMs(dict(undefined))).toBeUndefined();
    expect(backOffMs(undefined)).toBeUndefined();
  });
});
