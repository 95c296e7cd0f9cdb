/**
 * The POP3 connector against a real Dovecot, through the connector contract suite: the
 * messages are loaded over IMAP (independent of the connector) and read over POP3.
 * POP3 is a source only, so it runs the source part of the contract.
 */
import { Pop3Source, type Pop3AccountOptions } from '../../src/connectors/pop3/index.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages } from '../support/imap-account.js';
import { connectorContract, type ContractFixture } from './connector-contract.js';

connectorContract('pop3', async (): Promise<ContractFixture> => {
  const messages = buildCorpus({ seed: 77, count: 12, folders: ['INBOX'] });
  const dovecot: DovecotServer = await startDovecot({ users: ['src'] });
  await loadMessages({ port: dovecot.imapPort, user: 'src', password: dovecot.password }, messages);
  const account = (password = dovecot.password): Pop3AccountOptions => ({
    host: '127.0.0.1', port: dovecot.pop3Port, user: 'src', password, tls: 'off', timeoutMs: 10_000,
  });
  return {
    messages,
    folder: 'INBOX',
    source: () => new Pop3Source(account()),
    badCredentials: () => new Pop3Source(account('wrong-password')),
    close: () => dovecot.stop(),
  };
}, ['source']);
