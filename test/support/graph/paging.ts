/**
 * Paging of collections (concepts/paging.md): a page of at most $top (else the API's
 * default page size) entries and, when more remain, an `@odata.nextLink` that repeats the
 * request's query options. Outlook collections page with `$skip` (user-list-messages.md:
 * "This API uses the $skip value to keep count"); directory collections with an opaque
 * `$skiptoken`. `maxPageSize` (the server option) caps every page.
 */
import { badRequest } from './errors.js';
import type { GraphRequest, ServerState } from './context.js';

export interface PageLimits {
  /** The page size without $top (10 for Outlook collections, 100 for users and members). */
  readonly defaultSize: number;
  /** The largest $top honoured (1000 for messages, 999 for users). */
  readonly maxSize: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextLink: string | undefined;
}

function origin(state: ServerState): string {
  return state.baseUrl.replace(/\/v1\.0$/, '');
}

/** The request's URL with `replace` set and `remove` gone from its query. */
function linkWith(state: ServerState, request: GraphRequest, replace: Record<string, string>, remove: readonly string[]): string {
  const kept: string[] = [];
  for (const [key, value] of request.search) {
    const name = key.replace(/^\$/, '').toLowerCase();
    if (remove.includes(name) || name in replace) continue;
    kept.push(`${key}=${encodeURIComponent(value).replace(/%2C/gi, ',').replace(/%24/g, '$')}`);
  }
  for (const [name, value] of Object.entries(replace)) kept.push(`$${name}=${value}`);
  return `${origin(state)}${request.path}?${kept.join('&')}`;
}

export function pageSize(state: ServerState, request: GraphRequest, limits: PageLimits): number {
  const size = Math.min(request.query.top ?? limits.defaultSize, limits.maxSize);
  return state.maxPageSize === undefined ? size : Math.min(size, state.maxPageSize);
}

/** Outlook paging: $top/$skip. */
export function skipPage<T>(state: ServerState, request: GraphRequest, all: readonly T[], limits: PageLimits): Page<T> {
  const skip = request.query.skip ?? 0;
  const size = pageSize(state, request, limits);
  const items = all.slice(skip, skip + size);
  const more = skip + size < all.length;
  return { items, nextLink: more ? linkWith(state, request, { top: String(size), skip: String(skip + size) }, ['top', 'skip']) : undefined };
}

/** Directory paging: an opaque $skiptoken (here: the offset, base64url, behind a marker so a made-up one is refused). */
export function tokenPage<T>(state: ServerState, request: GraphRequest, all: readonly T[], limits: PageLimits): Page<T> {
  let offset = 0;
  const token = request.query.skipToken;
  if (token !== undefined) {
    const decoded = /^RFNwdAI(\d+)$/.exec(Buffer.from(token, 'base64url').toString('latin1'));
    if (!decoded?.[1]) throw badRequest(`Invalid skip token '${token}'.`);
    offset = Number(decoded[1]);
  }
  const size = pageSize(state, request, limits);
  const items = all.slice(offset, offset + size);
  const more = offset + size < all.length;
  const next = Buffer.from(`RFNwdAI${offset + size}`, 'latin1').toString('base64url');
  return { items, nextLink: more ? linkWith(state, request, { skiptoken: next }, ['skiptoken']) : undefined };
}
