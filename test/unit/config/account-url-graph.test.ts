/** graph:// account URLs: the mailbox, the Entra app, certificate credentials, other clouds and test servers. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAccountUrl } from '../../../src/config/account-url.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { checkPairKinds } from '../../../src/config/pair-kinds.js';
import { accountIdentity, accountLabel } from '../../../src/config/account-spec.js';

const secret = { env: 'MAILFERRY_SOURCE_PASSWORD' } as const;
const TENANT = '5e0c1d2b-8f3a-4c6e-9b1d-7a2f3e4d5c6b';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const BASE = `graph://alice@contoso.com?tenant=${TENANT}&client=${CLIENT}`;

describe('parseAccountUrl: graph://', () => {
  it('the mailbox with the global Graph and authority by default; the secret is the client secret', () => {
    expect(parseAccountUrl(BASE, 'source', secret)).toEqual({
      kind: 'graph', user: 'alice@contoso.com', host: 'graph.microsoft.com', port: 443, tls: 'implicit',
      endpoint: 'https://graph.microsoft.com/v1.0', tenant: TENANT, clientId: CLIENT,
      authority: 'https://login.microsoftonline.com', credential: 'secret', secret,
    });
  });

  it('&cert= makes the PEM file the secret (an absolute path), so no password is needed', () => {
    const parsed = parseAccountUrl(`${BASE}&cert=app.pem`, 'source', secret);
    expect(parsed).toMatchObject({ credential: 'certificate', secret: { file: path.resolve('app.pem') } });
  });

  it('a national cloud: its authority follows from the endpoint', () => {
    expect(parseAccountUrl(`${BASE}&endpoint=https://graph.microsoft.us/v1.0`, 'source', secret)).toMatchObject({
      host: 'graph.microsoft.us', endpoint: 'https://graph.microsoft.us/v1.0', authority: 'https://login.microsoftonline.us',
    });
  });

  it('a test server: endpoint and authority given, the authority may end in the tenant; the CA file is kept', () => {
    const parsed = parseAccountUrl(`${BASE}&endpoint=https://127.0.0.1:8443/v1.0&authority=https://127.0.0.1:8443/${TENANT}`, 'source', secret, '/tmp/ca.pem');
    expect(parsed).toMatchObject({ host: '127.0.0.1', port: 8443, endpoint: 'https://127.0.0.1:8443/v1.0', authority: 'https://127.0.0.1:8443', caFile: '/tmp/ca.pem' });
    expect(accountLabel(parsed)).toBe('alice@contoso.com via 127.0.0.1:8443');
    expect(accountIdentity(parsed)).toBe('graph:alice@contoso.com via 127.0.0.1:8443');
  });

  it.each<[string, string, RegExp]>([
    ['no tenant', `graph://alice@contoso.com?client=${CLIENT}`, /needs &tenant=TENANT_ID/],
    ['no client', `graph://alice@contoso.com?tenant=${TENANT}`, /needs &client=CLIENT_ID/],
    ['a tenant that names none', `graph://alice@contoso.com?tenant=common&client=${CLIENT}`, /names no tenant/],
    ['a client that is not a GUID', `graph://alice@contoso.com?tenant=${TENANT}&client=myapp`, /\?client= takes the application \(client\) id/],
    ['no domain', `graph://alice?tenant=${TENANT}&client=${CLIENT}`, /needs the mailbox's address/],
    ['a path', `graph://alice@contoso.com/v1.0?tenant=${TENANT}&client=${CLIENT}`, /the Graph host goes in &endpoint=/],
    ['a plaintext endpoint', `${BASE}&endpoint=http://127.0.0.1:8080/v1.0&authority=https://127.0.0.1:8443`, /\?endpoint= must be https:\/\//],
    ['an endpoint without the version', `${BASE}&endpoint=https://graph.microsoft.us`, /API version as its only path segment/],
    ['an unknown endpoint without an authority', `${BASE}&endpoint=https://graph.example.net/v1.0`, /give the token authority too/],
    ['an authority for another tenant', `${BASE}&endpoint=https://127.0.0.1:8443/v1.0&authority=https://127.0.0.1:8443/contoso.onmicrosoft.com`, /must be &tenant=/],
    ['a secret in the URL', `graph://alice:pw@contoso.com?tenant=${TENANT}&client=${CLIENT}`, /do not put the client secret in the URL/],
    ['an unknown parameter', `${BASE}&impersonate=bob@contoso.com`, /unknown URL parameter "impersonate" for graph:\/\//],
    ['an empty cert', `${BASE}&cert=`, /\?cert= takes the path of a PEM file/],
  ])('%s is refused, naming the fix', (_name, url, message) => {
    expect(() => parseAccountUrl(url, 'source', secret)).toThrow(ConfigError);
    expect(() => parseAccountUrl(url, 'source', secret)).toThrow(message);
  });

  it('a Graph account cannot be a target: the message points to IMAP with OAuth', () => {
    const graph = parseAccountUrl(BASE, 'target', secret);
    const imap = parseAccountUrl('imaps://bob@mail.example.com', 'source', secret);
    expect(() => checkPairKinds(imap, graph, '--target')).toThrow(/Graph can only be a source: mail stored through Graph becomes a draft.*IMAP with OAuth/);
  });
});
