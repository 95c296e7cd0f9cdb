/**
 * Plain HTTPS requests to the test server (no SDK in between), for tests that look at the
 * exact status, headers and body: the comparisons with the docs' samples, error shapes,
 * $batch envelopes.
 */
import https from 'node:https';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: any;
}

export interface RawRequest {
  readonly ca: Buffer;
  readonly token?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** `url` is absolute, or a path under `base` (e.g. graph.url + '/users'). */
export function rawRequest(url: string, options: RawRequest): Promise<RawAnswer> {
  const body = options.body === undefined ? undefined : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  const headers: Record<string, string | number> = { ...(options.headers ?? {}) };
  if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
  if (body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = body.length;
  }
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method: options.method ?? (body ? 'POST' : 'GET'), headers, ca: options.ca, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const data = Buffer.concat(chunks);
        let json: unknown;
        if (/json/.test(String(response.headers['content-type'] ?? ''))) json = JSON.parse(data.toString('utf8'));
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: data, json });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}
