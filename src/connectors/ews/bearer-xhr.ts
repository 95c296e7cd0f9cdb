/**
 * The HTTP layer for OAuth client credentials: every EWS request leaves with
 * `Authorization: Bearer <token>` from the token provider, which keeps the token fresh.
 *
 * A 401 whose challenge says the token is invalid or expired (Exchange Online:
 * `WWW-Authenticate: Bearer ..., error="invalid_token"`, and x-ms-diagnostics with the
 * reason) is answered once: the provider replaces that token (one request for all callers
 * that hit it) and the request is sent again. A second 401 goes to the library, and so to
 * the error mapping, as it is. The token is put on a copy of the request's headers only;
 * nothing here logs.
 */
import type { IXHRApi, IXHROptions, IXHRProgress } from 'ews-javascript-api';
import type { BearerTokenSource } from './oauth-token.js';

interface ResponseLike {
  status?: number;
  headers?: Record<string, unknown>;
}

export class BearerXhrApi implements IXHRApi {
  readonly apiName = 'bearer';

  constructor(private readonly inner: IXHRApi, private readonly tokens: BearerTokenSource) {}

  async xhr(options: IXHROptions, progress?: (data: IXHRProgress) => void): Promise<XMLHttpRequest> {
    const token = await this.tokens.token();
    try {
      return await this.inner.xhr(withBearer(options, token), progress);
    } catch (failure) {
      if (!isTokenRejected(failure)) throw failure;
      const fresh = await this.tokens.refresh(token);
      return this.inner.xhr(withBearer(options, fresh), progress);
    }
  }

  async xhrStream(options: IXHROptions, progress: (data: IXHRProgress) => void): Promise<XMLHttpRequest> {
    return this.inner.xhrStream(withBearer(options, await this.tokens.token()), progress);
  }

  disconnect(): void {
    this.inner.disconnect();
  }
}

function withBearer(options: IXHROptions, token: string): IXHROptions {
  return { ...options, headers: { ...(options.headers ?? {}), Authorization: `Bearer ${token}` } };
}

/** A 401 that blames the token (invalid or expired), not the app's rights. */
export function isTokenRejected(failure: unknown): boolean {
  const response = (typeof failure === 'object' && failure !== null ? failure : {}) as ResponseLike;
  if (response.status !== 401) return false;
  const challenge = [headerText(response.headers, 'www-authenticate'), headerText(response.headers, 'x-ms-diagnostics')].join(' ');
  return /invalid_token|expired/i.test(challenge);
}

function headerText(headers: Record<string, unknown> | undefined, name: string): string {
  if (!headers) return '';
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return '';
}
