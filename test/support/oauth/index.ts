/**
 * A loopback HTTPS fake of Microsoft Entra ID's token service, enough for msal-node's
 * client credentials grant, so OAuth tests need no network:
 *
 * - GET  /{tenant}/v2.0/.well-known/openid-configuration  (OpenID discovery; an unknown
 *   tenant gets Entra's 400 invalid_tenant / AADSTS90002);
 * - POST /{tenant}/oauth2/v2.0/token  with grant_type=client_credentials, client_id,
 *   client_secret and scope (…/.default): `{ token_type: 'Bearer', expires_in,
 *   ext_expires_in, access_token }`, or Entra's error answers: 401 invalid_client
 *   (AADSTS7000215 wrong secret, AADSTS7000222 revoked/expired secret), 400
 *   unauthorized_client (AADSTS700016 no such app), 400 invalid_scope, 400
 *   unsupported_grant_type.
 *
 * Tokens are JWT-shaped (HS256 with a key of this instance; Entra signs RS256) with the
 * claims of an app-only token for Exchange: aud https://outlook.office365.com, tid, appid,
 * roles [full_access_as_app], iat/nbf/exp. `verify()` is what a resource (the EWS test
 * server's `auth: 'oauth'`) calls to accept one.
 *
 * The same token endpoint also takes grant_type=refresh_token (delegated tokens, as Entra
 * and Google answer it): refresh tokens come from `addRefreshToken(clientId, username)`;
 * a confidential client must send its client_secret, a public client none; every answer
 * rotates the refresh token (as Entra does; the old one stays valid); a revoked family is
 * 400 invalid_grant (AADSTS50173). Delegated tokens carry `upn` = the user. Two knobs make
 * it stricter or laxer than Entra's default: `oneTimeRefreshTokens` (a refresh token is
 * spent by the answer that rotates it: using it again is invalid_grant, as Entra does for
 * single-page apps and OAuth 2.1 asks of public clients) and `rotateRefreshTokens = false`
 * (the answer has no refresh_token, as Google's).
 *
 * For an IMAP server (Dovecot's oauth2 passdb, `introspection_mode = post`) it serves
 * RFC 7662 token introspection over plain HTTP on 127.0.0.1 (`introspectionUrl`): POST
 * token=... -> {"active": true, "username": ...} for a valid token issued here (the user
 * of a delegated token, the `mailboxes` entry of an app), {"active": false} for anything
 * else (expired, revoked refresh token family, forged).
 *
 * Other resources (`resources`, e.g. Microsoft Graph for the Graph test server) get tokens
 * with their own audience and the app roles configured per app, checked by `verifyFor`.
 * An app with a registered certificate (`certificates`) may authenticate with a client
 * assertion instead of a secret (certificate credentials, client-assertion.ts).
 *
 * The certificate is self-signed for 127.0.0.1 (made with openssl), or the one passed as
 * `tls` (issued by a test CA); trust it with `ca` / `caFile`. msal-node needs no instance
 * discovery when told the authority is known.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { writeSelfSignedCertificate } from '../certificate.js';
import { checkClientAssertion, JWT_BEARER, registerCertificate } from './client-assertion.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';


export const EXCHANGE_AUDIENCE = 'https://outlook.office365.com';

export interface TokenServiceOptions {
  /** The directory (tenant) ids this service knows. */
  tenants: readonly string[];
  /** Application (client) id -> client secret. */
  clients: Record<string, string>;
  /** expires_in (and the exp claim) of issued tokens, in seconds. Default 3600. */
  lifetimeSeconds?: number;
  /** App (client) id -> the mailbox (IMAP user name) introspection names for its app-only tokens. */
  mailboxes?: Record<string, string>;
  /** A refresh token is spent by its first successful use (see the knob of the same name). Default false. */
  oneTimeRefreshTokens?: boolean;
  /**
   * App (client) id -> PEM of the certificate registered for it: the app may then sign in with
   * a client assertion (certificate credentials, client-assertion.ts) instead of a secret. An
   * app listed here need not be in `clients`.
   */
  certificates?: Record<string, string>;
  /**
   * Resources besides Exchange Online: audience (e.g. https://graph.microsoft.com) -> app id ->
   * the application roles (e.g. Mail.Read) of that app's tokens for it. A client asks for one
   * with scope `{audience}/.default`; the token's `aud` is the audience and `roles` the list.
   */
  resources?: Record<string, Record<string, readonly string[]>>;
  /** Serve with this certificate (e.g. one issued by a TestCa) instead of a new self-signed one; `ca`/`caFile` are then the CA's. */
  tls?: { cert: Buffer; key: Buffer; ca: Buffer; caFile: string };
}

/** Where a refresh token stands: usable, spent by a one-time use, its family revoked, or never issued here. */
export type RefreshTokenState = 'active' | 'spent' | 'revoked' | 'unknown';

export interface TokenServiceRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly status: number;
  /** OAuth error code of a refused token request. */
  readonly error?: string;
  readonly clientId?: string;
  /** grant_type of a token request. */
  readonly grant?: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly clientId: string;
  readonly tenant: string;
  /** ms since the epoch. */
  readonly issuedAt: number;
  /** When the token says it expires (exp claim), ms since the epoch. */
  readonly expiresAt: number;
  /** Delegated tokens: the user, and the refresh token family they came from. */
  readonly username?: string;
  readonly family?: string;
}

/** What a resource server concludes from a bearer token. */
export type TokenVerdict = { readonly principal: string } | { readonly error: 'invalid_token'; readonly reason: string; readonly expired: boolean };

/** What a resource other than Exchange (`verifyFor`) learns from a valid token. */
export type ResourceTokenVerdict =
  | { readonly principal: string; readonly tenant: string; readonly roles: readonly string[]; readonly delegated: boolean }
  | Extract<TokenVerdict, { error: string }>;

export interface FakeTokenService {
  /** https://127.0.0.1:PORT: the origin, to which msal adds /{tenant}. */
  readonly authority: string;
  readonly port: number;
  /** PEM of the certificate to trust (the self-signed one, or the CA of `tls`), and the file holding it. */
  readonly ca: Buffer;
  readonly caFile: string;
  /** Every request, in order (the OpenID discovery and the token requests). */
  readonly requests: ReadonlyArray<TokenServiceRequest>;
  /** POSTs to a token endpoint, answered or refused. */
  readonly tokenRequests: number;
  readonly issued: ReadonlyArray<IssuedToken>;
  /** Every refresh token issued here (added or rotated), in order. */
  readonly refreshTokens: ReadonlyArray<string>;
  /** expires_in and exp of the tokens issued from now on. */
  lifetimeSeconds: number;
  /**
   * When set, the exp claim is this many seconds after issue while expires_in stays
   * `lifetimeSeconds`: the resource sees the token expire before the client expects it
   * (clock skew, or a token revoked at the resource).
   */
  validForSeconds: number | undefined;
  /** Each token answer waits this long (to hold many callers in one refresh). */
  responseDelayMs: number;
  /** From now on, a refresh token answered once is spent: its next use is 400 invalid_grant (AADSTS70000). */
  oneTimeRefreshTokens: boolean;
  /** false: refresh answers carry no new refresh token (Google); the one sent stays in use. Default true (Entra). */
  rotateRefreshTokens: boolean;
  /** Where this refresh token stands, without using it. */
  refreshTokenState(refreshToken: string): RefreshTokenState;
  /** The client's secret is revoked: its token requests get invalid_client (AADSTS7000222). */
  revoke(clientId: string): void;
  /** The client's secret works again. */
  restore(clientId: string): void;
  /** The next `count` token requests answer HTTP `status` (503: Entra's temporarily_unavailable). */
  failNext(count: number, status?: number): void;
  /** A resource's check of a bearer token: issued here, signature, audience, not expired. */
  verify(token: string): TokenVerdict;
  /** The same check for a token meant for `audience` (one of `resources`), with the token's tenant and roles. */
  verifyFor(token: string, audience: string): ResourceTokenVerdict;
  /** A refresh token for `clientId` acting as `username` (a public client when `clientId` is not in `clients`). */
  addRefreshToken(clientId: string, username: string): string;
  /** Revokes the family of this refresh token (it and every token rotated from it): invalid_grant, and its access tokens inactive. */
  revokeRefreshToken(refreshToken: string): void;
  /** http://127.0.0.1:PORT/introspect (RFC 7662, POST token=...), for Dovecot's oauth2 passdb. */
  readonly introspectionUrl: string;
  /** Introspection requests answered, and how many said active. */
  readonly introspections: ReadonlyArray<{ readonly active: boolean; readonly username?: string }>;
  stop(): Promise<void>;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function readBody(request: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}


export async function startTokenService(options: TokenServiceOptions): Promise<FakeTokenService> {
  if (options.tls) return serve(options, undefined, options.tls.caFile, options.tls.cert, options.tls.key, options.tls.ca);
  const dir = await makeTempDir('oauth');
  try {
    const { certFile, keyFile } = await writeSelfSignedCertificate(dir);
    const [cert, key] = await Promise.all([fs.readFile(certFile), fs.readFile(keyFile)]);
    return await serve(options, dir, certFile, cert, key, cert);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

async function serve(options: TokenServiceOptions, dir: string | undefined, caFile: string, cert: Buffer, key: Buffer, ca: Buffer): Promise<FakeTokenService> {
  const tenants = new Set(options.tenants.map((t) => t.toLowerCase()));
  const certificates = new Map(Object.entries(options.certificates ?? {}).map(([clientId, pem]) => [clientId, registerCertificate(pem)]));
  const resources = options.resources ?? {};
  const signingKey = randomBytes(32);
  const revoked = new Set<string>();
  const requests: TokenServiceRequest[] = [];
  const issued: IssuedToken[] = [];
  let tokenRequests = 0;
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let origin = '';

  const state = {
    lifetimeSeconds: options.lifetimeSeconds ?? 3600,
    validForSeconds: undefined as number | undefined,
    responseDelayMs: 0,
    oneTimeRefreshTokens: options.oneTimeRefreshTokens ?? false,
    rotateRefreshTokens: true,
  };

  const entraError = (error: string, code: number, description: string) => ({
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });

  const sign = (claims: Record<string, unknown>): string => {
    const head = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', kid: 'fake' }));
    const body = base64url(JSON.stringify(claims));
    const signature = createHmac('sha256', signingKey).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${signature}`;
  };

  const issue = (tenant: string, clientId: string, delegated?: { username: string; family: string }, audience = EXCHANGE_AUDIENCE) => {
    const now = Date.now();
    const seconds = Math.floor(now / 1000);
    const lifetime = state.lifetimeSeconds;
    const validFor = state.validForSeconds ?? lifetime;
    // Entra leaves the roles claim out of a token for an app granted no application roles.
    const roles = audience === EXCHANGE_AUDIENCE ? ['full_access_as_app'] : [...(resources[audience]?.[clientId] ?? [])];
    const token = sign({
      aud: audience, iss: `https://sts.windows.net/${tenant}/`, iat: seconds, nbf: seconds, exp: seconds + validFor,
      tid: tenant, appid: clientId, app_displayname: 'mailferry test app', idtyp: 'app', ...(roles.length > 0 ? { roles } : {}),
      oid: randomUUID(), sub: randomUUID(), uti: randomBytes(12).toString('base64url'), ver: '1.0',
      ...(delegated ? { upn: delegated.username, idtyp: 'user', scp: 'IMAP.AccessAsUser.All' } : {}),
    });
    issued.push({ token, clientId, tenant, issuedAt: now, expiresAt: (seconds + validFor) * 1000, ...(delegated ?? {}) });
    return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token };
  };

  /** refresh token -> its client, user and family; revoked families. */
  const refreshTokens = new Map<string, { clientId: string; username: string; family: string }>();
  const revokedFamilies = new Set<string>();
  /** Refresh tokens used once while one-time refresh tokens were on. */
  const spent = new Set<string>();
  const newRefreshToken = (clientId: string, username: string, family: string): string => {
    const token = `rt.${randomBytes(24).toString('base64url')}`;
    refreshTokens.set(token, { clientId, username, family });
    return token;
  };

  const refreshAnswer = (tenant: string, form: URLSearchParams): { status: number; body: Record<string, unknown> } => {
    const clientId = form.get('client_id') ?? '';
    const presented = form.get('refresh_token') ?? '';
    const grant = refreshTokens.get(presented);
    if (clientId in options.clients) {
      if (revoked.has(clientId)) return { status: 401, body: entraError('invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired.`) };
      if (form.get('client_secret') !== options.clients[clientId]) {
        return { status: 401, body: entraError('invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.') };
      }
    }
    if (grant === undefined || grant.clientId !== clientId) {
      return { status: 400, body: entraError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.') };
    }
    if (revokedFamilies.has(grant.family)) {
      return { status: 400, body: entraError('invalid_grant', 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.") };
    }
    if (spent.has(presented)) {
      return { status: 400, body: entraError('invalid_grant', 70000, 'The provided value for the refresh_token is not valid: it was already redeemed, and refresh tokens of this app can be used once.') };
    }
    const answer = issue(tenant, clientId, { username: grant.username, family: grant.family });
    const scope = 'https://outlook.office.com/IMAP.AccessAsUser.All';
    if (!state.rotateRefreshTokens) return { status: 200, body: { ...answer, scope } };
    if (state.oneTimeRefreshTokens) spent.add(presented);
    return { status: 200, body: { ...answer, scope, refresh_token: newRefreshToken(clientId, grant.username, grant.family) } };
  };

  const tokenAnswer = (tenant: string, form: URLSearchParams): { status: number; body: Record<string, unknown> } => {
    const clientId = form.get('client_id') ?? '';
    if (form.get('grant_type') === 'refresh_token') return refreshAnswer(tenant, form);
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: entraError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`) };
    }
    if (!(clientId in options.clients) && !certificates.has(clientId)) {
      return { status: 400, body: entraError('unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`) };
    }
    if (revoked.has(clientId)) {
      return { status: 401, body: entraError('invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired.`) };
    }
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== JWT_BEARER) {
        return { status: 400, body: entraError('invalid_request', 50012, `Invalid client assertion type. Expected '${JWT_BEARER}'.`) };
      }
      const endpoint = `${origin}/${tenant}/oauth2`;
      const verdict = checkClientAssertion(assertion, clientId, certificates.get(clientId), [`${endpoint}/v2.0/token`, `${endpoint}/token`]);
      if (!verdict.ok) return { status: 401, body: entraError('invalid_client', verdict.code, verdict.description) };
    } else if (!(clientId in options.clients)) {
      return { status: 401, body: entraError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.") };
    } else if (form.get('client_secret') !== options.clients[clientId]) {
      return { status: 401, body: entraError('invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.') };
    }
    const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
    // One resource per request, named by its /.default scope (Entra takes no other scope here).
    const audience = [EXCHANGE_AUDIENCE, ...Object.keys(resources)].find((a) => scopes.includes(`${a}/.default`));
    if (audience === undefined) {
      return { status: 400, body: entraError('invalid_scope', 1002012, `The provided value for scope ${form.get('scope') ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`) };
    }
    return { status: 200, body: issue(tenant, clientId, undefined, audience) };
  };

  const server = https.createServer({ cert, key, minVersion: 'TLSv1.2' }, (request, response) => {
    const send = (status: number, body: unknown, record: Omit<TokenServiceRequest, 'method' | 'path' | 'status'> = {}) => {
      const text = JSON.stringify(body);
      requests.push({ method: request.method ?? '', path: pathname, status, ...record });
      response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
      response.end(text);
    };
    const pathname = new URL(request.url ?? '/', origin).pathname;
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(pathname);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(pathname);
    void readBody(request).then(async (text) => {
      if (request.method === 'GET' && discovery?.[1]) {
        const tenant = decodeURIComponent(discovery[1]).toLowerCase();
        if (!tenants.has(tenant)) return send(400, entraError('invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`));
        return send(200, {
          token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
          response_modes_supported: ['query', 'fragment', 'form_post'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          issuer: `${origin}/${tenant}/v2.0`,
          request_uri_parameter_supported: false,
          userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
          authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/devicecode`,
          http_logout_supported: true,
          frontchannel_logout_supported: true,
          end_session_endpoint: `${origin}/${tenant}/oauth2/v2.0/logout`,
          claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
          tenant_region_scope: 'EU',
          cloud_instance_name: 'microsoftonline.com',
        });
      }
      if (request.method === 'POST' && token?.[1]) {
        tokenRequests += 1;
        if (state.responseDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.responseDelayMs));
        const tenant = decodeURIComponent(token[1]).toLowerCase();
        const form = new URLSearchParams(text);
        const clientId = form.get('client_id') ?? '';
        if (failures.count > 0) {
          failures = { ...failures, count: failures.count - 1 };
          return send(failures.status, entraError('temporarily_unavailable', 50196, 'The server is temporarily unavailable.'), { error: 'temporarily_unavailable', clientId });
        }
        if (!tenants.has(tenant)) {
          return send(400, entraError('invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`), { error: 'invalid_request', clientId });
        }
        const answer = tokenAnswer(tenant, form);
        const error = typeof answer.body['error'] === 'string' ? { error: answer.body['error'] } : {};
        return send(answer.status, answer.body, { ...error, clientId, grant: form.get('grant_type') ?? '' });
      }
      return send(404, { error: 'not_found', error_description: `no ${request.method ?? ''} ${pathname} here` });
    }).catch((error: unknown) => {
      if (!response.headersSent) send(500, { error: 'server_error', error_description: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `https://127.0.0.1:${port}`;

  type Claims = { aud?: string; exp?: number; appid?: string; upn?: string; tid?: string; roles?: string[] };
  const check = (token: string, audience = EXCHANGE_AUDIENCE): { claims: Claims } | Extract<TokenVerdict, { error: string }> => {
    const [head, body, signature] = token.split('.');
    const invalid = (reason: string, expired = false) => ({ error: 'invalid_token' as const, reason, expired });
    if (head === undefined || body === undefined || signature === undefined) return invalid('The token is malformed.');
    const expected = createHmac('sha256', signingKey).update(`${head}.${body}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid('The token signature is invalid.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
    if (claims.aud !== audience) return invalid(`The audience ${String(claims.aud)} is invalid.`);
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return invalid('The token has expired.', true);
    const family = issued.find((t) => t.token === token)?.family;
    if (family !== undefined && revokedFamilies.has(family)) return invalid('The grant was revoked.');
    return { claims };
  };

  const introspections: Array<{ active: boolean; username?: string }> = [];
  const introspection = http.createServer((request, response) => {
    void readBody(request).then((text) => {
      const token = new URLSearchParams(text).get('token') ?? '';
      const verdict = request.method === 'POST' ? check(token) : undefined;
      const username = verdict && 'claims' in verdict ? verdict.claims.upn ?? options.mailboxes?.[verdict.claims.appid ?? ''] : undefined;
      const answer = username === undefined ? { active: false } : { active: true, username, client_id: (verdict as { claims: Claims }).claims.appid, token_type: 'Bearer' };
      introspections.push(username === undefined ? { active: false } : { active: true, username });
      const json = JSON.stringify(answer);
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
      response.end(json);
    });
  });
  await new Promise<void>((resolve, reject) => {
    introspection.once('error', reject);
    introspection.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    authority: origin,
    port,
    ca,
    caFile,
    requests,
    get tokenRequests() {
      return tokenRequests;
    },
    issued,
    get refreshTokens() {
      return [...refreshTokens.keys()];
    },
    get lifetimeSeconds() {
      return state.lifetimeSeconds;
    },
    set lifetimeSeconds(value: number) {
      state.lifetimeSeconds = value;
    },
    get validForSeconds() {
      return state.validForSeconds;
    },
    set validForSeconds(value: number | undefined) {
      state.validForSeconds = value;
    },
    get responseDelayMs() {
      return state.responseDelayMs;
    },
    set responseDelayMs(value: number) {
      state.responseDelayMs = value;
    },
    get oneTimeRefreshTokens() {
      return state.oneTimeRefreshTokens;
    },
    set oneTimeRefreshTokens(value: boolean) {
      state.oneTimeRefreshTokens = value;
    },
    get rotateRefreshTokens() {
      return state.rotateRefreshTokens;
    },
    set rotateRefreshTokens(value: boolean) {
      state.rotateRefreshTokens = value;
    },
    refreshTokenState(refreshToken) {
      const grant = refreshTokens.get(refreshToken);
      if (grant === undefined) return 'unknown';
      if (revokedFamilies.has(grant.family)) return 'revoked';
      return spent.has(refreshToken) ? 'spent' : 'active';
    },
    revoke(clientId) {
      revoked.add(clientId);
    },
    restore(clientId) {
      revoked.delete(clientId);
    },
    failNext(count, status = 503) {
      failures = { count, status };
    },
    verify(token) {
      const verdict = check(token);
      return 'claims' in verdict ? { principal: verdict.claims.appid ?? '' } : verdict;
    },
    verifyFor(token, audience) {
      const verdict = check(token, audience);
      if (!('claims' in verdict)) return verdict;
      const { appid, tid, roles, upn } = verdict.claims;
      return { principal: appid ?? '', tenant: tid ?? '', roles: roles ?? [], delegated: upn !== undefined };
    },
    addRefreshToken(clientId, username) {
      return newRefreshToken(clientId, username, randomUUID());
    },
    revokeRefreshToken(refreshToken) {
      const grant = refreshTokens.get(refreshToken);
      if (grant) revokedFamilies.add(grant.family);
    },
    introspectionUrl: `http://127.0.0.1:${(introspection.address() as AddressInfo).port}/introspect`,
    introspections,
    stop() {
      return Promise.all([server, introspection].map((one) => new Promise<void>((resolve) => {
        one.close(() => resolve());
        one.closeAllConnections();
      }))).then(() => (dir === undefined ? undefined : removeTempDir(dir)));
    },
  };
}
