/**
 * A protocol-faithful Microsoft Graph v1.0 test server on 127.0.0.1 for the Graph
 * connector's tests: HTTPS (the Graph SDK treats only https:// links as absolute and sends
 * tokens only to known hosts), app-only bearer tokens from the tenant's token service
 * (test/support/oauth, client secret or certificate credentials), the mail endpoints a
 * migration uses (folders, delta, messages, $value), users and groups, counts of events,
 * contacts and To Do tasks, JSON batching, Outlook's throttling (4 concurrent requests per
 * mailbox, 429 + Retry-After) and switchable faults. Answers follow Microsoft's docs; the
 * docs' samples are kept in test/fixtures/graph and compared with the answers by shape.
 *
 * One private CA (test/support/certificate.ts) signs the certificate of both servers, so
 * one CA file (`caFile`) trusts `url` and `authority`. See README.md.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable, pipeline as streamPipeline } from 'node:stream';
import { nowMs } from '../arrivals.js';
import { createTestCa, type TestCa } from '../certificate.js';
import { readBody } from '../http-body.js';
import { startTokenService, type FakeTokenService } from '../oauth/index.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { authenticate, GRAPH_AUDIENCE, type Principal } from './auth.js';
import { JSON_CONTENT_TYPE, runBatch } from './batch.js';
import type { GraphAnswer, GraphRequest, ServerState } from './context.js';
import { DeltaStore } from './delta-tokens.js';
import { Directory, type GraphUserOptions } from './directory.js';
import { badRequest, GraphError, newRequestId } from './errors.js';
import { FaultState, type GraphFaults } from './faults.js';
import { mailboxView, type GraphMailbox } from './mailbox-view.js';
import { parseQuery } from './odata.js';
import { errorAnswer, Pipeline } from './pipeline.js';
import { pathSegments } from './router.js';
import { Traffic, type GraphRequestRecord, type ThrottleWindow } from './traffic.js';

export type { GraphFaults, ThrottleOptions, FailOptions } from './faults.js';
export type { GraphMailbox, GraphMessageView, MessageState, FolderPath } from './mailbox-view.js';
export type { GraphRequestRecord, ThrottleWindow } from './traffic.js';
export type { GraphUserOptions } from './directory.js';
export { GRAPH_AUDIENCE } from './auth.js';

/** An app registration: a client secret and/or a certificate (PEM) for certificate credentials, and its application roles for Graph. */
export interface GraphClientOptions {
  secret?: string;
  certificatePem?: string;
  /** Application roles granted for Graph. Default: Mail.Read, User.Read.All, GroupMember.Read.All, Calendars.Read, Contacts.Read, Tasks.Read.All. */
  roles?: readonly string[];
}

export interface GraphServerOptions {
  /** The directory (tenant) id. */
  tenant: string;
  clients: Record<string, GraphClientOptions>;
  users: readonly GraphUserOptions[];
  /** Largest page any answer has, whatever $top or Prefer: odata.maxpagesize ask. Default: 10 for delta, the docs' limits for lists. */
  maxPageSize?: number;
  /** Outlook's limit of concurrent requests per app and mailbox (throttling-limits.md). Default 4. */
  maxConcurrentPerMailbox?: number;
  /** A CA to issue the server certificates from (to share one CA file with other test servers); default: a new one. */
  ca?: TestCa;
}

export interface GraphTestServer {
  /** https://127.0.0.1:PORT/v1.0 */
  readonly url: string;
  /** https://127.0.0.1:PORT2/TENANT: the token service of this tenant (msal's `authority`). */
  readonly authority: string;
  /** The PEM file of the CA that signed both servers' certificates; `ca` is its content. */
  readonly caFile: string;
  readonly ca: Buffer;
  readonly port: number;
  /** The token service behind `authority` (its requests, issued tokens, failNext, ...). */
  readonly tokens: FakeTokenService;
  /** The mailbox of a user (by mail address or id); throws for an unknown user. */
  mailbox(user: string): GraphMailbox;
  /** The directory object id of a user. */
  userId(user: string): string;
  readonly faults: GraphFaults;
  /** Every request, top-level and $batch entries, sorted by arrival. */
  readonly requests: ReadonlyArray<GraphRequestRecord>;
  /** Every throttling answer's window (from the answer until its Retry-After ends). */
  readonly throttleWindows: ReadonlyArray<ThrottleWindow>;
  /** Requests for a mailbox that arrived inside one of its throttle windows (none, for a client that honours Retry-After). */
  requestsInsideWindows(): GraphRequestRecord[];
  /** The most requests of one app for this mailbox ever in flight at once (as seen at each arrival). */
  maxInFlight(user: string): number;
  stop(): Promise<void>;
}

const DEFAULT_ROLES = ['Mail.Read', 'User.Read.All', 'GroupMember.Read.All', 'Calendars.Read', 'Contacts.Read', 'Tasks.Read.All'];
/** Largest request body taken (a $batch of 20 is a few KiB; Graph's own limit is 4 MB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** $value is written in chunks of this size, so a 50 MB message is never copied. */
const CHUNK_BYTES = 256 * 1024;


function* chunks(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
}

export async function startGraphServer(options: GraphServerOptions): Promise<GraphTestServer> {
  const dir = await makeTempDir('graph');
  try {
    const ca = options.ca ?? (await createTestCa(path.join(dir, 'ca')));
    const [graphCert, tokenCert] = await Promise.all([ca.issueServerCertificate('graph'), ca.issueServerCertificate('token-service')]);
    return await serve(options, dir, ca, graphCert, tokenCert);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

async function serve(
  options: GraphServerOptions, dir: string, ca: TestCa, graphCert: { cert: Buffer; key: Buffer }, tokenCert: { cert: Buffer; key: Buffer },
): Promise<GraphTestServer> {
  const tenant = options.tenant;
  const secrets: Record<string, string> = {};
  const certificates: Record<string, string> = {};
  const roles: Record<string, readonly string[]> = {};
  for (const [clientId, client] of Object.entries(options.clients)) {
    if (client.secret !== undefined) secrets[clientId] = client.secret;
    if (client.certificatePem !== undefined) certificates[clientId] = client.certificatePem;
    roles[clientId] = client.roles ?? DEFAULT_ROLES;
  }
  const tokens = await startTokenService({
    tenants: [tenant], clients: secrets, certificates, resources: { [GRAPH_AUDIENCE]: roles },
    tls: { cert: tokenCert.cert, key: tokenCert.key, ca: ca.caPem, caFile: ca.caFile },
  });

  const directory = new Directory(tenant, options.users);
  const deltas = new DeltaStore();
  const traffic = new Traffic();
  const mailboxKey = (user: string): string => {
    const found = directory.user(user);
    if (!found) throw new Error(`Graph test server: no user ${user}`);
    return found.mail.toLowerCase();
  };
  const faults = new FaultState(mailboxKey, (mailbox) => deltas.expire(mailbox));
  let baseUrl = '';
  const state: ServerState = {
    directory,
    deltas,
    get baseUrl() {
      return baseUrl;
    },
    maxPageSize: options.maxPageSize,
  };
  const pipeline = new Pipeline({ state, traffic, faults, maxConcurrentPerMailbox: options.maxConcurrentPerMailbox ?? 4 });

  const write = (response: http.ServerResponse, answer: GraphAnswer, ids: { requestId: string; clientRequestId: string | undefined }, done: () => void) => {
    response.once('close', done);
    const headers: Record<string, string | number> = {
      'Cache-Control': 'no-cache',
      'request-id': ids.requestId,
      'client-request-id': ids.clientRequestId ?? ids.requestId,
      'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'Loopback', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'graph-test-server' } }),
      'Strict-Transport-Security': 'max-age=31536000',
      ...(answer.headers ?? {}),
    };
    if (answer.bytes !== undefined) {
      response.writeHead(answer.status, { ...headers, 'Content-Length': answer.bytes.length });
      // Chunks are views of the stored buffer: nothing is copied, however large the message.
      streamPipeline(Readable.from(chunks(answer.bytes)), response, () => undefined);
      return;
    }
    const text = answer.json !== undefined ? JSON.stringify(answer.json) : answer.text ?? '';
    const type = answer.json !== undefined ? { 'Content-Type': JSON_CONTENT_TYPE, 'OData-Version': '4.0' } : {};
    response.writeHead(answer.status, { ...type, ...headers, 'Content-Length': Buffer.byteLength(text) });
    response.end(text);
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const at = nowMs();
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    const record: GraphRequestRecord = traffic.record({ at, method: request.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const requestId = newRequestId();
    const clientRequestId = typeof request.headers['client-request-id'] === 'string' ? request.headers['client-request-id'] : undefined;
    const ids = { requestId, clientRequestId };
    const refuse = (error: unknown) => {
      const answer = errorAnswer(error, requestId, clientRequestId);
      write(response, answer, ids, () => traffic.answered(record, answer.status));
    };
    const body = request.method === 'POST' ? await readBody(request, MAX_BODY_BYTES) : undefined;
    const version = /^\/v1\.0(\/.*)?$/i.exec(url.pathname);
    if (!version) return refuse(badRequest(`Invalid version: ${url.pathname.split('/')[1] ?? ''}`));
    let principal: Principal;
    try {
      principal = authenticate(request.headers.authorization, (token) => tokens.verifyFor(token, GRAPH_AUDIENCE), tenant);
    } catch (error) {
      return refuse(error);
    }
    const rest = version[1] ?? '/';
    if (/^\/\$batch\/?$/i.test(rest)) {
      if (request.method !== 'POST') return refuse(new GraphError(405, 'BadRequest', 'Specified HTTP method is not allowed for the request target.'));
      try {
        const batch = await runBatch(body, principal, pipeline, traffic);
        write(response, { status: 200, json: batch }, ids, () => traffic.answered(record, 200));
      } catch (error) {
        refuse(error);
      }
      return;
    }
    let graphRequest: GraphRequest;
    try {
      graphRequest = {
        method: request.method ?? 'GET',
        path: url.pathname,
        segments: pathSegments(rest),
        search: url.searchParams,
        query: parseQuery(url.searchParams),
        header: (name) => {
          const value = request.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body,
      };
    } catch (error) {
      return refuse(error);
    }
    const prepared = pipeline.prepare(graphRequest, principal, record, requestId, clientRequestId);
    const answer = await pipeline.execute(prepared);
    write(response, answer, ids, () => pipeline.finish(prepared, answer.status));
  };

  const server = https.createServer({ cert: graphCert.cert, key: graphCert.key, minVersion: 'TLSv1.2' }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        const text = JSON.stringify({ error: { code: 'generalException', message: String(error) } });
        response.writeHead(500, { 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
        response.end(text);
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await tokens.stop();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://127.0.0.1:${port}/v1.0`;

  const user = (key: string) => {
    const found = directory.user(key);
    if (!found) throw new Error(`Graph test server: no user ${key}`);
    return found;
  };
  return {
    url: baseUrl,
    authority: `${tokens.authority}/${tenant}`,
    caFile: ca.caFile,
    ca: ca.caPem,
    port,
    tokens,
    mailbox: (key) => mailboxView(user(key).mailbox),
    userId: (key) => user(key).id,
    faults,
    requests: traffic.records,
    throttleWindows: traffic.windows,
    requestsInsideWindows: () => traffic.insideWindows(),
    maxInFlight: (key) => traffic.maxInFlight(mailboxKey(key)),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await tokens.stop();
      // A shared CA belongs to its creator; only this server's own directory goes.
      await removeTempDir(dir);
    },
  };
}

