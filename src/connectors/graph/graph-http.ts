/**
 * Requests to Microsoft Graph for one mailbox, through Microsoft's own client
 * (@microsoft/microsoft-graph-client) with a middleware chain of our own:
 *
 *   AuthenticationHandler (app-only token)  ->  FetchHandler (fetch that trusts the account's CA)
 *
 * The SDK's RetryHandler is left out on purpose: a 429 or 503 is a fact about the whole
 * mailbox (Graph counts every request of an app against one budget per mailbox), so it
 * goes to the account's gate, which holds back every connection of the account, in every
 * worker, until Retry-After has passed (contract/account-gate.ts). One request at a time
 * per connection: the governor allows at most 4 connections per mailbox (Graph's
 * MailboxConcurrency limit), so never more than 4 requests of the app are in flight.
 *
 * Tokens and secrets never appear in messages or logs.
 */
import { AuthenticationHandler, Client, GraphError, ResponseType, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { Agent } from 'undici';
import { collectBytes } from '../collect-bytes.js';
import { isConnectorError } from '../connector-error.js';
import { Limiter } from '../limiter.js';
import type { BearerTokenSource } from '../oauth/index.js';
import { OPEN_GATE, type AccountGate } from '../types.js';
import { graphError, type NetworkFailure } from './graph-errors.js';

/** Times one request is retried after the server asked to wait (each wait goes through the gate). */
const MAX_THROTTLED_RETRIES = 6;
const DEFAULT_TIMEOUT_MS = 120_000;

export interface GraphHttpOptions {
  /** The API root, e.g. https://graph.microsoft.com/v1.0. */
  readonly endpoint: string;
  readonly tokens: BearerTokenSource;
  /** PEM of a CA to trust besides the public ones (a private endpoint, a test server). */
  readonly ca?: Buffer;
  readonly gate?: AccountGate;
  /** "alice@contoso.com via graph.microsoft.com", for messages. */
  readonly label: string;
  /** Longest time one request (headers and body) may take, in ms. @defaultValue 120000 */
  readonly timeoutMs?: number;
}

/** One sub-request of a JSON batch (relative to the API root, e.g. /users/x/mailFolders/y/childFolders). */
export interface BatchStep {
  readonly url: string;
  readonly headers?: Record<string, string>;
}

export interface BatchAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export class GraphHttp {
  private readonly client: Client;
  private readonly dispatcher: Agent;
  private readonly limiter = new Limiter(1);
  private readonly gate: AccountGate;
  private readonly fetcher: FetchHandler;
  private lastToken: string | undefined;
  private tokenFailure: unknown;

  constructor(private readonly options: GraphHttpOptions) {
    const endpoint = new URL(options.endpoint);
    this.gate = options.gate ?? OPEN_GATE;
    this.dispatcher = new Agent({ connect: options.ca === undefined ? {} : { ca: [options.ca.toString()] }, keepAliveTimeout: 30_000 });
    this.fetcher = new FetchHandler(this.dispatcher, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const auth = new AuthenticationHandler({
      getAccessToken: async () => {
        try {
          this.lastToken = await options.tokens.token();
        } catch (error) {
          // The SDK keeps only the text of what its middleware throws: keep the error itself.
          this.tokenFailure = error;
          throw error;
        }
        return this.lastToken;
      },
    });
    auth.setNext(this.fetcher);
    this.client = Client.initWithMiddleware({
      middleware: auth,
      baseUrl: `${endpoint.origin}/`,
      defaultVersion: endpoint.pathname.replace(/^\/|\/$/g, ''),
      // The SDK sends tokens only to Microsoft's hosts and these; the endpoint is ours to choose.
      customHosts: new Set([endpoint.hostname]),
    });
  }

  /** The API root requests go to. */
  get endpoint(): string {
    return this.options.endpoint;
  }

  /** GET of JSON; `path` is relative to the API root or an absolute link the server gave (nextLink, deltaLink). */
  getJson<T>(path: string, what: string, headers: Record<string, string> = {}): Promise<T> {
    return this.send(what, () => this.client.api(path).headers(headers).get() as Promise<T>);
  }

  /** As getJson, but undefined when Graph answers with one of `absentOn` (403: the app may not read it; 404: there is none). */
  getJsonUnless<T>(path: string, what: string, absentOn: readonly number[]): Promise<T | undefined> {
    return this.send(what, async () => {
      try {
        return (await this.client.api(path).get()) as T;
      } catch (error) {
        if (error instanceof GraphError && absentOn.includes(error.statusCode)) return undefined;
        throw error;
      }
    });
  }

  /**
   * The body of a GET as bytes, exactly as sent (a message's `$value`), read into one buffer
   * of the announced length; undefined when the server answers 404 (the item is gone).
   */
  getBytes(path: string, what: string): Promise<Buffer | undefined> {
    return this.send(what, async () => {
      try {
        const response = await (this.client.api(path).responseType(ResponseType.RAW).get() as Promise<Response>);
        if (response.status === 404) return undefined;
        if (!response.ok) throw await errorOf(response);
        return await readBody(response);
      } catch (error) {
        if (error instanceof GraphError && error.statusCode === 404) return undefined;
        throw error;
      }
    });
  }

  /**
   * A JSON batch ($batch, at most 20 steps) run in sequence on the server (each step
   * dependsOn the one before), so a batch holds one of the mailbox's 4 concurrent requests,
   * not 20. A step that fails makes the later ones fail with 424: the caller asks again for those.
   */
  async batch(steps: readonly BatchStep[], what: string): Promise<BatchAnswer[]> {
    if (steps.length === 0) return [];
    if (steps.length > 20) throw new RangeError('a Graph batch holds at most 20 requests');
    const requests = steps.map((step, i) => ({
      id: String(i + 1), method: 'GET', url: step.url,
      ...(step.headers === undefined ? {} : { headers: step.headers }),
      ...(i === 0 ? {} : { dependsOn: [String(i)] }),
    }));
    const answer = await this.send(what, () => this.client.api('/$batch').post({ requests }) as Promise<{ responses?: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }> }>);
    const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]));
    return requests.map((request) => {
      const found = byId.get(request.id);
      return found === undefined ? { status: 424, headers: {}, body: undefined } : { status: found.status, headers: found.headers ?? {}, body: found.body };
    });
  }

  /** Tells the gate about a sub-request's back-off (a batch step answered 429 or 503). */
  noteBackOff(answer: BatchAnswer): void {
    if (answer.status === 429 || answer.status === 503) this.gate.backOff(retryAfterMsOf(answer.headers['Retry-After'] ?? answer.headers['retry-after']));
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
  }

  /**
   * One request: through the gate, one at a time; a 429/503 reported to the gate and
   * retried once the gate opens; a refused token renewed once; errors as ConnectorErrors.
   */
  private send<T>(what: string, request: () => Promise<T>): Promise<T> {
    return this.limiter.run(async () => {
      let renewed = false;
      for (let throttled = 0; ; ) {
        await this.gate.beforeRequest();
        this.fetcher.lastFailure = undefined;
        this.tokenFailure = undefined;
        try {
          return await request();
        } catch (error) {
          if (isConnectorError(error)) throw error;
          // No token: the token service's own error says what to fix (a refused secret is final).
          if (this.tokenFailure !== undefined) throw this.tokenFailure;
          const status = error instanceof GraphError ? error.statusCode : -1;
          if ((status === 429 || status === 503) && throttled < MAX_THROTTLED_RETRIES) {
            throttled += 1;
            this.gate.backOff(retryAfterMsOf((error as GraphError).headers?.get('Retry-After') ?? undefined));
            continue;
          }
          if (status === 401 && !renewed && this.lastToken !== undefined) {
            renewed = true;
            await this.options.tokens.refresh(this.lastToken);
            continue;
          }
          throw graphError(error, `${what} for ${this.options.label}`, this.fetcher.lastFailure);
        }
      }
    });
  }
}

/**
 * The end of the chain: fetch with the dispatcher that trusts the account's CA and a
 * deadline; a failure of the network itself is kept for the error message (the SDK keeps
 * only its text).
 */
class FetchHandler implements Middleware {
  lastFailure: NetworkFailure | undefined;

  constructor(private readonly dispatcher: Agent, private readonly timeoutMs: number) {}

  async execute(context: Context): Promise<void> {
    try {
      context.response = await fetch(context.request as string, {
        ...(context.options as RequestInit),
        signal: AbortSignal.timeout(this.timeoutMs),
        // Node's fetch takes an undici dispatcher; RequestInit does not know it.
        ...({ dispatcher: this.dispatcher } as object),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      this.lastFailure = { code: cause?.code ?? (error as Error).name, message: cause?.message ?? (error as Error).message };
      throw error;
    }
  }
}

/** Retry-After in seconds (or an HTTP date) as ms; a minute when absent or unreadable (Graph always sends it). */
export function retryAfterMsOf(value: string | undefined | null): number {
  if (value === undefined || value === null || value.trim() === '') return 60_000;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : 60_000;
}

/** A non-2xx raw response as the SDK's GraphError (with Graph's error code and the headers). */
async function errorOf(response: Response): Promise<GraphError> {
  const error = new GraphError(response.status, `HTTP ${response.status}`);
  error.headers = response.headers;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    error.code = body.error?.code ?? null;
    if (body.error?.message) error.message = body.error.message;
    error.body = body;
  } catch {
    // Not JSON: the status says enough.
  }
  return error;
}

/** The body into one buffer of Content-Length bytes (grown if the server sends more). */
function readBody(response: Response): Promise<Buffer> {
  if (response.body === null) return Promise.resolve(Buffer.alloc(0));
  const announced = Number(response.headers.get('content-length'));
  return collectBytes(asBuffers(response.body as unknown as AsyncIterable<Uint8Array>), Number.isSafeInteger(announced) && announced > 0 ? announced : 64 * 1024);
}

/** The body's chunks as Buffers over the same memory (no copy). */
async function* asBuffers(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
