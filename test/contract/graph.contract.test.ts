/**
 * The Graph connector (a source only: Graph stores mail as drafts, see the README) against
 * the project's Graph test server, through the connector contract suite. The mailbox is
 * loaded through the server's test API, each message with the read state, flag, categories
 * and received time that stand for its IMAP flags and INTERNALDATE.
 */
import { GraphSource, type GraphAccountOptions } from '../../src/connectors/graph/index.js';
import { buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { connectorContract, type ContractFixture } from './connector-contract.js';

const TENANT = '0c6f3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const APP = '33333333-4444-5555-6666-777777777777';
const SECRET = 'graph-contract-secret';
const MAILBOX = 'source@contoso.com';

/**
 * The corpus as an Exchange mailbox holds it: no \Answered/$Forwarded (Graph has no
 * property for the last verb besides the extended one, which the test server does not
 * keep) and no \Draft (not a state of received mail); keywords become categories.
 */
function exchangeable(message: CorpusMessage): CorpusMessage {
  return { ...message, flags: message.flags.filter((f) => !['\\Draft', '\\Answered', '$Forwarded'].includes(f)) };
}

connectorContract('graph', async (): Promise<ContractFixture> => {
  const messages = buildCorpus({ seed: 78, count: 12, folders: ['INBOX'] }).map(exchangeable);
  const server: GraphTestServer = await startGraphServer({ tenant: TENANT, clients: { [APP]: { secret: SECRET } }, users: [{ mail: MAILBOX }], maxPageSize: 5 });
  const box = server.mailbox(MAILBOX);
  for (const message of messages) {
    const categories = message.flags.filter((f) => !f.startsWith('\\'));
    box.addMessage('Inbox', message.raw, {
      isRead: message.flags.includes('\\Seen'),
      flag: message.flags.includes('\\Flagged') ? 'flagged' : 'notFlagged',
      categories,
      receivedDateTime: message.internalDate,
    });
  }
  // An id of the right form that names no message any more.
  const gone = box.addMessage('Inbox', Buffer.from('Subject: gone\r\n\r\ngone\r\n'));
  box.deleteMessage(gone);

  const account = (secret = SECRET): GraphAccountOptions => ({
    endpoint: server.url, mailbox: MAILBOX, tenant: TENANT, clientId: APP, authority: new URL(server.authority).origin, clientSecret: secret, ca: server.ca,
  });
  return {
    messages,
    folder: 'INBOX',
    reports: { flags: ['\\Seen', '\\Flagged'], internalDate: true },
    unknownItemId: gone,
    source: () => new GraphSource(account()),
    badCredentials: () => new GraphSource(account('wrong-secret')),
    close: () => server.stop(),
  };
}, ['source']);
