/**
 * HTTP authentication in front of EWS, like IIS in front of Exchange.
 *
 * Basic: every request carries the credentials; a missing or wrong one gets
 * 401 + `WWW-Authenticate: Basic realm="..."`.
 *
 * NTLM: connection-based, as in IIS. A request without credentials gets
 * 401 `WWW-Authenticate: Negotiate` + `NTLM`; a NEGOTIATE token gets 401 with a CHALLENGE
 * for that TCP connection; an AUTHENTICATE token on the same connection is verified
 * (NTLMv2) and, if good, authenticates the request and the connection. Raw NTLMSSP
 * tokens are accepted under both the "NTLM" and the "Negotiate" scheme.
 *
 * Bearer (OAuth, as Exchange Online): `Authorization: Bearer <token>`, checked by the
 * caller's verifier (the fake token service's `verify`); the principal is the app, which
 * acts on mailboxes through impersonation. A missing token gets a bare Bearer challenge,
 * a refused one 401 with `error="invalid_token"` and an x-ms-diagnostics reason.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Directory } from './directory.js';
import { buildChallenge, messageType, ntowfv2, parseAuthenticate, parseNegotiate, verifyNtlmV2, type Challenge } from './ntlm.js';

export type AuthOutcome = { user: string } | { challenge: Record<string, string | string[]> };

export interface Authenticator {
  authenticate(request: IncomingMessage): AuthOutcome;
}

export class BasicAuth implements Authenticator {
  constructor(private readonly directory: Directory) {}

  authenticate(request: IncomingMessage): AuthOutcome {
    const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (match?.[1]) {
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon > 0 ? this.directory.userForLogon(decoded.slice(0, colon)) : undefined;
      if (user && user.password === decoded.slice(colon + 1)) return { user: user.address };
    }
    return { challenge: { 'WWW-Authenticate': 'Basic realm="127.0.0.1"' } };
  }
}

/** A verifier's verdict on a bearer token: the principal (app id) it stands for, or why not. */
export type BearerVerdict = { readonly principal: string } | { readonly error: string; readonly reason: string; readonly expired?: boolean };

/** Exchange Online's challenge parameters (the Office 365 Exchange Online app). */
const BEARER_CHALLENGE = 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", ' +
  'token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"';

export class BearerAuth implements Authenticator {
  constructor(private readonly verify: (token: string) => BearerVerdict) {}

  authenticate(request: IncomingMessage): AuthOutcome {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) return { challenge: { 'WWW-Authenticate': BEARER_CHALLENGE } };
    const verdict = this.verify(match[1]);
    if ('principal' in verdict) return { user: verdict.principal };
    const reason = verdict.reason.replace(/"/g, "'");
    return {
      challenge: {
        'WWW-Authenticate': `${BEARER_CHALLENGE}, error="${verdict.error}"`,
        'x-ms-diagnostics': `${verdict.expired ? '2000003' : '2000001'};reason="${reason}";error_category="${verdict.expired ? 'invalid_token' : 'invalid_signature'}"`,
      },
    };
  }
}

export class NtlmAuth implements Authenticator {
  private readonly pending = new WeakMap<Socket, Challenge>();
  private readonly authenticated = new WeakMap<Socket, string>();

  constructor(private readonly directory: Directory) {}

  authenticate(request: IncomingMessage): AuthOutcome {
    const socket = request.socket;
    const match = /^(NTLM|Negotiate)\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const offer = { challenge: { 'WWW-Authenticate': ['Negotiate', 'NTLM'] } };
    if (!match?.[2]) {
      // IIS keeps an NTLM-authenticated connection authenticated for later requests.
      const user = this.authenticated.get(socket);
      return user !== undefined ? { user } : offer;
    }
    const scheme = match[1] ?? 'NTLM';
    const token = Buffer.from(match[2], 'base64');
    const type = messageType(token);
    if (type === 1) {
      this.authenticated.delete(socket);
      const challenge = buildChallenge(parseNegotiate(token).flags, randomBytes(8));
      this.pending.set(socket, challenge);
      return { challenge: { 'WWW-Authenticate': `${scheme} ${challenge.token.toString('base64')}` } };
    }
    const challenge = this.pending.get(socket);
    this.pending.delete(socket);
    if (type !== 3 || !challenge) return offer;
    const message = parseAuthenticate(token, challenge.unicode);
    const account = message && this.directory.userForLogon(message.user);
    if (!message || !account) return offer;
    const key = ntowfv2(account.password, message.user, message.domain);
    if (!verifyNtlmV2(message.ntResponse, key, challenge.serverChallenge)) return offer;
    this.authenticated.set(socket, account.address);
    return { user: account.address };
  }
}
