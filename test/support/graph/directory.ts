/**
 * The tenant's directory: users (each with a mailbox) and the groups named in their
 * `groups` option. Users are found by id (a GUID) or by userPrincipalName, without regard
 * to case, as in Graph's /users/{id | userPrincipalName}; the UPN is the mail address.
 */
import { directoryId } from './ids.js';
import { MailboxModel } from './mailbox.js';

export interface GraphUserOptions {
  mail: string;
  displayName?: string;
  /** Default true. A disabled account keeps its mailbox (app-only access still works, as in Exchange Online). */
  accountEnabled?: boolean;
  /** Display names of the security groups the user is a direct member of. */
  groups?: readonly string[];
}

export interface UserRecord {
  readonly id: string;
  readonly mail: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly accountEnabled: boolean;
  readonly mailbox: MailboxModel;
}

export interface GroupRecord {
  readonly id: string;
  readonly displayName: string;
  readonly members: UserRecord[];
}

export class Directory {
  readonly users: UserRecord[] = [];
  readonly groups: GroupRecord[] = [];

  constructor(readonly tenant: string, users: readonly GraphUserOptions[]) {
    for (const options of users) {
      if (this.user(options.mail)) throw new Error(`Graph test server: user ${options.mail} given twice`);
      const user: UserRecord = {
        id: directoryId(`${tenant}/user`, options.mail),
        mail: options.mail,
        userPrincipalName: options.mail,
        displayName: options.displayName ?? options.mail.split('@')[0] ?? options.mail,
        accountEnabled: options.accountEnabled ?? true,
        mailbox: new MailboxModel(options.mail),
      };
      this.users.push(user);
      for (const name of options.groups ?? []) this.groupNamed(name).members.push(user);
    }
  }

  private groupNamed(name: string): GroupRecord {
    let group = this.groups.find((g) => g.displayName.toLowerCase() === name.toLowerCase());
    if (!group) {
      group = { id: directoryId(`${this.tenant}/group`, name), displayName: name, members: [] };
      this.groups.push(group);
    }
    return group;
  }

  /** By object id or userPrincipalName (the forms /users/{id | userPrincipalName} takes). */
  user(key: string): UserRecord | undefined {
    const wanted = key.toLowerCase();
    return this.users.find((u) => u.id === wanted || u.userPrincipalName.toLowerCase() === wanted);
  }

  group(id: string): GroupRecord | undefined {
    return this.groups.find((g) => g.id === id.toLowerCase());
  }
}
