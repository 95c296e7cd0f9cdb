/**
 * The client-credentials token provider against the loopback fake of Entra's token
 * service (test/support/oauth): msal-node runs for real, offline, over the provider's own
 * HTTPS client that trusts the fake's self-signed CA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/connector-error.js';
import { OAuthTokenProvider, type TokenProviderOptions } from '../../../src/connectors/ews/oauth-token.js';
import { startTokenService, type FakeTokenService } from '../../support/oauth/index.js';

const TENANT = '7f1c6b1e-2a63-4a35-9d4c-2d9c2b0f0a11';
const CLIENT = '3d2a9f0e-5b7c-4e1a-8c6d-0f1e2d3c4b5a';
const SECRET = 'fake~client~secret~value';
let service: FakeTokenService;

beforeAll(async () => {
  service = await startTokenService({ tenants: [TENANT], clients: { [CLIENT]: SECRET } });
});

afterAll(async () => {
  await service?.stop();
});

interface LogLine {
  level: string;
  fields: unknown;
  msg: string | undefined;
}

function provider(overrides: Partial<TokenProviderOptions> = {}, lines: LogLine[] = []): OAuthTokenProvider {
  const log = (level: string) => (fields: unknown, msg?: string) => {
    lines.push({ level, fields, msg });
  };
  return new OAuthTokenProvider({
    tenant: TENANT, clientId: CLIENT, clientSecret: SECRET, authority: service.authority, ca: service.ca,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    ...overrides,
  });
}

/** Runs `fn` with the service's knobs reset afterwards. */
async function withService<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    service.lifetimeSeconds = 3600;
    service.validForSeconds = undefined;
    service.responseDelayMs = 0;
    service.restore(CLIENT);
    service.failNext(0);
  }
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OAuthTokenProvider', () => {
  it('20 concurrent callers share one token request, and the token is reused afterwards', () => withService(async () => {
    service.responseDelayMs = 200;
    const tokens = provider();
    const before = service.tokenRequests;
    const got = await Promise.all(Array.from({ length: 20 }, () => tokens.token()));
    expect(service.tokenRequests - before).toBe(1);
    expect(new Set(got).size).toBe(1);
    expect(service.verify(got[0] as string)).toEqual({ principal: CLIENT });
    // A JWT-shaped bearer token from the client credentials grant.
    expect(got[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    expect(await tokens.token()).toBe(got[0]);
    expect(service.tokenRequests - before).toBe(1);
    // Offline: msal asked the fake for OpenID discovery and the token, nothing else (no instance discovery).
    expect(service.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`, `POST /${TENANT}/oauth2/v2.0/token`,
    ]);
  }));

  it('asks for a new token before the current one expires, once for all callers', () => withService(async () => {
    service.lifetimeSeconds = 4; // margin: half the lifetime (2 s), since 5 min is longer than the token lives
    const tokens = provider();
    const before = service.tokenRequests;
    const first = await tokens.token();
    await sleep(500);
    expect(await tokens.token()).toBe(first);
    await sleep(2000);
    service.responseDelayMs = 100;
    const second = await Promise.all(Array.from({ length: 20 }, () => tokens.token()));
    expect(service.tokenRequests - before).toBe(2);
    expect(new Set(second).size).toBe(1);
    expect(second[0]).not.toBe(first);
    const [a, b] = service.issued.slice(-2);
    // The second token was asked for while the first was still valid.
    expect(b?.issuedAt).toBeLessThan(a?.expiresAt ?? 0);
    expect(service.verify(first)).toEqual({ principal: CLIENT });
  }), 20_000);

  it('the margin is 5 minutes (refreshMarginMs), or half the lifetime of a shorter-lived token', () => withService(async () => {
    service.lifetimeSeconds = 6;
    const halfLife = provider();
    const smallMargin = provider({ refreshMarginMs: 1000 });
    const before = service.tokenRequests;
    const [a, b] = await Promise.all([halfLife.token(), smallMargin.token()]);
    await sleep(3500);
    // 6 s tokens: renewed after 3 s with the default margin, after 5 s with a 1 s margin.
    expect(await halfLife.token()).not.toBe(a);
    expect(await smallMargin.token()).toBe(b);
    expect(service.tokenRequests - before).toBe(3);
  }), 20_000);

  it('refresh(stale) after a 401: one forced request for every caller that saw the stale token', () => withService(async () => {
    const tokens = provider();
    const stale = await tokens.token();
    const before = service.tokenRequests;
    service.responseDelayMs = 100;
    const fresh = await Promise.all(Array.from({ length: 20 }, () => tokens.refresh(stale)));
    expect(service.tokenRequests - before).toBe(1);
    expect(new Set(fresh).size).toBe(1);
    expect(fresh[0]).not.toBe(stale);
    // A late caller with the same stale token gets the new one without another request.
    expect(await tokens.refresh(stale)).toBe(fresh[0]);
    expect(await tokens.token()).toBe(fresh[0]);
    expect(service.tokenRequests - before).toBe(1);
  }));

  it('a revoked secret: AUTH_FAILED, retry never, once for 20 callers, and no further requests for a while', () => withService(async () => {
    service.revoke(CLIENT);
    service.responseDelayMs = 100;
    const tokens = provider();
    const before = service.tokenRequests;
    const errors = await Promise.all(Array.from({ length: 20 }, () => rejection(tokens.token())));
    expect(service.tokenRequests - before).toBe(1);
    for (const error of errors) {
      expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
      expect(error.message).toMatch(/refused the client credentials \(invalid_client: AADSTS7000222: The provided client secret keys .* are expired\.\); check the tenant id, client id and client secret$/);
    }
    // Asked again (another connector, a forced refresh): the same answer from memory.
    expect((await rejection(tokens.token())).code).toBe('AUTH_FAILED');
    expect((await rejection(tokens.refresh('whatever'))).code).toBe('AUTH_FAILED');
    expect(service.tokenRequests - before).toBe(1);
  }));

  it('a refused credential is asked about again once the hold is over', () => withService(async () => {
    service.revoke(CLIENT);
    const tokens = provider({ authFailureHoldMs: 300 });
    const before = service.tokenRequests;
    expect((await rejection(tokens.token())).code).toBe('AUTH_FAILED');
    service.restore(CLIENT);
    await sleep(400);
    expect(service.verify(await tokens.token())).toEqual({ principal: CLIENT });
    expect(service.tokenRequests - before).toBe(2);
  }));

  it.each<[string, Partial<TokenProviderOptions>, RegExp]>([
    ['a wrong secret', { clientSecret: 'not-the-secret' }, /invalid_client: AADSTS7000215: Invalid client secret provided.*; check the tenant id, client id and client secret$/],
    ['an unknown client id', { clientId: '00000000-0000-0000-0000-000000000001' }, /unauthorized_client: AADSTS700016: Application with identifier .* was not found.*; check the tenant id, client id and client secret$/],
    ['an unknown tenant', { tenant: '00000000-0000-0000-0000-0000000000aa' }, /has no OpenID configuration for tenant 00000000-0000-0000-0000-0000000000aa .*check the tenant id and the authority URL$/],
  ])('%s: AUTH_FAILED with a message naming the fix', async (_name, overrides, message) => {
    const error = await rejection(provider(overrides).token());
    expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    expect(error.message).toMatch(message);
  });

  it('no answer from the authority: CONNECTION_LOST, retry now', async () => {
    const dead = await startTokenService({ tenants: [TENANT], clients: { [CLIENT]: SECRET } });
    const tokens = new OAuthTokenProvider({ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET, authority: dead.authority, ca: dead.ca });
    await dead.stop();
    const error = await rejection(tokens.token());
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
    expect(error.message).toMatch(/connection to 127\.0\.0\.1:\d+ failed .*ECONNREFUSED/);
  });

  it('an authority whose certificate is not trusted: TLS_FAILED, retry never', async () => {
    const untrusting = new OAuthTokenProvider({ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET, authority: service.authority });
    const error = await rejection(untrusting.token());
    expect(error).toMatchObject({ code: 'TLS_FAILED', retry: 'never' });
    expect(error.message).toMatch(/TLS to 127\.0\.0\.1:\d+ failed \(DEPTH_ZERO_SELF_SIGNED_CERT\); check the authority URL, and the CA file/);
  });

  it('the authority unavailable (HTTP 503): THROTTLED for later; a still-valid token stays in use meanwhile', () => withService(async () => {
    service.failNext(1, 503);
    const fresh = provider();
    const error = await rejection(fresh.token());
    expect(error).toMatchObject({ code: 'THROTTLED', retry: 'later' });
    expect(error.retryAfterMs).toBeGreaterThan(0);

    service.lifetimeSeconds = 4;
    const tokens = provider();
    const first = await tokens.token();
    await sleep(2300); // past the refresh point (2 s), before expiry (4 s)
    service.failNext(1, 503);
    expect(await tokens.token()).toBe(first);
  }), 20_000);

  it('never logs the secret or a token', () => withService(async () => {
    const lines: LogLine[] = [];
    service.lifetimeSeconds = 2;
    const tokens = provider({}, lines);
    const first = await tokens.token();
    const second = await tokens.refresh(first);
    await rejection(provider({ clientSecret: 'wrong-secret-value' }, lines).token());
    const text = JSON.stringify(lines);
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [SECRET, 'wrong-secret-value', first, second]) expect(text).not.toContain(secret);
  }));
});
