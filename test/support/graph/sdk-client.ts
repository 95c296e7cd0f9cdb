/**
 * The official clients wired to the test server, the way the Graph connector must wire
 * them to trust a private CA without NODE_EXTRA_CA_CERTS:
 *
 * - msal-node (ConfidentialClientApplication) gets tokens from `graph.authority` through a
 *   custom `system.networkClient`: src/connectors/oauth/authority-http.ts, which trusts the
 *   CA for that client only; `knownAuthorities: [host:port]` skips instance discovery.
 * - @microsoft/microsoft-graph-client 3.0.7 sends through its middleware chain, whose last
 *   link (HTTPMessageHandler) calls the global `fetch` (undici on Node 20), which takes no
 *   CA. HttpsCaHandler replaces that link: it sends with node:https and the CA, and hands
 *   the SDK a WHATWG Response whose body streams (so $value of 50 MB is not buffered here).
 *   The rest of the default chain (AuthenticationHandler, RetryHandler with Retry-After,
 *   RedirectHandler, TelemetryHandler) is kept. `customHosts` makes the SDK send the token
 *   to 127.0.0.1, `baseUrl` points it at the server.
 */
import https from 'node:https';
import { Readable } from 'node:stream';
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';
import { Client, MiddlewareFactory, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { AuthorityHttpClient } from '../../../src/connectors/oauth/authority-http.js';

/** The last link of the SDK's middleware chain: node:https with a CA to trust, in place of global fetch. */
export class HttpsCaHandler implements Middleware {
  constructor(private readonly ca: Buffer) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const options = context.options ?? {};
    const headers = new Headers(options.headers as HeadersInit | undefined);
    const body = options.body === undefined || options.body === null ? undefined : Buffer.from(options.body as string | Uint8Array);
    if (body !== undefined) headers.set('Content-Length', String(body.length));
    context.response = await new Promise<Response>((resolve, reject) => {
      const request = https.request(url, { method: options.method ?? 'GET', headers: Object.fromEntries(headers), ca: this.ca, minVersion: 'TLSv1.2' }, (response) => {
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) responseHeaders.append(response.rawHeaders[i]!, response.rawHeaders[i + 1]!);
        const status = response.statusCode ?? 0;
        // A Response may not have a body for these statuses.
        const nullBody = status === 204 || status === 205 || status === 304;
        if (nullBody) response.resume();
        resolve(new Response(nullBody ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), { status, statusText: response.statusMessage ?? '', headers: responseHeaders }));
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  setNext(): void {
    // The last link: nothing follows.
  }
}

export type AppCredential =
  | { readonly secret: string }
  | { readonly privateKey: string; readonly thumbprintSha256: string }
  | { readonly privateKey: string; readonly thumbprint: string };

/** msal-node for `authority` (https://host:port/tenant), trusting `ca` for that host only. */
export function msalApp(authority: string, ca: Buffer, clientId: string, credential: AppCredential): ConfidentialClientApplication {
  const auth: Configuration['auth'] = { clientId, authority, knownAuthorities: [new URL(authority).host] };
  if ('secret' in credential) auth.clientSecret = credential.secret;
  else auth.clientCertificate = { privateKey: credential.privateKey, ...('thumbprintSha256' in credential ? { thumbprintSha256: credential.thumbprintSha256 } : { thumbprint: credential.thumbprint }) };
  return new ConfidentialClientApplication({ auth, system: { networkClient: new AuthorityHttpClient({ ca, timeoutMs: 10_000 }) } });
}

export interface SdkClientOptions {
  /** https://127.0.0.1:PORT/v1.0 (graph.url) */
  readonly url: string;
  /** graph.authority */
  readonly authority: string;
  /** graph.ca */
  readonly ca: Buffer;
  readonly clientId: string;
  readonly credential: AppCredential;
}

/** A Graph SDK client with app-only tokens from msal, talking to the test server over HTTPS with its CA. */
export function sdkClient(options: SdkClientOptions): { client: Client; app: ConfidentialClientApplication } {
  const app = msalApp(options.authority, options.ca, options.clientId, options.credential);
  const authProvider = {
    async getAccessToken(): Promise<string> {
      const result = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      if (!result?.accessToken) throw new Error('no access token');
      return result.accessToken;
    },
  };
  const chain = MiddlewareFactory.getDefaultMiddlewareChain(authProvider);
  chain[chain.length - 1] = new HttpsCaHandler(options.ca);
  const url = new URL(options.url);
  const client = Client.initWithMiddleware({
    middleware: chain,
    baseUrl: url.origin,
    defaultVersion: url.pathname.replace(/^\//, ''),
    customHosts: new Set([url.hostname]),
  });
  return { client, app };
}
