/** Builds live connectors from a run's account specs, resolving secrets in this process. */
import type { Logger } from 'pino';
import { accountLabel, readCaFile, resolveSecret, type AccountSpec } from '../config/index.js';
import { ImapSource, ImapTarget, type ImapAccountOptions } from '../connectors/imap/index.js';
import type { SourceConnector, TargetConnector } from '../connectors/types.js';

function imapOptions(account: AccountSpec, role: string, log: Logger): ImapAccountOptions {
  const what = `${role} ${accountLabel(account)}`;
  const options: ImapAccountOptions = {
    host: account.host,
    port: account.port,
    user: account.user,
    tls: account.tls,
    password: resolveSecret(account.secret, what),
    // imapflow logs protocol chatter at debug level; it marks credentials sensitive itself.
    logger: log.child({ account: accountLabel(account), role }, { level: log.level === 'trace' ? 'debug' : 'warn' }),
    maxLiteralBytes: 512 * 1024 * 1024,
  };
  return account.caFile === undefined ? options : { ...options, ca: readCaFile(account.caFile, what) };
}

export interface ConnectorFactory {
  source(account: AccountSpec): SourceConnector;
  target(account: AccountSpec): TargetConnector;
}

export function defaultConnectorFactory(log: Logger): ConnectorFactory {
  return {
    source: (account) => new ImapSource(imapOptions(account, 'source', log)),
    target: (account) => new ImapTarget(imapOptions(account, 'target', log)),
  };
}
