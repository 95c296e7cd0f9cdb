/**
 * Microsoft Graph account URLs (Exchange Online through the Graph mail API, app-only):
 *
 *   graph://alice@contoso.com?tenant=TENANT_ID&client=CLIENT_ID
 *     [&cert=/path/app.pem]                      certificate credentials instead of a client secret
 *     [&endpoint=https://graph.microsoft.us/v1.0] another cloud's Graph (or a test server)
 *     [&authority=https://login.microsoftonline.us[/TENANT]]
 *
 * USER@DOMAIN is the mailbox (its user principal name or SMTP address). The secret (the
 * usual password variable or file) is the app's client secret; with `&cert=` the PEM file
 * (certificate and private key) is the secret instead and no password is needed. The
 * authority defaults to the endpoint's cloud (login.microsoftonline.us for
 * graph.microsoft.us, ...). The account's CA file is trusted for both hosts.
 */
import path from 'node:path';
import type { GraphAccountSpec, SecretRef } from './account-spec.js';
import { ConfigError } from './config-error.js';
import { checkClientId, checkTenant, DEFAULT_OAUTH_AUTHORITY, httpsParam } from './entra-ids.js';

export const DEFAULT_GRAPH_ENDPOINT = 'https://graph.microsoft.com/v1.0';
const PARAMS = ['tenant', 'client', 'cert', 'endpoint', 'authority'] as const;
const EXAMPLE = 'graph://alice@contoso.com?tenant=TENANT_ID&client=CLIENT_ID';

/** Each national cloud's Graph host and its token authority (learn.microsoft.com/graph/deployments). */
const CLOUD_AUTHORITIES = new Map([
  ['graph.microsoft.com', DEFAULT_OAUTH_AUTHORITY],
  ['graph.microsoft.us', 'https://login.microsoftonline.us'],
  ['dod-graph.microsoft.us', 'https://login.microsoftonline.us'],
  ['microsoftgraph.chinacloudapi.cn', 'https://login.chinacloudapi.cn'],
]);

export function parseGraphUrl(url: URL, what: string, secret: SecretRef, caFile?: string): GraphAccountSpec {
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!(PARAMS as readonly string[]).includes(key)) throw new ConfigError(`${what}: unknown URL parameter "${key}" for graph:// (known: ${PARAMS.join(', ')})`);
    if (params.has(key)) throw new ConfigError(`${what}: ?${key}= given more than once`);
    params.set(key, value);
  }
  if (url.password) throw new ConfigError(`${what}: do not put the client secret in the URL (it shows in "ps"); use the environment variable or --*-password-file`);
  if (url.port || (url.pathname !== '' && url.pathname !== '/') || url.hash) {
    throw new ConfigError(`${what}: graph:// takes the mailbox only, as in ${EXAMPLE}; the Graph host goes in &endpoint=https://HOST/v1.0`);
  }
  const mailbox = mailboxOf(url, what);
  const tenant = params.get('tenant');
  const client = params.get('client');
  if (!tenant) throw new ConfigError(`${what}: graph:// needs &tenant=TENANT_ID, the directory (tenant) id of the Entra app (${EXAMPLE})`);
  if (!client) throw new ConfigError(`${what}: graph:// needs &client=CLIENT_ID, the application (client) id of the Entra app (${EXAMPLE})`);
  checkTenant(tenant, what);
  checkClientId(client, what);
  const endpoint = graphEndpoint(params.get('endpoint'), what);
  const authority = graphAuthority(params.get('authority'), endpoint, tenant, what);
  const cert = params.get('cert');
  if (cert !== undefined && cert.trim() === '') throw new ConfigError(`${what}: ?cert= takes the path of a PEM file with the app's certificate and private key`);
  return {
    kind: 'graph',
    user: mailbox,
    host: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : 443,
    tls: 'implicit',
    endpoint: endpoint.href.replace(/\/+$/, ''),
    tenant: tenant.toLowerCase(),
    clientId: client.toLowerCase(),
    authority,
    credential: cert === undefined ? 'secret' : 'certificate',
    // With a certificate the PEM file (its private key) is the secret, read like a password file.
    secret: cert === undefined ? secret : { file: path.resolve(cert) },
    ...(caFile === undefined ? {} : { caFile }),
  };
}

/** USER@DOMAIN of the URL; an address given as one escaped user name (%40) works too. */
function mailboxOf(url: URL, what: string): string {
  let user: string;
  try {
    user = decodeURIComponent(url.username);
  } catch {
    throw new ConfigError(`${what}: the mailbox in the URL has a malformed %-escape`);
  }
  const host = url.hostname.toLowerCase();
  const mailbox = user.includes('@') && host === '' ? user : `${user}@${host}`;
  if (!user || !host || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(mailbox)) {
    throw new ConfigError(`${what}: graph:// needs the mailbox's address, as in ${EXAMPLE}`);
  }
  return mailbox;
}

/** https://HOST[:PORT]/PATH, no credentials, query or fragment; a path such as /v1.0 is required. */
function graphEndpoint(text: string | undefined, what: string): URL {
  const expected = `an https:// URL with the API version, such as ${DEFAULT_GRAPH_ENDPOINT} or https://graph.microsoft.us/v1.0`;
  const url = httpsParam(text ?? DEFAULT_GRAPH_ENDPOINT, 'endpoint', expected, what);
  if (!/^\/[^/]+\/?$/.test(url.pathname)) throw new ConfigError(`${what}: ?endpoint= takes the API version as its only path segment; expected ${expected}`);
  return url;
}

/**
 * The authority's origin. Given as https://HOST[:PORT] or https://HOST[:PORT]/TENANT (the
 * tenant must then be the URL's); left out, the endpoint's cloud decides.
 */
function graphAuthority(text: string | undefined, endpoint: URL, tenant: string, what: string): string {
  if (text === undefined) {
    const known = CLOUD_AUTHORITIES.get(endpoint.hostname.toLowerCase());
    if (known !== undefined) return known;
    throw new ConfigError(`${what}: ?endpoint= is not a Microsoft cloud mailferry knows; give the token authority too: &authority=https://HOST[/TENANT]`);
  }
  const expected = 'an https:// origin such as https://login.microsoftonline.us, optionally with /TENANT';
  const url = httpsParam(text, 'authority', expected, what);
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments.length > 1 || (segments.length === 1 && decodeURIComponent(segments[0]!).toLowerCase() !== tenant.toLowerCase())) {
    throw new ConfigError(`${what}: ?authority= may end in the tenant only, and it must be &tenant=${tenant}; expected ${expected}`);
  }
  return url.origin;
}
