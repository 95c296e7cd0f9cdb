/**
 * The HTTP layer under ews-javascript-api: its own XhrApi (@ewsjs/xhr, axios), wrapped
 * so that each EWS call learns what happened on the wire.
 *
 * The library keeps only the status of a failed request (no headers, so no Retry-After;
 * no socket error code, so no ECONNREFUSED vs. certificate error). The wrapper records
 * the status, the headers and the socket error into the calling operation's record,
 * found through AsyncLocalStorage: the library's promise chain runs inside `observe()`,
 * so concurrent operations never see each other's records.
 *
 * It also shields the library from one of its crashes: an HTTP 500 whose body is not XML
 * (an IIS or proxy error page) makes its fault parser throw inside a promise callback, so
 * the operation's promise never settles and the process gets an unhandled rejection.
 * Such a response reaches the library with status 0 instead (its plain "HTTP error"
 * path); the record keeps the real status.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IXHRApi, IXHROptions, IXHRProgress } from 'ews-javascript-api';
import { isConnectorError, type ConnectorError } from '../connector-error.js';
import type { HttpExchange } from './ews-errors.js';

const records = new AsyncLocalStorage<HttpExchange>();
/** A ConnectorError a layer below threw (the OAuth token provider), kept past the library. */
const failures = new WeakMap<HttpExchange, ConnectorError>();

/** Runs `fn` (one EWS operation) and fills `record` with what its requests saw. */
export function observe<T>(record: HttpExchange, fn: () => Promise<T>): Promise<T> {
  return records.run(record, fn);
}

/**
 * The ConnectorError a request of the operation failed with before reaching the server
 * (no token could be had); the library turns a rejection into its own fault, dropping it.
 */
export function connectorFailure(record: HttpExchange): ConnectorError | undefined {
  return failures.get(record);
}

interface XhrResponseLike {
  status?: number;
  headers?: Record<string, unknown>;
  responseText?: string;
  code?: string;
  message?: string;
}

/** Something that looks like a SOAP envelope, which the library can parse a fault from. */
function isSoap(text: string | undefined): boolean {
  return typeof text === 'string' && /<(?:[\w.-]+:)?Envelope[\s>]/.test(text.slice(0, 4096));
}

export class ObservingXhrApi implements IXHRApi {
  readonly apiName = 'mailferry';

  constructor(private readonly inner: IXHRApi) {}

  async xhr(options: IXHROptions, progress?: (data: IXHRProgress) => void): Promise<XMLHttpRequest> {
    const record = records.getStore();
    try {
      const response = await this.inner.xhr(options, progress);
      if (record) note(record, response as unknown as XhrResponseLike);
      return response;
    } catch (failure) {
      if (isConnectorError(failure)) {
        if (record) failures.set(record, failure);
        throw failure;
      }
      const response = (typeof failure === 'object' && failure !== null ? failure : { message: String(failure) }) as XhrResponseLike;
      if (record) note(record, response);
      if (response.status === 500 && !isSoap(response.responseText)) response.status = 0;
      throw failure;
    }
  }

  xhrStream(options: IXHROptions, progress: (data: IXHRProgress) => void): Promise<XMLHttpRequest> {
    return this.inner.xhrStream(options, progress);
  }

  disconnect(): void {
    this.inner.disconnect();
  }
}

function note(record: HttpExchange, response: XhrResponseLike): void {
  if (typeof response.status === 'number' && response.status > 0) {
    record.status = response.status;
    record.headers = { ...(response.headers ?? {}) };
    delete record.transport;
    return;
  }
  // No HTTP response: keep the error's code and message only (the axios error also holds
  // the request config, Authorization header included, which must not travel further).
  record.transport = { ...(typeof response.code === 'string' ? { code: response.code } : {}), message: String(response.message ?? 'request failed') };
  delete record.status;
  delete record.headers;
}
