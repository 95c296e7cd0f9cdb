/**
 * The IMAP connector against Cyrus, Courier and GNU Mailutils (Debian defaults), through
 * the connector contract suite, as against Dovecot in imap.contract.test.ts. Cyrus and
 * Courier name personal folders "INBOX.<name>" with "." (namespaced-target.ts translates
 * the suite's names).
 *
 * Mailutils runs the source suite only: as a target it cannot keep the suite's promises by
 * design, and mailutils-migrate.test.ts holds what it does instead (it adds X-UID and
 * Status headers to what it stores, knows no keywords, and its folders holding mail
 * cannot have subfolders). Its source messages arrive as an MTA delivers them (read-only
 * sessions never rewrite the mbox), so they carry no flags and the date of delivery.
 */
import { ImapSource, ImapTarget } from '../../src/connectors/imap/index.js';
import { buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { loadMessages } from '../support/imap-account.js';
import type { MailServer } from '../support/servers/mail-server.js';
import { startCourier } from '../support/servers/courier.js';
import { startCyrus } from '../support/servers/cyrus.js';
import { startMailutils } from '../support/servers/mailutils.js';
import { connectorContract, type ContractFixture } from './connector-contract.js';
import { ImapSideChannel } from './imap-side-channel.js';
import { namespacedTarget } from './namespaced-target.js';

const account = (server: MailServer, user: string, password = server.password) => ({
  host: '127.0.0.1', port: server.imapPort, user, password, tls: 'off' as const,
});

/** A Cyrus or Courier fixture: messages in INBOX, one new user per target and mutable source. */
function prefixedServer(start: (users: string[]) => Promise<MailServer>, seed: number, quirks: Partial<ContractFixture> = {}): () => Promise<ContractFixture> {
  return async () => {
    const messages = buildCorpus({ seed, count: 12, folders: ['INBOX'] });
    const server = await start(['src']);
    await loadMessages({ port: server.imapPort, user: 'src', password: server.password }, messages);
    let users = 0;
    const names = { prefix: server.personalPrefix, separator: server.separator };
    return {
      messages,
      folder: 'INBOX',
      source: () => new ImapSource(account(server, 'src')),
      async target() {
        users += 1;
        await server.addUser(`target${users}`);
        return namespacedTarget(new ImapTarget(account(server, `target${users}`)), names);
      },
      reportsAppendUid: true,
      badCredentials: () => new ImapSource(account(server, 'src', 'wrong-password')),
      async mutableSource() {
        users += 1;
        await server.addUser(`mirror${users}`);
        const changes = await ImapSideChannel.open({ port: server.imapPort, user: `mirror${users}`, password: server.password }, `${names.prefix}Mirrored`);
        return { source: new ImapSource(account(server, `mirror${users}`)), changes };
      },
      close: () => server.stop(),
      ...quirks,
    };
  };
}

connectorContract('imap on Cyrus', prefixedServer((users) => startCyrus({ users }), 31));
// Courier's RENAME gives the folder a new UIDVALIDITY.
connectorContract('imap on Courier', prefixedServer((users) => startCourier({ users }), 32, { renameKeepsUidValidity: false }));

connectorContract('imap on Mailutils', async (): Promise<ContractFixture> => {
  const delivered = buildCorpus({ seed: 33, count: 12, folders: ['INBOX'] });
  const server = await startMailutils({ users: ['src'] });
  await server.deliver('src', delivered.map((m) => m.raw));
  const messages: CorpusMessage[] = delivered.map((m) => ({ ...m, flags: [] }));
  return {
    messages,
    folder: 'INBOX',
    reports: { flags: [], internalDate: false },
    source: () => new ImapSource(account(server, 'src')),
    badCredentials: () => new ImapSource(account(server, 'src', 'wrong-password')),
    close: () => server.stop(),
  };
}, ['source']);
