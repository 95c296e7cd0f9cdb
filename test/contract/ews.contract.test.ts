/**
 * The EWS connector (source and target) against the project's EWS test server, through
 * the connector contract suite. The source mailbox is loaded through the server's test
 * API (not through the connector), each message with the read state, flag, last verb and
 * received time that stand for its IMAP flags and INTERNALDATE; a target folder is read
 * back the same way, from what the server stored.
 */
import { EwsSource, EwsTarget, type EwsAccountOptions } from '../../src/connectors/ews/index.js';
import type { TargetConnector } from '../../src/connectors/types.js';
import { buildCorpus, type CorpusMessage } from '../support/corpus.js';
import { startEwsServer, type EwsMessageView, type EwsTestServer } from '../support/ews/index.js';
import { connectorContract, type ContractFixture, type StoredMessage } from './connector-contract.js';

const SOURCE = 'source@example.com';
const PASSWORD = 'ews-contract-pw';
/** Fresh target mailboxes, one per target() call. */
const TARGETS = Array.from({ length: 4 }, (_, n) => `target${n + 1}@example.com`);
/** PidTagLastVerbExecuted (MS-OXOMSG): reply to sender, forward. */
const VERB = { answered: 102, forwarded: 104 } as const;
const LAST_VERB_KEY = 'tag:0x1081';
const MSGFLAG_UNSENT = 0x8;

/**
 * The corpus as an Exchange mailbox can hold it: Exchange keeps one last verb, so a
 * message both answered and forwarded is only answered; \Draft is not a state of a
 * received item. Keywords stay (they become categories, which the suite does not compare).
 */
function exchangeable(message: CorpusMessage): CorpusMessage {
  const flags = message.flags.filter((f) => f !== '\\Draft' && !(f === '$Forwarded' && message.flags.includes('\\Answered')));
  return { ...message, flags };
}

/** The IMAP view of a stored item: read state, flag, last verb, draft bit, and categories as keywords of the same name. */
function imapFlags(view: EwsMessageView): string[] {
  const flags: string[] = [];
  if (view.isRead) flags.push('\\Seen');
  if (view.flag === 'Flagged') flags.push('\\Flagged');
  const verb = Number(view.extended.get(LAST_VERB_KEY));
  if (verb === VERB.answered || verb === 103) flags.push('\\Answered');
  if (verb === VERB.forwarded) flags.push('$Forwarded');
  if (view.messageFlags !== undefined && (view.messageFlags & MSGFLAG_UNSENT) !== 0) flags.push('\\Draft');
  return [...flags, ...view.categories];
}

/** The connector's path as the server's: the connector calls the Inbox "INBOX". */
const serverPath = (path: string) => path.replace(/^inbox(?=\/|$)/i, 'Inbox');

connectorContract('ews', async (): Promise<ContractFixture> => {
  const messages = buildCorpus({ seed: 77, count: 12, folders: ['INBOX'] }).map(exchangeable);
  const users = Object.fromEntries([SOURCE, ...TARGETS].map((user) => [user, PASSWORD]));
  // A small page cap, so enumerating the folder takes several SyncFolderItems answers.
  const server: EwsTestServer = await startEwsServer({ users, auth: 'basic', maxSyncChanges: 5 });
  const source = server.mailbox(SOURCE);
  for (const message of messages) {
    const keywords = message.flags.filter((f) => !f.startsWith('\\') && f !== '$Forwarded');
    source.addMessage('Inbox', message.raw, {
      isRead: message.flags.includes('\\Seen'),
      flag: message.flags.includes('\\Flagged') ? 'Flagged' : 'NotFlagged',
      ...(message.flags.includes('\\Answered') ? { lastVerbExecuted: VERB.answered }
        : message.flags.includes('$Forwarded') ? { lastVerbExecuted: VERB.forwarded } : {}),
      ...(keywords.length > 0 ? { categories: keywords } : {}),
      received: message.internalDate,
    });
  }
  // An id of the right form that names no item any more.
  const gone = source.addMessage('Inbox', Buffer.from('Subject: gone\r\n\r\ngone\r\n'));
  source.deleteItem(gone);

  const account = (user: string, password = PASSWORD): EwsAccountOptions => ({ url: server.url, user, password, auth: 'basic' });
  const mailboxOf = new Map<TargetConnector, string>();
  let targets = 0;
  return {
    messages,
    folder: 'INBOX',
    reports: { flags: ['\\Seen', '\\Flagged', '\\Answered', '$Forwarded'], internalDate: true },
    unknownItemId: gone,
    source: () => new EwsSource(account(SOURCE)),
    async target() {
      const user = TARGETS[targets];
      targets += 1;
      if (user === undefined) throw new Error(`ews contract: more than ${TARGETS.length} target mailboxes asked for`);
      const target = new EwsTarget(account(user));
      mailboxOf.set(target, user);
      return target;
    },
    async readBack(target, path): Promise<StoredMessage[]> {
      const user = mailboxOf.get(target);
      if (user === undefined) throw new Error('ews contract: readBack of a target this fixture did not make');
      return server.mailbox(user).messages(serverPath(path)).map((view) => {
        if (!view.received) throw new Error(`ews contract: item ${view.id} in "${path}" has no received time`);
        return { raw: view.mime, flags: imapFlags(view), internalDate: view.received };
      });
    },
    badCredentials: () => new EwsSource(account(SOURCE, 'wrong-password')),
    close: () => server.stop(),
  };
});
