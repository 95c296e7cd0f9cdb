/**
 * A tenant's mail users, as `mailferry discover` lists them (application permission
 * User.Read.All; GroupMember.Read.All for --group): users with a mail address, optionally
 * only those of some domains, of one group, or with an enabled account (shared mailboxes
 * are users with a disabled account, so they are listed unless --enabled-only).
 *
 * The domain filter is Graph's advanced query `endswith(mail,'@domain')`, which needs
 * `ConsistencyLevel: eventual` and `$count=true` (concepts/aad-advanced-queries.md).
 */
import { graphHttpFor } from './graph-account.js';
import type { GraphHttp } from './graph-http.js';
import type { GraphAccountOptions } from './graph-options.js';

/** The group named for --group does not exist, or the name is not unique: bad input, not a failure of the tenant. */
export class GroupNotFoundError extends Error {
  override readonly name = 'GroupNotFoundError';
}

export interface MailUser {
  readonly mail: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly accountEnabled: boolean;
}

export interface DirectoryFilter {
  /** Only addresses in these domains (compared without case). */
  readonly domains?: readonly string[];
  /** Only members of the group with this display name (or id). */
  readonly group?: string;
  readonly enabledOnly?: boolean;
}

interface GraphUser {
  readonly id?: string;
  readonly mail?: string | null;
  readonly userPrincipalName?: string;
  readonly displayName?: string | null;
  readonly accountEnabled?: boolean;
  readonly '@odata.type'?: string;
}

interface Page<T> {
  readonly value?: T[];
  readonly '@odata.nextLink'?: string;
}

const USER_FIELDS = '$select=id,mail,userPrincipalName,displayName,accountEnabled&$top=999';
const ADVANCED = { ConsistencyLevel: 'eventual' };

export class GraphDirectory {
  private readonly http: GraphHttp;

  constructor(options: GraphAccountOptions) {
    this.http = graphHttpFor(options);
  }

  /** The users that pass `filter`, sorted by address; each address once. */
  async mailUsers(filter: DirectoryFilter = {}): Promise<MailUser[]> {
    const domains = (filter.domains ?? []).map((d) => d.toLowerCase().replace(/^@/, ''));
    const users = filter.group !== undefined
      ? await this.allPages<GraphUser>(`/groups/${encodeURIComponent(await this.groupId(filter.group))}/transitiveMembers/microsoft.graph.user?${USER_FIELDS}`, 'list the group\'s members')
      : await this.allPages<GraphUser>(`/users?${USER_FIELDS}${domainFilter(domains)}`, 'list users', domains.length > 0 ? ADVANCED : {});
    const byMail = new Map<string, MailUser>();
    for (const user of users) {
      const mail = user.mail?.trim();
      if (!mail || (filter.enabledOnly && user.accountEnabled === false)) continue;
      if (domains.length > 0 && !domains.includes(mail.slice(mail.lastIndexOf('@') + 1).toLowerCase())) continue;
      byMail.set(mail.toLowerCase(), { mail, userPrincipalName: user.userPrincipalName ?? mail, displayName: user.displayName ?? '', accountEnabled: user.accountEnabled !== false });
    }
    return [...byMail.values()].sort((a, b) => (a.mail.toLowerCase() < b.mail.toLowerCase() ? -1 : 1));
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** A group's id from its display name (or the id itself); exactly one group must match. */
  private async groupId(group: string): Promise<string> {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(group)) return group;
    const found = await this.http.getJson<Page<{ id: string }>>(`/groups?$select=id,displayName&$filter=displayName eq '${group.replace(/'/g, "''")}'`, `find group "${group}"`);
    const ids = (found.value ?? []).map((g) => g.id);
    if (ids.length !== 1) throw new GroupNotFoundError(`--group "${group}": ${ids.length === 0 ? 'no group has that display name' : `${ids.length} groups have that display name; give the group's id instead`}`);
    return ids[0]!;
  }

  private async allPages<T>(first: string, what: string, headers: Record<string, string> = {}): Promise<T[]> {
    const out: T[] = [];
    for (let next: string | undefined = first; next !== undefined; ) {
      const page: Page<T> = await this.http.getJson<Page<T>>(next, what, headers);
      out.push(...(page.value ?? []));
      next = page['@odata.nextLink'];
    }
    return out;
  }
}

/** `&$filter=endswith(mail,'@a.com') or ...&$count=true` for the domains; nothing without any. */
function domainFilter(domains: readonly string[]): string {
  if (domains.length === 0) return '';
  const clauses = domains.map((d) => `endswith(mail,'@${d.replace(/'/g, "''")}')`).join(' or ');
  return `&$filter=${encodeURIComponent(clauses)}&$count=true`;
}
