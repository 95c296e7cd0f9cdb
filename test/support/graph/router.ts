/**
 * From a request's path to its handler, the mailbox it acts on and the application roles
 * it needs (each API's "Permissions" table, application column). Path segment names are
 * matched without regard to case (the docs themselves write both mailFolders and
 * mailfolders); `name('key')` is the same as `name/key` (the form Graph's own links use);
 * `microsoft.graph.delta` is `delta`. An unknown segment is Graph's 400 "Resource not found
 * for the segment"; /me is delegated-only, and an app-only token gets Graph's 400 for it.
 */
import { badRequest, directoryObjectNotFound, invalidUser, methodNotAllowed, segmentNotFound } from './errors.js';
import type { GraphRequest, Route, ServerState } from './context.js';
import type { UserRecord } from './directory.js';
import type { FolderRecord } from './mailbox.js';
import { messageDelta } from './handlers/delta.js';
import { directoryCount, getGroup, getUser, listGroups, listMembers, listUsers } from './handlers/directory.js';
import { countMessages, getFolder, getMessage, listFolders, listMessages, messageValue, resolveFolder, resolveMessage } from './handlers/mail.js';
import { checkTaskList, listContacts, listEvents, listTaskLists, listTasks, pimCount } from './handlers/pim.js';

const MAIL_BASIC = ['Mail.ReadBasic.All', 'Mail.Read', 'Mail.ReadWrite'];
const MAIL_FULL = ['Mail.Read', 'Mail.ReadWrite'];
const USERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const GROUPS = ['GroupMember.Read.All', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const CALENDARS = ['Calendars.ReadBasic', 'Calendars.Read', 'Calendars.ReadWrite'];
const CONTACTS = ['Contacts.Read', 'Contacts.ReadWrite'];
const TASKS = ['Tasks.Read.All', 'Tasks.ReadWrite.All'];

/** Splits the path after /v1.0 into decoded segments, `name('key')` into name and key. */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  for (const raw of path.split('/').filter((s) => s !== '')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw badRequest(`Invalid URL segment '${raw}'.`);
    }
    const keyed = /^([^(]+)\('(.*)'\)$/.exec(segment);
    if (keyed?.[1] !== undefined && keyed[2] !== undefined) out.push(keyed[1], keyed[2].replace(/''/g, "'"));
    else out.push(segment);
  }
  return out;
}

const is = (segment: string | undefined, name: string) => segment?.toLowerCase() === name.toLowerCase();

export function route(state: ServerState, request: GraphRequest): Route {
  const s = request.segments;
  if (request.method !== 'GET') throw methodNotAllowed();
  const head = s[0];
  if (head === undefined) throw segmentNotFound('');
  if (is(head, 'me')) throw badRequest('/me request is only valid with delegated authentication flow.');
  if (is(head, 'users')) return usersRoute(state, request);
  if (is(head, 'groups')) return groupsRoute(state, request);
  throw segmentNotFound(head);
}

function usersRoute(state: ServerState, request: GraphRequest): Route {
  const s = request.segments;
  const directory = (run: Route['run']): Route => ({ roles: USERS, denial: 'directory', run });
  if (s.length === 1) return directory(() => listUsers(state, request));
  if (s.length === 2 && s[1] === '$count') return directory(() => directoryCount(request, state.directory.users.length));
  const userSegment = s[1]!;
  const user = state.directory.user(userSegment);
  if (s.length === 2) {
    return directory(() => {
      if (!user) throw directoryObjectNotFound(userSegment);
      return getUser(state, request, user);
    });
  }
  const area = s[2]!;
  const mail = (roles: readonly string[], run: (user: UserRecord) => ReturnType<Route['run']>): Route => {
    if (!user) return { roles, denial: 'mail', run: () => { throw invalidUser(userSegment); } };
    return { user, roles, denial: 'mail', run: () => run(user) };
  };
  const rest = s.slice(3);
  if (is(area, 'mailFolders')) return mailFoldersRoute(state, request, userSegment, rest, mail);
  if (is(area, 'messages')) return messagesRoute(state, request, userSegment, rest, undefined, mail);
  if (is(area, 'events') && rest.length === 0) return mail(CALENDARS, (u) => listEvents(state, request, u, userSegment));
  if (is(area, 'events') && rest.length === 1 && rest[0] === '$count') return mail(CALENDARS, (u) => pimCount(u.mailbox.events));
  if (is(area, 'contacts') && rest.length === 0) return mail(CONTACTS, (u) => listContacts(state, request, u, userSegment));
  if (is(area, 'contacts') && rest.length === 1 && rest[0] === '$count') return mail(CONTACTS, (u) => pimCount(u.mailbox.contacts));
  if (is(area, 'todo') && is(rest[0], 'lists')) {
    if (rest.length === 1) return mail(TASKS, (u) => listTaskLists(state, request, u, userSegment));
    const listId = rest[1]!;
    if (rest.length === 3 && is(rest[2], 'tasks')) {
      return mail(TASKS, (u) => {
        checkTaskList(u, listId);
        return listTasks(state, request, u, userSegment, listId);
      });
    }
  }
  throw segmentNotFound(rest.find((r) => r !== '') ?? area);
}

type MailRoute = (roles: readonly string[], run: (user: UserRecord) => ReturnType<Route['run']>) => Route;

/** mailFolders[/{id}[/childFolders/{id}]*][/childFolders | /messages…] */
function mailFoldersRoute(state: ServerState, request: GraphRequest, userSegment: string, rest: readonly string[], mail: MailRoute): Route {
  if (rest.length === 0) return mail(MAIL_BASIC, (u) => listFolders(state, request, u, userSegment, u.mailbox.msgFolderRoot, '/mailFolders'));
  // Walk mailFolders/{id}(/childFolders/{id})* lazily: the user may not exist.
  const keys = [rest[0]!];
  let at = 1;
  while (is(rest[at], 'childFolders') && rest[at + 1] !== undefined) {
    keys.push(rest[at + 1]!);
    at += 2;
  }
  const tail = rest.slice(at);
  const folderOf = (u: UserRecord): FolderRecord => {
    let folder: FolderRecord | undefined;
    for (const key of keys) folder = resolveFolder(u, key);
    return folder!;
  };
  if (tail.length === 0) return mail(MAIL_BASIC, (u) => getFolder(state, request, u, userSegment, folderOf(u)));
  if (is(tail[0], 'childFolders') && tail.length === 1) {
    return mail(MAIL_BASIC, (u) => {
      const folder = folderOf(u);
      return listFolders(state, request, u, userSegment, folder, `/mailFolders('${folder.id}')/childFolders`);
    });
  }
  if (is(tail[0], 'messages')) return messagesRoute(state, request, userSegment, tail.slice(1), folderOf, mail);
  throw segmentNotFound(tail[0]!);
}

/** messages, messages/$count, messages/delta (in a folder), messages/{id}, messages/{id}/$value */
function messagesRoute(
  state: ServerState, request: GraphRequest, userSegment: string, rest: readonly string[], folderOf: ((u: UserRecord) => FolderRecord) | undefined, mail: MailRoute,
): Route {
  const folder = (u: UserRecord) => folderOf?.(u);
  if (rest.length === 0) return mail(MAIL_BASIC, (u) => listMessages(state, request, u, userSegment, folder(u)));
  const [key, next] = rest;
  if (rest.length === 1 && key === '$count') return mail(MAIL_BASIC, (u) => countMessages(u, folder(u)));
  if (rest.length === 1 && folderOf && (is(key, 'delta') || is(key, 'microsoft.graph.delta'))) {
    return mail(MAIL_BASIC, (u) => messageDelta(state, request, u, folderOf(u)));
  }
  if (rest.length === 1) return mail(MAIL_BASIC, (u) => getMessage(state, request, u, userSegment, resolveMessage(u, key!, folder(u))));
  if (rest.length === 2 && next === '$value') return mail(MAIL_FULL, (u) => messageValue(resolveMessage(u, key!, folder(u))));
  throw segmentNotFound(next ?? key ?? '');
}

function groupsRoute(state: ServerState, request: GraphRequest): Route {
  const s = request.segments;
  const directory = (run: Route['run']): Route => ({ roles: GROUPS, denial: 'directory', run });
  if (s.length === 1) return directory(() => listGroups(state, request));
  if (s.length === 2 && s[1] === '$count') return directory(() => directoryCount(request, state.directory.groups.length));
  const id = s[1]!;
  const group = () => {
    const found = state.directory.group(id);
    if (!found) throw directoryObjectNotFound(id);
    return found;
  };
  if (s.length === 2) return directory(() => getGroup(state, request, group()));
  if (is(s[2], 'members') || is(s[2], 'transitiveMembers')) {
    // members/microsoft.graph.user: the OData cast to users (every member here is one).
    // Groups here hold no groups, so transitiveMembers (group-list-transitivemembers.md) are the members.
    const rest = s.slice(3).filter((r) => !is(r, 'microsoft.graph.user'));
    if (rest.length === 0) return directory(() => listMembers(state, request, group()));
    if (rest.length === 1 && rest[0] === '$count') return directory(() => directoryCount(request, group().members.length));
  }
  throw segmentNotFound(s[2] ?? id);
}

