/**
 * What every private test mail server (Dovecot, Cyrus, Courier, Mailutils) offers a test,
 * so one test can run against each of them.
 *
 * Each harness starts its server from the Debian packages unpacked by
 * `scripts/test-servers/install.sh` (they conflict with dovecot-imapd, so they are never
 * installed system-wide), on free 127.0.0.1 ports, with its own config, data and log
 * directories, and Debian's default settings unless a test asks otherwise.
 */
export type ServerProduct = 'dovecot' | 'cyrus' | 'courier' | 'mailutils';

export interface MailServer {
  readonly product: ServerProduct;
  readonly host: '127.0.0.1';
  /** Plain IMAP; login with `password` works without TLS. */
  readonly imapPort: number;
  /** Plain POP3 (USER/PASS works without TLS); undefined when the product has no POP3 here. */
  readonly pop3Port: number | undefined;
  /** The same password for every user. */
  readonly password: string;
  /** Private directory holding config, mail store and logs; removed by stop(). */
  readonly dir: string;
  /** Hierarchy separator of personal folders, e.g. '/' (Dovecot here) or '.' (Cyrus, Courier). */
  readonly separator: string;
  /** Personal namespace prefix, e.g. '' (Dovecot here) or 'INBOX.' (Cyrus, Courier). */
  readonly personalPrefix: string;
  /** Create a user that can log in (IMAP and POP3) with `password` once this resolves. */
  addUser(name: string): Promise<void>;
  /** The last lines of the server's logs, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** Stop every process of this instance (by PID) and remove `dir`. */
  stop(): Promise<void>;
}

/** Thrown when a product's unpacked packages are missing, naming the command that installs them. */
export class ServerNotInstalledError extends Error {
  constructor(product: ServerProduct, root: string) {
    super(`${product} is not unpacked under ${root}: run \`scripts/test-servers/install.sh\` (as root; .ci/run does this)`);
    this.name = 'ServerNotInstalledError';
  }
}

/** Where install.sh unpacks each product: `<root>/<product>/` (override with MAILFERRY_TEST_SERVERS). */
export function serversRoot(): string {
  return process.env['MAILFERRY_TEST_SERVERS'] ?? '/opt/mailferry-test-servers';
}
