/**
 * Users, their passwords and mailboxes, and who may impersonate whom: the part of Active
 * Directory / RBAC (ApplicationImpersonation) the server needs.
 */
import { MailboxModel } from './mailbox.js';

export class Directory {
  private readonly users = new Map<string, { address: string; password: string; mailbox: MailboxModel }>();
  private readonly byGuid = new Map<string, MailboxModel>();

  constructor(
    users: Record<string, string>,
    private readonly impersonation: Record<string, readonly string[]> = {},
  ) {
    for (const [address, password] of Object.entries(users)) {
      const mailbox = new MailboxModel(address);
      this.users.set(address.toLowerCase(), { address, password, mailbox });
      this.byGuid.set(mailbox.guidHex, mailbox);
    }
  }

  /** SMTP addresses compare case-insensitively. */
  user(address: string): { address: string; password: string; mailbox: MailboxModel } | undefined {
    return this.users.get(address.toLowerCase());
  }

  /** NTLM sends "alice@example.com" (UPN) or DOMAIN\alice; the latter matches a unique local part. */
  userForLogon(name: string): { address: string; password: string } | undefined {
    const direct = this.user(name);
    if (direct) return direct;
    const local = name.toLowerCase();
    const matches = [...this.users.values()].filter((u) => u.address.toLowerCase().split('@')[0] === local);
    return matches.length === 1 ? matches[0] : undefined;
  }

  mailbox(address: string): MailboxModel | undefined {
    return this.user(address)?.mailbox;
  }

  mailboxByGuid(guidHex: string): MailboxModel | undefined {
    return this.byGuid.get(guidHex);
  }

  mayImpersonate(serviceAccount: string, target: string): boolean {
    const key = Object.keys(this.impersonation).find((k) => k.toLowerCase() === serviceAccount.toLowerCase());
    const allowed = key === undefined ? [] : this.impersonation[key] ?? [];
    return allowed.some((a) => a === '*' || a.toLowerCase() === target.toLowerCase());
  }
}
