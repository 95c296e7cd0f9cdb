/**
 * An account as the run stores it: where the server is and where its secret lives.
 * The secret itself is never part of it (it goes into Redis with the run); workers
 * resolve the reference in their own environment.
 */

/** Where a secret comes from: an environment variable's name or a file's path. */
export type SecretRef = { readonly env: string } | { readonly file: string };

export type TlsMode = 'implicit' | 'starttls' | 'off';

export interface ImapAccountSpec {
  readonly kind: 'imap';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly tls: TlsMode;
  /** PEM file of a CA to trust (self-hosted servers); system CAs otherwise. */
  readonly caFile?: string;
  readonly secret: SecretRef;
}

export type AccountSpec = ImapAccountSpec;

/** "user@host:port" — identifies the account in messages, logs and pair ids; no secret. */
export function accountLabel(account: AccountSpec): string {
  return `${account.user}@${account.host}:${account.port}`;
}
