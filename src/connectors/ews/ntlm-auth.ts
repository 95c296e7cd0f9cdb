/**
 * NTLM for EWS: @ewsjs/xhr's NtlmProvider (re-exported by ews-javascript-api), with two
 * of its flaws fixed from outside.
 *
 * NTLM authenticates a TCP connection, not a request: the challenge (type 2) answers a
 * negotiate (type 1) on one socket, and the response (type 3) must go over that same
 * socket. The provider runs the negotiate itself before every request, and
 * - for https it makes a fresh keep-alive Agent that knows only `rejectUnauthorized`,
 *   so a private CA cannot be trusted; for http it uses Node's global agent, a shared
 *   pool that promises nothing about which socket the type 3 request gets when several
 *   requests run at once;
 * - when the negotiate gets no response (connection refused, certificate rejected) it
 *   fails with "Cannot read properties of undefined", dropping the socket error.
 * Here every handshake gets its own pair of one-socket agents (with the CA), pinned onto
 * the request options so that the provider cannot replace them, and a handshake that
 * fails reports its socket's error, or NTLM_HANDSHAKE_FAILED when the server answered
 * without an NTLM challenge.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { NtlmProvider, type XhrApi } from 'ews-javascript-api';

type AuthProvider = Parameters<XhrApi['setAuthProvider']>[0];

/** The error code of a negotiate that got an answer without an NTLM challenge. */
export const NTLM_HANDSHAKE_FAILED = 'NTLM_HANDSHAKE_FAILED';
type PreCallConfig = Parameters<AuthProvider['preCall']>[0];

/** Remembers the first error of any socket it opened. */
interface Recording {
  failure: Error | undefined;
}

class RecordingHttpAgent extends http.Agent implements Recording {
  failure: Error | undefined;
  override createConnection(...args: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
    return watch(this, super.createConnection(...args));
  }
}

class RecordingHttpsAgent extends https.Agent implements Recording {
  failure: Error | undefined;
  override createConnection(...args: Parameters<https.Agent['createConnection']>): ReturnType<https.Agent['createConnection']> {
    return watch(this, super.createConnection(...args));
  }
}

function watch<T>(agent: Recording, socket: T): T {
  (socket as unknown as Socket | undefined)?.once?.('error', (error: Error) => {
    agent.failure ??= error;
  });
  return socket;
}

/** Makes `options[key]` always read `value`, whatever is assigned to it later. */
function pin(options: PreCallConfig, key: 'httpAgent' | 'httpsAgent', value: unknown): void {
  Object.defineProperty(options, key, { get: () => value, set: () => undefined, enumerable: true, configurable: true });
}

/**
 * @param tls - options for the https agent of each handshake (ca, minVersion); certificates
 *   are always verified.
 */
export function ntlmAuth(user: string, password: string, tls: https.AgentOptions): AuthProvider {
  const inner = new NtlmProvider(user, password);
  return {
    providerName: 'ntlm',
    get client() {
      return inner.client;
    },
    async preCall(options: PreCallConfig) {
      const agents = {
        http: new RecordingHttpAgent({ keepAlive: true, maxSockets: 1 }),
        https: new RecordingHttpsAgent({ ...tls, keepAlive: true, maxSockets: 1, rejectUnauthorized: true }),
      };
      pin(options, 'httpAgent', agents.http);
      pin(options, 'httpsAgent', agents.https);
      try {
        return await inner.preCall(options);
      } catch (error) {
        const socketError = agents.http.failure ?? agents.https.failure;
        if (socketError) throw socketError;
        // No socket error: the server answered, but not with an NTLM challenge.
        throw Object.assign(new Error(`NTLM handshake failed: ${(error as Error).message}`), { code: NTLM_HANDSHAKE_FAILED });
      }
    },
  } as AuthProvider;
}
