/**
 * msal-node's HTTP client for the token authority, on Node's https module.
 *
 * msal-node's own client is `fetch` (undici), which takes no CA option: an authority
 * behind a private CA (a test authority, an ADFS or a TLS-inspecting proxy in front of
 * Entra) could then only be trusted process-wide. This one is given to msal as
 * `system.networkClient` and trusts Node's bundled public CAs plus the account's CA file,
 * if it has one, for this client only. Certificates are always verified (TLS 1.2 or later).
 *
 * msal swallows a failed OpenID discovery GET (it reports only "openid_config_error"),
 * rewraps errors it does not know, and after an HTTP 429 or 5xx answers from its own
 * throttle for a while without sending anything; so the client also reports what it saw
 * (requests sent, the last transport failure, the last Retry-After), which the token
 * provider reads to tell a dead network from a refusal or a throttle.
 * It never logs: request bodies hold the client secret, responses the token.
 */
import https from 'node:https';
import tls from 'node:tls';
import { AuthError, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';

/** Largest answer accepted from the authority (a token response is a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * What went wrong with a request: Node's error code below HTTP (ECONNREFUSED,
 * DEPTH_ZERO_SELF_SIGNED_CERT, ...), or ERR_NOT_JSON with the status of an answer that is
 * not an OAuth answer at all (a proxy's error page).
 */
export interface TransportFailure {
  readonly url: string;
  readonly code: string;
  readonly message: string;
  readonly status?: number;
}

/** What the client saw since the last report. */
export interface AuthorityHttpReport {
  /** Requests sent (0: msal answered from its own state, e.g. its throttle). */
  readonly sent: number;
  readonly failure?: TransportFailure;
  /** The Retry-After header of the last answer that had one. */
  readonly retryAfter?: string;
}

export interface AuthorityHttpOptions {
  /** PEM of a CA to trust in addition to Node's bundled public CAs. */
  readonly ca?: Buffer;
  /** Longest time one request may take, in ms. */
  readonly timeoutMs: number;
}

export class AuthorityHttpClient implements INetworkModule {
  private sent = 0;
  private failure: TransportFailure | undefined;
  private retryAfter: string | undefined;
  private readonly ca: Array<string | Buffer> | undefined;

  constructor(private readonly options: AuthorityHttpOptions) {
    this.ca = options.ca === undefined ? undefined : [...tls.rootCertificates, options.ca];
  }

  /** What happened since the last report; starts the next one. */
  takeReport(): AuthorityHttpReport {
    const report: AuthorityHttpReport = {
      sent: this.sent, ...(this.failure ? { failure: this.failure } : {}), ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
    };
    this.sent = 0;
    this.failure = undefined;
    this.retryAfter = undefined;
    return report;
  }

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private send<T>(method: 'GET' | 'POST', url: string, options: NetworkRequestOptions | undefined, timeout?: number): Promise<NetworkResponse<T>> {
    const body = method === 'POST' ? Buffer.from(options?.body ?? '', 'utf8') : undefined;
    const headers: Record<string, string | number> = { ...(options?.headers ?? {}) };
    if (body !== undefined) headers['Content-Length'] = body.length;
    const timeoutMs = Math.min(timeout ?? this.options.timeoutMs, this.options.timeoutMs);
    this.sent += 1;
    return new Promise<NetworkResponse<T>>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException) => {
        const code = error.code ?? 'ERR_NETWORK';
        this.failure = { url, code, message: error.message };
        // An AuthError passes through msal unchanged (anything else becomes a bare "network_error").
        reject(Object.assign(new AuthError('network_error', `${code}: ${error.message}`), { cause: error }));
      };
      let request: ReturnType<typeof https.request>;
      try {
        request = https.request(url, {
          method, headers, agent: false, rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(this.ca ? { ca: this.ca } : {}),
        });
      } catch (error) {
        fail(error as NodeJS.ErrnoException);
        return;
      }
      request.setTimeout(timeoutMs, () => {
        request.destroy(Object.assign(new Error(`no answer from ${new URL(url).host} in ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      request.on('error', fail);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            response.destroy(Object.assign(new Error(`answer from ${new URL(url).host} exceeds ${MAX_RESPONSE_BYTES} bytes`), { code: 'ERR_RESPONSE_TOO_LARGE' }));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const retryAfter = response.headers['retry-after'];
          if (typeof retryAfter === 'string') this.retryAfter = retryAfter;
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // A proxy's or load balancer's HTML page: not an OAuth answer (as msal's own client reports it).
            const message = `HTTP ${status} from ${new URL(url).host} is not JSON`;
            this.failure = { url, code: 'ERR_NOT_JSON', message, status };
            reject(new AuthError('token_parsing_error', message));
            return;
          }
          resolve({ headers: responseHeaders, body: parsed as T, status });
        });
      });
      request.end(body);
    });
  }
}
