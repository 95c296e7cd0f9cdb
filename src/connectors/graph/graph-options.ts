/** How to reach one mailbox through Microsoft Graph, as the connector factory builds it. */
import type { AccountGate } from '../types.js';
import type { OAuthLogger } from '../oauth/index.js';

export interface GraphAccountOptions {
  /** The API root, e.g. https://graph.microsoft.com/v1.0. */
  readonly endpoint: string;
  /** The mailbox: user principal name or SMTP address. */
  readonly mailbox: string;
  readonly tenant: string;
  readonly clientId: string;
  /** The token authority's origin, e.g. https://login.microsoftonline.com. */
  readonly authority: string;
  /** The app's client secret; or `clientCertificate`. */
  readonly clientSecret?: string;
  /** PEM with the app's certificate and private key. */
  readonly clientCertificate?: string;
  /** PEM of a CA trusted for the endpoint and the authority, besides the public CAs. */
  readonly ca?: Buffer;
  readonly logger?: OAuthLogger;
  /** The account's back-off gate, shared by every connection to the mailbox. */
  readonly gate?: AccountGate;
}

/** Graph hosts of Microsoft's clouds; their tokens are for the host itself (learn.microsoft.com/graph/deployments). */
const CLOUD_HOSTS = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

/**
 * The token scope for the endpoint: `https://HOST/.default` for a Microsoft cloud; any
 * other host (a proxy, a test server) speaks for the global Graph.
 */
export function graphScope(endpoint: string): string {
  const host = new URL(endpoint).hostname.toLowerCase();
  return CLOUD_HOSTS.has(host) ? `https://${host}/.default` : 'https://graph.microsoft.com/.default';
}

/** "alice@contoso.com via graph.microsoft.com", for messages. */
export function graphLabel(options: Pick<GraphAccountOptions, 'endpoint' | 'mailbox'>): string {
  return `${options.mailbox} via ${new URL(options.endpoint).host}`;
}
