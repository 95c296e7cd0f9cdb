/**
 * Microsoft Entra identifiers in account URLs: the directory (tenant) and the application
 * (client), and the token authority's origin. Shared by EWS, IMAP/POP3 with OAuth, and Graph.
 */
import { ConfigError } from './config-error.js';

export const DEFAULT_OAUTH_AUTHORITY = 'https://login.microsoftonline.com';
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Authority paths that name no tenant; the client credentials grant needs one. */
export const NO_TENANT = new Set(['common', 'organizations', 'consumers']);

/** A tenant app-only tokens can be issued for: a GUID or a verified domain, not common/organizations. */
export function checkTenant(tenant: string, what: string): void {
  if (NO_TENANT.has(tenant.toLowerCase())) {
    throw new ConfigError(`${what}: ?tenant=${tenant} names no tenant; app-only tokens need the directory (tenant) id or its domain`);
  }
  if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
    throw new ConfigError(`${what}: ?tenant= takes the directory (tenant) id, a GUID, or a domain such as contoso.onmicrosoft.com`);
  }
}

export function checkClientId(client: string, what: string): void {
  if (!GUID.test(client)) {
    throw new ConfigError(`${what}: ?client= takes the application (client) id, a GUID such as 11111111-2222-3333-4444-555555555555`);
  }
}

/**
 * `?param=` as an https:// URL without credentials, query or fragment: where tokens and
 * secrets are sent, so never plaintext. Throws a ConfigError that names what was expected.
 */
export function httpsParam(text: string, param: string, expected: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${what}: ?${param}= "${text}" is not a URL; expected ${expected}`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(`${what}: ?${param}= must be https:// (tokens never travel in plaintext); expected ${expected}`);
  if (url.username || url.password || url.search || url.hash) throw new ConfigError(`${what}: ?${param}= takes no user, query or #fragment; expected ${expected}`);
  return url;
}
