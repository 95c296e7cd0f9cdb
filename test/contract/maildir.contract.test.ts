/**
 * The Maildir connector through the connector contract suite. The source Maildir is
 * written by our own MaildirTarget (the messages with their flags, keywords and
 * INTERNALDATE), then read back by a MaildirSource; every target is a fresh directory.
 * The mirror source tests follow another Maildir that a MaildirSideChannel changes.
 *
 * A Maildir has no credentials: a permission refusal on the root is its "bad
 * credentials" (AUTH_FAILED). Root ignores file modes, so when the tests run as root the
 * refusal is simulated at the file system call (EACCES from readdir), which still runs
 * the connector's own error mapping.
 */
import fs from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import { MaildirSource, MaildirTarget } from '../../src/connectors/maildir/index.js';
import { buildCorpus } from '../support/corpus.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { connectorContract, type ContractFixture } from './connector-contract.js';
import { MaildirSideChannel } from './maildir-side-channel.js';

/** A source whose root the file system refuses to open (simulated for root). */
class DeniedMaildirSource extends MaildirSource {
  override async connect(): Promise<void> {
    if (process.getuid?.() !== 0) return super.connect();
    const denied = Object.assign(new Error('EACCES: permission denied, scandir'), { code: 'EACCES' });
    const spy = vi.spyOn(fs.promises, 'readdir').mockRejectedValue(denied);
    try {
      await super.connect();
    } finally {
      spy.mockRestore();
    }
  }
}

connectorContract('maildir', async (): Promise<ContractFixture> => {
  const messages = buildCorpus({ seed: 77, count: 12, folders: ['INBOX'] });
  const dirs: string[] = [];
  const dir = await makeTempDir('maildir');
  dirs.push(dir);
  const root = path.join(dir, 'Maildir');
  const loader = new MaildirTarget({ root });
  await loader.connect();
  for (const message of messages) await loader.append('INBOX', { raw: message.raw, flags: message.flags, internalDate: message.internalDate });
  await loader.close();
  const denied = path.join(dir, 'denied');
  await fs.promises.mkdir(path.join(denied, 'Maildir', 'cur'), { recursive: true });
  await fs.promises.chmod(denied, 0o000);
  return {
    messages,
    folder: 'INBOX',
    source: () => new MaildirSource({ root }),
    async target() {
      const targetDir = await makeTempDir('maildir-target');
      dirs.push(targetDir);
      return new MaildirTarget({ root: path.join(targetDir, 'Maildir') });
    },
    // MaildirTarget gives each new file its UID (dovecot-uidlist) and returns it.
    reportsAppendUid: true,
    badCredentials: () => new DeniedMaildirSource({ root: path.join(denied, 'Maildir') }),
    async mutableSource() {
      const mirrorDir = await makeTempDir('maildir-mirror');
      dirs.push(mirrorDir);
      const mirrorRoot = path.join(mirrorDir, 'Maildir');
      const changes = await MaildirSideChannel.open(mirrorRoot, 'Mirrored');
      return { source: new MaildirSource({ root: mirrorRoot }), changes };
    },
    async close() {
      await fs.promises.chmod(denied, 0o700).catch(() => undefined);
      for (const d of dirs) await removeTempDir(d);
    },
  };
});
