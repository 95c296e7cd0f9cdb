/**
 * Bearer tokens as Graph checks them: an app-only token from the tenant's token service
 * (test/support/oauth, `verifyFor` with audience https://graph.microsoft.com), whose
 * `roles` grant the request (the "Application" column of each API's permission table).
 *
 * A missing or invalid token is Graph's 401 InvalidAuthenticationToken with the
 * WWW-Authenticate header Graph sends; a valid token without a granting role is 403, worded
 * as the service behind the API words it: Outlook's ErrorAccessDenied, or Microsoft Entra
 * ID's Authorization_RequestDenied.
 */
import type { ResourceTokenVerdict } from '../oauth/index.js';
import type { Route } from './context.js';
import { GraphError } from './errors.js';

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';

export interface Principal {
  readonly appId: string;
  readonly roles: readonly string[];
}

const CHALLENGE = {
  'WWW-Authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
};

export function authenticate(authorization: string | undefined, verify: (token: string) => ResourceTokenVerdict, tenant: string): Principal {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (token === undefined) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', CHALLENGE);
  const verdict = verify(token);
  if ('error' in verdict) {
    const message = verdict.expired
      ? 'Lifetime validation failed, the token is expired.'
      : /audience/i.test(verdict.reason) ? 'Access token validation failure. Invalid audience.' : 'Access token validation failure.';
    throw new GraphError(401, 'InvalidAuthenticationToken', message, CHALLENGE);
  }
  if (verdict.tenant.toLowerCase() !== tenant.toLowerCase()) {
    throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid issuer.', CHALLENGE);
  }
  return { appId: verdict.principal, roles: verdict.roles };
}

export function authorize(principal: Principal, route: Route): void {
  if (route.roles.some((role) => principal.roles.includes(role))) return;
  if (route.denial === 'directory') throw new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}
