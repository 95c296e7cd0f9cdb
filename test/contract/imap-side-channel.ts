/**
 * Changes an IMAP folder on a connection of its own, with imapflow directly (never through
 * our connector), the way another mail client would: for the mirror tests, whose
 * connectors must see what someone else did.
 */
import type { ImapFlow } from 'imapflow';
import { connectImap, type AccountRef } from '../support/imap-account.js';
import type { MutableFolder } from './mirror-contract.js';

export class ImapSideChannel implements MutableFolder {
  private constructor(
    private readonly client: ImapFlow,
    readonly folder: string,
  ) {}

  /** Logs in and creates `folder` unless it is INBOX or exists. */
  static async open(account: AccountRef, folder: string): Promise<ImapSideChannel> {
    const client = await connectImap(account);
    const channel = new ImapSideChannel(client, folder);
    if (folder.toUpperCase() !== 'INBOX') await channel.create();
    return channel;
  }

  async append(raw: Buffer, flags: readonly string[]): Promise<number> {
    const result = await this.client.append(this.folder, raw, [...flags]);
    if (!result || !result.uid) throw new Error(`APPEND to ${this.folder} gave no UID`);
    return result.uid;
  }

  async setFlags(uid: number, flags: readonly string[]): Promise<void> {
    await this.inFolder(() => this.client.messageFlagsSet(String(uid), [...flags], { uid: true }), 'STORE');
  }

  async expunge(uids: readonly number[]): Promise<void> {
    await this.inFolder(() => this.client.messageDelete(uids.join(','), { uid: true }), 'UID EXPUNGE');
  }

  /** Deletes the folder and creates it again: a new UIDVALIDITY. */
  async recreate(): Promise<void> {
    await this.client.mailboxDelete(this.folder);
    await this.create();
  }

  async close(): Promise<void> {
    await this.client.logout().catch(() => this.client.close());
  }

  private async create(): Promise<void> {
    await this.client.mailboxCreate(this.folder).catch((error: { serverResponseCode?: string }) => {
      if (error.serverResponseCode !== 'ALREADYEXISTS') throw error;
    });
  }

  private async inFolder(command: () => Promise<boolean>, name: string): Promise<void> {
    const lock = await this.client.getMailboxLock(this.folder);
    try {
      if (!(await command())) throw new Error(`${name} in ${this.folder} failed`);
    } finally {
      lock.release();
    }
  }
}
