/**
 * Certificate credentials as Entra ID checks them: the client sends
 * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a
 * `client_assertion` JWT (RFC 7523) signed with the private key of a certificate registered
 * for the app. msal-node 7 signs it RS256 with header `x5t` (base64url SHA-1 thumbprint)
 * when given `clientCertificate.thumbprint`, and PS256 with `x5t#S256` (base64url SHA-256
 * thumbprint) when given `thumbprintSha256` (ClientAssertion.createJwt); Entra takes both.
 *
 * Checked here: the header names the registered certificate, the signature verifies with
 * its public key, `iss` = `sub` = the client id, `aud` is this token endpoint, and the
 * assertion has not expired. Refusals carry Entra's AADSTS codes for each case.
 */
import { constants, createHash, createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type AssertionVerdict = { readonly ok: true } | { readonly ok: false; readonly code: number; readonly description: string };

interface Registered {
  readonly key: KeyObject;
  readonly x5t: string;
  readonly x5tS256: string;
}

/** The registered certificate's public key and both thumbprints as base64url (the JWT header form). */
export function registerCertificate(pem: string): Registered {
  const certificate = new X509Certificate(pem);
  return {
    key: createPublicKey(certificate.publicKey.export({ type: 'spki', format: 'pem' })),
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
    x5tS256: createHash('sha256').update(certificate.raw).digest('base64url'),
  };
}

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks `assertion` for `clientId` against its registered certificate. `audiences` are the
 * URLs Entra accepts as `aud` (its token endpoints), compared without regard to case.
 */
export function checkClientAssertion(assertion: string, clientId: string, registered: Registered | undefined, audiences: readonly string[]): AssertionVerdict {
  const refuse = (code: number, description: string): AssertionVerdict => ({ ok: false, code, description });
  const [headPart, bodyPart, signaturePart] = assertion.split('.');
  const head = decodePart(headPart);
  const body = decodePart(bodyPart);
  if (!head || !body || signaturePart === undefined) return refuse(50027, 'JWT token is invalid or malformed.');
  if (!registered) {
    return refuse(700027, `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${String(head['x5t'] ?? head['x5t#S256'] ?? '')}']`);
  }
  const alg = head['alg'];
  const usesSha256 = typeof head['x5t#S256'] === 'string';
  const thumbprint = usesSha256 ? head['x5t#S256'] : head['x5t'];
  const expected = usesSha256 ? registered.x5tS256 : registered.x5t;
  if (thumbprint !== expected) {
    return refuse(700027, `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${String(thumbprint ?? '')}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`);
  }
  const data = Buffer.from(`${headPart}.${bodyPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  let valid = false;
  if (alg === 'RS256') valid = verify('sha256', data, registered.key, signature);
  else if (alg === 'PS256') {
    valid = verify('sha256', data, { key: registered.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
  } else return refuse(5002738, `Invalid JWT token. '${String(alg)}' is not a supported signature algorithm. Supported signing algorithms are: 'RS256, HS256'`);
  if (!valid) return refuse(700027, 'Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]');
  if (body['iss'] !== clientId || body['sub'] !== clientId) {
    return refuse(700021, `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .`);
  }
  const aud = typeof body['aud'] === 'string' ? body['aud'].toLowerCase() : '';
  if (!audiences.some((a) => a.toLowerCase() === aud)) {
    return refuse(700212, `No matching federated identity record found for presented assertion audience '${String(body['aud'])}'.`);
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof body['exp'] !== 'number' || body['exp'] < now || (typeof body['nbf'] === 'number' && body['nbf'] > now + 300)) {
    return refuse(700024, 'Client assertion is not within its valid time range.');
  }
  return { ok: true };
}
