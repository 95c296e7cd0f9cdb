/**
 * A protocol-faithful Exchange Web Services (EWS) test server on 127.0.0.1 for the EWS
 * connector's tests: SOAP 1.1 over HTTP with Basic, NTLM or Bearer (OAuth) authentication, the operations
 * a mailbox migration uses (GetFolder, FindFolder, CreateFolder, SyncFolderItems,
 * GetItem, FindItem, CreateItem, UpdateItem, DeleteItem), impersonation, and switchable
 * throttling/failure modes. Response structures follow Microsoft's published samples
 * (test/fixtures/ews/), and the integration test drives it with ews-javascript-api.
 *
 * Limits worth knowing:
 * - maxMessageBytes (default 25 MiB of decoded MIME) -> ErrorMessageSizeExceeded.
 * - No body, recipients, attachments or MIME conversion: MimeContent is stored and
 *   returned byte for byte (real Exchange regenerates it, see the research doc section 4).
 * - `requests` logs every POST (NTLM's GET handshake legs are not SOAP requests).
 * - `arrivals` and `requestFaults` time the authenticated POSTs and the back-offs asked
 *   for, for tests of a back-off that holds for the whole mailbox (request-times.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowMs } from '../arrivals.js';
import { readBody } from '../http-body.js';
import { BasicAuth, BearerAuth, NtlmAuth, type Authenticator, type BearerVerdict } from './auth.js';
import { Directory } from './directory.js';
import { dispatch, impersonatedAddress, parseRequest, type ParsedRequest } from './dispatch.js';
import { FaultState, type EwsFaults } from './faults.js';
import { mailboxView, type EwsMailbox } from './mailbox-view.js';
import { RequestTimes, type EwsArrival, type EwsRequestFaultRecord } from './request-times.js';
import { SoapFaultError, soapFault } from './soap.js';

export type { BearerVerdict } from './auth.js';
export type { EwsFaults } from './faults.js';
export type { EwsMailbox, EwsMessageView } from './mailbox-view.js';
export type { EwsArrival, EwsRequestFaultRecord } from './request-times.js';

export interface EwsServerOptions {
  /** SMTP address -> password. Each user has a mailbox with the well-known folders. */
  users: Record<string, string>;
  /** 'basic' (default), 'ntlm' (401 challenge/response, see below) or 'oauth' (Bearer tokens checked by `verifyBearer`). */
  auth?: 'basic' | 'ntlm' | 'oauth';
  /** With auth 'oauth': accepts a token as its principal (an app id; give it impersonation rights), e.g. the fake token service's `verify`. */
  verifyBearer?: (token: string) => BearerVerdict;
  /** Service accounts allowed to impersonate others: { 'svc@example.com': ['alice@example.com', ...] } or ['*']. */
  impersonation?: Record<string, readonly string[]>;
  /** Most changes one SyncFolderItems answer returns even if the client asks for more (forces paging); default 512. */
  maxSyncChanges?: number;
  /** Largest decoded MIME CreateItem accepts; larger items get ErrorMessageSizeExceeded. Default 25 MiB. */
  maxMessageBytes?: number;
}

export interface EwsRequestRecord {
  operation: string;
  user: string;
  impersonated?: string;
  anchorMailbox?: string;
  status: number;
}

export interface EwsTestServer {
  readonly url: string; // `http://127.0.0.1:${port}/EWS/Exchange.asmx`
  readonly port: number;
  mailbox(address: string): EwsMailbox; // throws for an unknown user
  readonly faults: EwsFaults;
  /** Every request seen: operation (first child of soap:Body, e.g. 'SyncFolderItems'), authenticated user, impersonated SMTP (ExchangeImpersonation header) and the X-AnchorMailbox header. */
  readonly requests: ReadonlyArray<EwsRequestRecord>;
  /** Every authenticated POST with the time its headers arrived and the mailbox it acts on, sorted by arrival (request-times.ts). */
  readonly arrivals: ReadonlyArray<EwsArrival>;
  /** Every whole-request fault answered (ErrorServerBusy, 503), when it was written and the back-off it asked for. */
  readonly requestFaults: ReadonlyArray<EwsRequestFaultRecord>;
  stop(): Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
/** Requests above this are refused with 413 before parsing (IIS maxAllowedContentLength). */
const MAX_REQUEST_BYTES = 256 * 1024 * 1024;
const EWS_PATH = '/ews/exchange.asmx';


function makeAuthenticator(options: EwsServerOptions, directory: Directory): Authenticator {
  if (options.auth === 'ntlm') return new NtlmAuth(directory);
  if (options.auth !== 'oauth') return new BasicAuth(directory);
  if (!options.verifyBearer) throw new Error("EWS test server: auth 'oauth' needs verifyBearer");
  return new BearerAuth(options.verifyBearer);
}

export async function startEwsServer(options: EwsServerOptions): Promise<EwsTestServer> {
  const directory = new Directory(options.users, options.impersonation);
  const faults = new FaultState();
  const authenticator = makeAuthenticator(options, directory);
  const requests: EwsRequestRecord[] = [];
  const times = new RequestTimes();
  const maxSyncChanges = options.maxSyncChanges ?? 512;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;

  const send = (response: http.ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}) => {
    response.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
    response.end(body);
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    // The headers are in: the request's first bytes came just now, whatever its body's size.
    const arrivedAt = nowMs();
    const body = await readBody(request, MAX_REQUEST_BYTES);
    const path = (request.url ?? '').split('?')[0]?.toLowerCase();
    if (path !== EWS_PATH) return send(response, 404, '', { 'Content-Type': 'text/html' });
    if (body === undefined) return send(response, 413, '', { 'Content-Type': 'text/html' });

    let parsed: ParsedRequest | undefined;
    let parseError: SoapFaultError | undefined;
    if (request.method === 'POST') {
      try {
        parsed = parseRequest(body.toString('utf8'));
      } catch (error) {
        parseError = error instanceof SoapFaultError ? error : new SoapFaultError('ErrorSchemaValidation', String(error));
      }
    }
    const record: EwsRequestRecord = { operation: parsed?.operation ?? '', user: '', status: 0 };
    const impersonated = impersonatedAddress(parsed?.header);
    if (impersonated !== undefined) record.impersonated = impersonated;
    const anchor = request.headers['x-anchormailbox'];
    if (typeof anchor === 'string') record.anchorMailbox = anchor;
    let arrival: ReturnType<RequestTimes['arrived']> | undefined;
    const finish = (status: number, text: string, headers: Record<string, string | string[]> = {}) => {
      record.status = status;
      if (arrival) times.answered(arrival, status);
      if (request.method === 'POST') requests.push(record);
      send(response, status, text, headers);
    };

    const auth = authenticator.authenticate(request);
    if ('challenge' in auth) return finish(401, '', { ...auth.challenge, 'Content-Type': 'text/html' });
    record.user = auth.user;
    if (request.method !== 'POST') return finish(405, '', { Allow: 'POST', 'Content-Type': 'text/html' });
    arrival = times.arrived(arrivedAt, record.operation, auth.user, impersonated);

    const fault = faults.takeRequestFault();
    if (fault?.kind === 'unavailable') {
      const retryAfter = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
      finish(503, '<html><body><h1>Service Unavailable</h1></body></html>', { 'Content-Type': 'text/html; charset=us-ascii', ...retryAfter });
      return times.faulted(arrival, 'unavailable', fault.retryAfterSeconds === undefined ? undefined : fault.retryAfterSeconds * 1000);
    }
    if (fault?.kind === 'busy') {
      finish(500, soapFault('ErrorServerBusy', 'The server cannot service this request right now. Try again later.', { BackOffMilliseconds: String(fault.backOffMs) }));
      return times.faulted(arrival, 'busy', fault.backOffMs);
    }
    try {
      if (parseError || !parsed) throw parseError ?? new SoapFaultError('ErrorSchemaValidation', 'empty request');
      finish(200, dispatch({ directory, faults, maxSyncChanges, maxMessageBytes, user: auth.user, parsed, impersonated }));
    } catch (error) {
      // Exchange reports request-level failures as a SOAP fault with HTTP 500.
      const soapError = error instanceof SoapFaultError ? error : new SoapFaultError('ErrorInternalServerError', `EWS test server bug: ${(error as Error).stack ?? String(error)}`);
      finish(500, soapFault(soapError.code, soapError.message, soapError.values));
    }
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, soapFault('ErrorInternalServerError', String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/EWS/Exchange.asmx`,
    port,
    faults,
    requests,
    arrivals: times.arrivals,
    requestFaults: times.faults,
    mailbox(address) {
      const mailbox = directory.mailbox(address);
      if (!mailbox) throw new Error(`EWS test server: no user ${address}`);
      return mailboxView(mailbox);
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
