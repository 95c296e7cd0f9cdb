/**
 * SOAP envelopes, response messages and faults in the shape Exchange 2013+ sends them
 * (MajorVersion 15). Every successful answer is
 *   Envelope/Header/t:ServerVersionInfo + Envelope/Body/m:XxxResponse/m:ResponseMessages/
 *   m:XxxResponseMessage[@ResponseClass]/(m:MessageText, m:ResponseCode,
 *   m:DescriptiveLinkKey)... payload
 * which is the structure of the samples in Microsoft's EWS reference (see
 * test/fixtures/ews/README.md); the integration tests compare the structures.
 */
import { NS } from './namespaces.js';
import { el, escapeXml, text } from './xml-writer.js';

/** Exchange 2016 CU23 reports these numbers; the client only reads them for ServerInfo. */
const SERVER_VERSION = { MajorVersion: 15, MinorVersion: 1, MajorBuildNumber: 2507, MinorBuildNumber: 6, Version: 'V2017_07_11' };

export function envelope(responseBody: string): string {
  const header = el('t:ServerVersionInfo', { ...SERVER_VERSION, 'xmlns:t': NS.types });
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}"><s:Header>${header}</s:Header>` +
    `<s:Body xmlns:xsi="${NS.xsi}" xmlns:xsd="${NS.xsd}">${responseBody}</s:Body></s:Envelope>`
  );
}

/** `<m:XxxResponse>` holding one `m:XxxResponseMessage` per entry of `messages`. */
export function operationResponse(operation: string, messages: readonly string[]): string {
  return el(`m:${operation}Response`, { 'xmlns:m': NS.messages, 'xmlns:t': NS.types }, [
    el('m:ResponseMessages', {}, messages),
  ]);
}

/** Human text Exchange puts in m:MessageText for the codes this server produces. */
const MESSAGE_TEXT: Record<string, string> = {
  ErrorAccessDenied: 'Access is denied. Check credentials and try again.',
  ErrorFolderExists: 'A folder with the specified name already exists.',
  ErrorFolderNotFound: 'The specified folder could not be found in the store.',
  ErrorInvalidIdMalformed: 'Id is malformed.',
  ErrorInvalidSyncStateData: 'Synchronization state data is corrupt or otherwise invalid.',
  ErrorItemNotFound: 'The specified object was not found in the store.',
  ErrorMessageSizeExceeded: 'The message exceeds the maximum supported size.',
  ErrorQuotaExceeded: 'The mailbox quota has been exceeded.',
  ErrorMimeContentInvalidBase64String: 'Invalid base64 string for MIME content.',
  ErrorNonExistentMailbox: 'The SMTP address has no mailbox associated with it.',
  ErrorMessageDispositionRequired: 'MessageDisposition attribute is required.',
  ErrorUnsupportedQueryFilter: 'The restriction contains a filter this server does not support.',
};

export function messageText(code: string): string {
  return MESSAGE_TEXT[code] ?? code;
}

/** A successful response message: ResponseCode NoError, then the payload elements. */
export function success(operation: string, payload: readonly string[] = []): string {
  return el(`m:${operation}ResponseMessage`, { ResponseClass: 'Success' }, [text('m:ResponseCode', 'NoError'), ...payload]);
}

/**
 * An error response message. `trailer` holds the empty containers Exchange still writes
 * after the error (e.g. `<m:Items/>` for GetItem/CreateItem, `<m:Folders/>` for GetFolder).
 */
export function failure(operation: string, code: string, trailer: readonly string[] = [], explanation?: string): string {
  return el(`m:${operation}ResponseMessage`, { ResponseClass: 'Error' }, [
    el('m:MessageText', {}, explanation ?? messageText(code)),
    el('m:ResponseCode', {}, code),
    el('m:DescriptiveLinkKey', {}, '0'),
    ...trailer,
  ]);
}

/**
 * A SOAP fault (HTTP 500), the shape Exchange Online sends for ErrorServerBusy
 * (mguessan/davmail#161): faultcode a:Code, detail/e:ResponseCode, e:Message and, when
 * there are values, t:MessageXml/t:Value[@Name]. ews-javascript-api turns
 * MessageXml values into SoapFaultDetails.ErrorDetails (e.g. BackOffMilliseconds).
 */
export function soapFault(code: string, message: string, values: Record<string, string> = {}): string {
  const details = Object.entries(values).map(([name, value]) => el('t:Value', { Name: name }, value));
  const messageXml = details.length > 0 ? [el('t:MessageXml', { 'xmlns:t': NS.types }, details)] : [];
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}"><s:Body><s:Fault>` +
    `<faultcode xmlns:a="${NS.types}">a:${escapeXml(code)}</faultcode>` +
    `<faultstring xml:lang="en-US">${escapeXml(message)}</faultstring>` +
    '<detail>' +
    el('e:ResponseCode', { 'xmlns:e': NS.errors }, code) +
    el('e:Message', { 'xmlns:e': NS.errors }, message) +
    messageXml.join('') +
    '</detail></s:Fault></s:Body></s:Envelope>'
  );
}

/** Thrown by request handling to answer HTTP 500 with a SOAP fault instead of a response. */
export class SoapFaultError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly values: Record<string, string> = {},
  ) {
    super(message);
  }
}
