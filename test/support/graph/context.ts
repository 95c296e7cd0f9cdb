/**
 * The shapes shared by the router, the handlers and the HTTP/batch front ends: one request
 * as a handler sees it (wherever it came from: HTTPS or a $batch entry), the answer a
 * handler returns, and the server state handlers read.
 */
import type { DeltaStore } from './delta-tokens.js';
import type { Directory, UserRecord } from './directory.js';
import type { ODataQuery } from './odata.js';

export interface GraphRequest {
  readonly method: string;
  /** Path without host or query, e.g. /v1.0/users/alice@contoso.com/mailFolders. */
  readonly path: string;
  /** The segments after /v1.0, decoded, with `name('key')` split into name and key. */
  readonly segments: readonly string[];
  readonly search: URLSearchParams;
  readonly query: ODataQuery;
  /** Header value by lower-case name. */
  header(name: string): string | undefined;
  readonly body: Buffer | undefined;
}

/** A handler's answer: JSON, text ($count) or the bytes of a message ($value). */
export interface GraphAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly text?: string;
  readonly bytes?: Buffer;
}

export interface ServerState {
  readonly directory: Directory;
  readonly deltas: DeltaStore;
  /** https://127.0.0.1:PORT/v1.0 */
  readonly baseUrl: string;
  /** Largest page any answer has (options.maxPageSize); undefined: the docs' limits. */
  readonly maxPageSize: number | undefined;
}

/** What a route resolved to: the mailbox it acts on, the app roles it needs, and the work. */
export interface Route {
  readonly user?: UserRecord;
  /** Any one of these application roles grants the request (the docs' permission tables). */
  readonly roles: readonly string[];
  /** How Graph words the 403: Outlook's ErrorAccessDenied or the directory's Authorization_RequestDenied. */
  readonly denial: 'mail' | 'directory';
  run(): GraphAnswer | Promise<GraphAnswer>;
}

export function json(body: unknown, headers: Record<string, string> = {}, status = 200): GraphAnswer {
  return { status, json: body, headers };
}
