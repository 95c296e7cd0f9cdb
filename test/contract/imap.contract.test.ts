/** The IMAP connector against a real Dovecot, through the connector contract suite. */
import { ImapSource, ImapTarget } from '../../src/connectors/imap/index.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loadMessages } from '../support/imap-account.js';
import { connectorContract, type ContractFixture } from './connector-contract.js';
import { ImapSideChannel } from './imap-side-channel.js';

let dovecots = 0;

connectorContract('imap', async (): Promise<ContractFixture> => {
  const messages = buildCorpus({ seed: 77, count: 12, folders: ['INBOX'] });
  const dovecot: DovecotServer = await startDovecot({ users: ['src'] });
  await loadMessages({ port: dovecot.imapPort, user: 'src', password: dovecot.password }, messages);
  const account = (user: string, password = dovecot.password) => ({
    host: '127.0.0.1', port: dovecot.imapPort, user, password, tls: 'off' as const,
  });
  return {
    messages,
    folder: 'INBOX',
    source: () => new ImapSource(account('src')),
    async target() {
      dovecots += 1;
      const user = `target${dovecots}`;
      await dovecot.addUser(user);
      return new ImapTarget(account(user));
    },
    // Dovecot has UIDPLUS: APPENDUID names each new message's UID.
    reportsAppendUid: true,
    badCredentials: () => new ImapSource(account('src', 'wrong-password')),
    async mutableSource() {
      dovecots += 1;
      const user = `mirror${dovecots}`;
      await dovecot.addUser(user);
      const changes = await ImapSideChannel.open({ port: dovecot.imapPort, user, password: dovecot.password }, 'Mirrored');
      return { source: new ImapSource(account(user)), changes };
    },
    close: () => dovecot.stop(),
  };
});
