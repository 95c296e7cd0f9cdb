/**
 * Changes a folder of a Maildir through a MaildirTarget of its own (never the
 * MaildirSource under test), the way a delivery agent or another client shares the
 * directory: for the mirror tests, whose source must see what someone else did.
 *
 * No `recreate`: a new dovecot-uidlist takes its UIDVALIDITY from the clock in seconds
 * (as Dovecot's does), so a folder made again within the same second could keep it.
 */
import { MaildirTarget } from '../../src/connectors/maildir/index.js';
import type { MutableFolder } from './mirror-contract.js';

export class MaildirSideChannel implements MutableFolder {
  private constructor(
    private readonly target: MaildirTarget,
    readonly folder: string,
  ) {}

  /** Creates the Maildir at `root` and `folder` in it unless they exist. */
  static async open(root: string, folder: string): Promise<MaildirSideChannel> {
    const target = new MaildirTarget({ root });
    await target.connect();
    await target.ensureFolder(folder);
    return new MaildirSideChannel(target, folder);
  }

  async append(raw: Buffer, flags: readonly string[]): Promise<number> {
    const { uid } = await this.target.append(this.folder, { raw, flags, internalDate: new Date() });
    if (uid === undefined) throw new Error(`append to ${this.folder} gave no UID`);
    return uid;
  }

  async setFlags(uid: number, flags: readonly string[]): Promise<void> {
    await this.target.setFlags(this.folder, [{ uid, flags }]);
  }

  async expunge(uids: readonly number[]): Promise<void> {
    await this.target.deleteMessages(this.folder, uids);
  }

  close(): Promise<void> {
    return this.target.close();
  }
}
