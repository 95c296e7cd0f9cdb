/**
 * An account as the run stores it: where the server is and where its secret lives.
 * The secret itself is never part of it (it goes into Redis with the run); workers
 * resolve the reference in their own environment.
 */

/** Where a secret comes from: an environment variable's name or a file's path. */
export type SecretRef = { readonly env: string } | { readonly file: string };

export type TlsMode = 'implicit' | 'starttls' | 'off';

interface AccountBase {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly tls: TlsMode;
  /** PEM file of a CA to trust (self-hosted servers); system CAs otherwise. */
  readonly caFile?: string;
  readonly secret: SecretRef;
}

export interface ImapAccountSpec extends AccountBase {
  readonly kind: 'imap';
}

/** auto: APOP on a plaintext connection when the server offers it, USER/PASS otherwise. */
export type Pop3Auth = 'auto' | 'user' | 'apop';

/** A POP3 mailbox: a source only (POP3 cannot store mail). */
export interface Pop3AccountSpec extends AccountBase {
  readonly kind: 'pop3';
  readonly auth: Pop3Auth;
}

export type AccountSpec = ImapAccountSpec | Pop3AccountSpec;

/** "user@host:port" — identifies the account in messages, logs and pair ids; no secret. */
export function accountLabel(account: AccountSpec): string {
  return `${account.user}@${account.host}:${account.port}`;
}

/** The account's identity in pair ids: its label, and its protocol unless IMAP (kept as it was). */
export function accountIdentity(account: AccountSpec): string {
  return account.kind === 'imap' ? accountLabel(account) : `${account.kind}:${accountLabel(account)}`;
}
