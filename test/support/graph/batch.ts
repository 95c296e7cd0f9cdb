/**
 * POST /v1.0/$batch (concepts/json-batching.md): up to 20 requests in one JSON body, each
 * dispatched to the same handlers as a top-level request and admitted one by one against
 * the same limits (throttling.md, "Throttling and batching": an entry may get its own 429
 * with Retry-After while the batch answers 200).
 *
 * Entries without `dependsOn` are received together, as Graph runs them in parallel: they
 * take their mailbox's concurrency slots at the same moment, so more than four for one
 * mailbox get 429 ApplicationThrottled (what Outlook does to a batch of 20 for one
 * mailbox). An entry with `dependsOn` runs after its dependencies; if one of them failed
 * it gets 424 Failed Dependency. Non-JSON bodies ($value, $count) are base64, as Graph
 * returns them in a batch. A malformed batch, over 20 entries, duplicate ids or a
 * dependsOn on an unknown id is 400 for the whole batch.
 */
import { nowMs } from '../arrivals.js';
import type { Principal } from './auth.js';
import type { GraphAnswer, GraphRequest } from './context.js';
import { badRequest, GraphError, newRequestId } from './errors.js';
import { parseQuery } from './odata.js';
import type { Pipeline, Prepared } from './pipeline.js';
import { pathSegments } from './router.js';
import type { Traffic } from './traffic.js';

export const MAX_BATCH_REQUESTS = 20;

interface BatchEntry {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly dependsOn: readonly string[];
}

export interface BatchResponse {
  readonly id: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

export const JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

function parseBatch(body: Buffer | undefined): BatchEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body?.toString('utf8') ?? '');
  } catch {
    throw badRequest('Invalid batch payload format.');
  }
  const requests = (parsed as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) throw badRequest('Invalid batch payload format.');
  if (requests.length > MAX_BATCH_REQUESTS) throw badRequest(`The number of batch requests (${requests.length}) exceeds the maximum of ${MAX_BATCH_REQUESTS}.`);
  const entries = requests.map((raw: unknown): BatchEntry => {
    const r = raw as Record<string, unknown>;
    if (typeof r['id'] !== 'string' || typeof r['method'] !== 'string' || typeof r['url'] !== 'string') throw badRequest('Invalid batch payload format.');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((r['headers'] as Record<string, unknown> | undefined) ?? {})) headers[k.toLowerCase()] = String(v);
    const dependsOn = r['dependsOn'] === undefined ? [] : (r['dependsOn'] as unknown[]).map(String);
    return { id: r['id'], method: r['method'].toUpperCase(), url: r['url'], headers, body: r['body'], dependsOn };
  });
  const ids = new Set(entries.map((e) => e.id));
  if (ids.size !== entries.length) throw badRequest('Batch request ids must be unique.');
  for (const entry of entries) {
    for (const dep of entry.dependsOn) if (!ids.has(dep) || dep === entry.id) throw badRequest(`Request with id '${entry.id}' depends on an unknown request '${dep}'.`);
  }
  return entries;
}

function subRequest(entry: BatchEntry): GraphRequest {
  const url = entry.url.replace(/^https:\/\/[^/]+\/v1\.0/i, '');
  const queryAt = url.indexOf('?');
  const pathPart = (queryAt === -1 ? url : url.slice(0, queryAt)).replace(/^\/?/, '/');
  const search = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
  const body = entry.body === undefined ? undefined : Buffer.from(typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body));
  return {
    method: entry.method,
    path: `/v1.0${pathPart}`,
    segments: pathSegments(pathPart),
    search,
    query: parseQuery(search),
    header: (name) => entry.headers[name.toLowerCase()],
    body,
  };
}

function responseOf(id: string, answer: GraphAnswer): BatchResponse {
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  let body: unknown;
  if (answer.json !== undefined) {
    headers['Content-Type'] ??= JSON_CONTENT_TYPE;
    body = answer.json;
  } else if (answer.text !== undefined) body = Buffer.from(answer.text).toString('base64');
  else if (answer.bytes !== undefined) body = answer.bytes.toString('base64');
  return body === undefined ? { id, status: answer.status, headers } : { id, status: answer.status, headers, body };
}

export async function runBatch(body: Buffer | undefined, principal: Principal, pipeline: Pipeline, traffic: Traffic): Promise<{ responses: BatchResponse[] }> {
  const entries = parseBatch(body);
  const done = new Map<string, BatchResponse>();
  let pending = [...entries];
  while (pending.length > 0) {
    const ready = pending.filter((e) => e.dependsOn.every((d) => done.has(d)));
    if (ready.length === 0) throw badRequest('The dependsOn of the batch requests form a cycle.');
    pending = pending.filter((e) => !ready.includes(e));
    const admitted: Array<{ entry: BatchEntry; prepared: Prepared }> = [];
    // Admit the whole wave first: its entries arrive at Graph together.
    for (const entry of ready) {
      const requestId = newRequestId();
      const clientRequestId = entry.headers['client-request-id'];
      let request: GraphRequest;
      try {
        request = subRequest(entry);
      } catch (error) {
        const status = error instanceof GraphError ? error.status : 400;
        done.set(entry.id, { id: entry.id, status, headers: {}, body: { error: { code: 'BadRequest', message: (error as Error).message } } });
        continue;
      }
      const record = traffic.record({ at: nowMs(), method: request.method, path: request.path, query: Object.fromEntries(request.search), batchId: entry.id });
      if (entry.dependsOn.some((d) => (done.get(d)?.status ?? 500) >= 400)) {
        traffic.answered(record, 424);
        const failed = new GraphError(424, 'FailedDependency', `The request depends on a request that failed: ${entry.dependsOn.join(', ')}.`);
        done.set(entry.id, { id: entry.id, status: 424, headers: { 'Content-Type': JSON_CONTENT_TYPE }, body: { error: { code: failed.code, message: failed.message } } });
        continue;
      }
      admitted.push({ entry, prepared: pipeline.prepare(request, principal, record, requestId, clientRequestId) });
    }
    await Promise.all(admitted.map(async ({ entry, prepared }) => {
      const answer = await pipeline.execute(prepared);
      pipeline.finish(prepared, answer.status);
      done.set(entry.id, responseOf(entry.id, answer));
    }));
  }
  return { responses: entries.map((e) => done.get(e.id)!) };
}
