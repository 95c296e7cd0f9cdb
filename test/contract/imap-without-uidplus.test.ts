/**
 * An IMAP mirror target without UIDPLUS: a Dovecot whose post-login CAPABILITY leaves
 * UIDPLUS out. Without UID EXPUNGE a deletion could only be a plain EXPUNGE, which also
 * removes every other message marked \Deleted, so deleteMessages refuses and removes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import { ImapTarget } from '../../src/connectors/imap/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { connectImap } from '../support/imap-account.js';

/** Dovecot 2.3's post-login capabilities, less UIDPLUS. */
const WITHOUT_UIDPLUS = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE LIST-EXTENDED CONDSTORE ESEARCH LIST-STATUS MOVE STATUS=SIZE LITERAL+';
const FOLDER = 'Kept';

let dovecot: DovecotServer;
let target: ImapTarget;

beforeAll(async () => {
  dovecot = await startDovecot({ users: ['plain'], extraConfig: `protocol imap {\n  imap_capability = ${WITHOUT_UIDPLUS}\n}` });
  target = new ImapTarget({ host: '127.0.0.1', port: dovecot.imapPort, user: 'plain', password: dovecot.password, tls: 'off' });
  await target.connect();
});

afterAll(async () => {
  await target?.close();
  await dovecot?.stop();
});

describe('ImapTarget without UIDPLUS', () => {
  it('deleteMessages refuses with UNSUPPORTED and removes nothing', async () => {
    await target.ensureFolder(FOLDER);
    const date = new Date('2024-05-01T08:00:00Z');
    await target.append(FOLDER, { raw: Buffer.from('Subject: one\r\n\r\n1\r\n'), flags: ['\\Deleted'], internalDate: date });
    await target.append(FOLDER, { raw: Buffer.from('Subject: two\r\n\r\n2\r\n'), flags: [], internalDate: date });
    const uids = (await target.listWindow(FOLDER, 1)).map((m) => m.uid);
    expect(uids).toHaveLength(2);

    const error = await target.deleteMessages(FOLDER, [uids[1] as number]).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED', retry: 'never' });
    expect((error as Error).message).toMatch(/UIDPLUS/);

    // Seen from another connection: both messages are still there, the \Deleted one too.
    const client = await connectImap({ port: dovecot.imapPort, user: 'plain', password: dovecot.password });
    try {
      const status = await client.status(FOLDER, { messages: true });
      expect(status && status.messages).toBe(2);
    } finally {
      await client.logout();
    }
  });
});
