/** The GraphHttp of an account: its app's token provider (shared in this process), its CA, its gate. */
import { sharedTokenProvider, type BearerTokenSource } from '../oauth/index.js';
import { GraphHttp } from './graph-http.js';
import { graphLabel, graphScope, type GraphAccountOptions } from './graph-options.js';

export function graphHttpFor(options: GraphAccountOptions, tokens?: BearerTokenSource): GraphHttp {
  return new GraphHttp({
    endpoint: options.endpoint,
    label: graphLabel(options),
    tokens: tokens ?? sharedTokenProvider({
      tenant: options.tenant, clientId: options.clientId, authority: options.authority, scope: graphScope(options.endpoint),
      ...(options.clientCertificate ? { clientCertificate: options.clientCertificate } : { clientSecret: options.clientSecret ?? '' }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.gate === undefined ? {} : { gate: options.gate }),
  });
}
