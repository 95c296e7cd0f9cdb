/**
 * When imapflow's internals that MULTIAPPEND is built on are gone (here: lib/tools.js
 * without formatFlag), the IMAP target says so once and appends one message per command:
 * slower, never wrong. The contract test imapflow-internals.test.ts makes the loss loud.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ImapTarget } from '../../src/connectors/imap/index.js';
import { buildCorpus } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { snapshotAccount, expectedSnapshot } from '../support/imap-account.js';

vi.mock('imapflow/lib/tools.js', async (importOriginal) => ({ ...(await importOriginal<Record<string, unknown>>()), formatFlag: undefined }));

let dovecot: DovecotServer;

beforeAll(async () => {
  dovecot = await startDovecot({ users: ['dst'] });
});

afterAll(async () => {
  await dovecot?.stop();
});

describe('MULTIAPPEND without the imapflow internals it needs', () => {
  it('is not offered; the target warns once and stores every message with one APPEND each', async () => {
    const warnings: string[] = [];
    const quiet = () => undefined;
    const logger = { debug: quiet, info: quiet, error: quiet, warn: (_obj: unknown, msg?: string) => { if (msg) warnings.push(msg); } };
    const target = new ImapTarget({ host: '127.0.0.1', port: dovecot.imapPort, user: 'dst', password: dovecot.password, tls: 'off', logger });
    await target.connect();
    try {
      expect(target.features.appendAtomic).toBeUndefined();
      expect(warnings).toEqual([expect.stringMatching(/^MULTIAPPEND off: this imapflow lacks what it is built on/)]);
      const messages = buildCorpus({ seed: 91, count: 5, folders: ['INBOX'] });
      for (const m of messages) await target.append('INBOX', { raw: m.raw, flags: m.flags, internalDate: m.internalDate });
      expect(await snapshotAccount({ port: dovecot.imapPort, user: 'dst', password: dovecot.password })).toEqual(expectedSnapshot(messages));
    } finally {
      await target.close();
    }
  });
});
