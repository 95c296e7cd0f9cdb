/**
 * Users and groups: user-list.md, user-get.md, group-list.md, group-list-members.md, with
 * the rules of concepts/aad-advanced-queries.md: $count, endswith, ne, not and "eq null"
 * are advanced queries and need `ConsistencyLevel: eventual` and `$count=true`, else 400
 * Request_UnsupportedQuery (Request_BadRequest for $count alone). Pages of 100 by default,
 * $top up to 999, paged with an opaque $skiptoken.
 */
import { json, type GraphAnswer, type GraphRequest, type ServerState } from '../context.js';
import type { GroupRecord, UserRecord } from '../directory.js';
import { GraphError, unknownProperty } from '../errors.js';
import { advancedOperator, filterProperties, matchesFilter, parseFilter, type FilterValue } from '../odata.js';
import { tokenPage } from '../paging.js';
import { groupJson, userJson } from '../writers.js';

const DIRECTORY_PAGE = { defaultSize: 100, maxSize: 999 };

const USER_FILTERABLE: Record<string, (u: UserRecord) => FilterValue> = {
  id: (u) => u.id,
  mail: (u) => u.mail,
  userPrincipalName: (u) => u.userPrincipalName,
  displayName: (u) => u.displayName,
  accountEnabled: (u) => u.accountEnabled,
  mailNickname: (u) => u.mail.split('@')[0] ?? null,
  userType: () => 'Member',
};

const GROUP_FILTERABLE: Record<string, (g: GroupRecord) => FilterValue> = {
  id: (g) => g.id,
  displayName: (g) => g.displayName,
  mailNickname: (g) => g.displayName.replace(/[^A-Za-z0-9]/g, ''),
  mail: () => null,
  securityEnabled: () => true,
  mailEnabled: () => false,
};

function advanced(request: GraphRequest): boolean {
  return request.header('consistencylevel')?.toLowerCase() === 'eventual' && request.query.count;
}

function filtered<T>(request: GraphRequest, all: readonly T[], properties: Record<string, (item: T) => FilterValue>, type: string): T[] {
  if (request.query.count && !advanced(request)) throw new GraphError(400, 'Request_BadRequest', '$count is not currently supported.');
  const text = request.query.filter;
  if (text === undefined) return [...all];
  const tree = parseFilter(text);
  const operator = advancedOperator(tree);
  if (operator !== undefined && !advanced(request)) {
    throw new GraphError(400, 'Request_UnsupportedQuery',
      `Operator '${operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`);
  }
  const names = Object.keys(properties);
  const canonical = (name: string) => names.find((n) => n.toLowerCase() === name.toLowerCase());
  for (const name of filterProperties(tree)) if (!canonical(name)) throw unknownProperty(name, type);
  return all.filter((item) => matchesFilter(tree, (name) => properties[canonical(name)!]!(item)));
}

function collection(state: ServerState, request: GraphRequest, context: string, all: readonly unknown[], write: (item: never) => Record<string, unknown>): GraphAnswer {
  const page = tokenPage(state, request, all, DIRECTORY_PAGE);
  const select = request.query.select;
  return json({
    '@odata.context': `${state.baseUrl}/$metadata#${context}${select ? `(${select.join(',')})` : ''}`,
    ...(request.query.count ? { '@odata.count': all.length } : {}),
    value: page.items.map((item) => write(item as never)),
    ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
  });
}

export function listUsers(state: ServerState, request: GraphRequest): GraphAnswer {
  const users = filtered(request, state.directory.users, USER_FILTERABLE, 'user');
  return collection(state, request, 'users', users, (u: UserRecord) => userJson(u, request.query.select));
}

export function getUser(state: ServerState, request: GraphRequest, user: UserRecord): GraphAnswer {
  const select = request.query.select;
  return json({ '@odata.context': `${state.baseUrl}/$metadata#users${select ? `(${select.join(',')})` : ''}/$entity`, ...userJson(user, select) });
}

export function listGroups(state: ServerState, request: GraphRequest): GraphAnswer {
  const groups = filtered(request, state.directory.groups, GROUP_FILTERABLE, 'group');
  return collection(state, request, 'groups', groups, (g: GroupRecord) => groupJson(g, request.query.select));
}

export function getGroup(state: ServerState, request: GraphRequest, group: GroupRecord): GraphAnswer {
  return json({ '@odata.context': `${state.baseUrl}/$metadata#groups/$entity`, ...groupJson(group, request.query.select) });
}

/** Direct members, each a directoryObject with its @odata.type (all users here). */
export function listMembers(state: ServerState, request: GraphRequest, group: GroupRecord): GraphAnswer {
  const members = filtered(request, group.members, USER_FILTERABLE, 'directoryObject');
  return collection(state, request, 'directoryObjects', members, (u: UserRecord) => userJson(u, request.query.select, true));
}

/** GET /users/$count, /groups/{id}/members/$count: text/plain, advanced query only (ConsistencyLevel: eventual). */
export function directoryCount(request: GraphRequest, count: number): GraphAnswer {
  if (request.header('consistencylevel')?.toLowerCase() !== 'eventual') throw new GraphError(400, 'Request_BadRequest', '$count is not currently supported.');
  return { status: 200, text: String(count), headers: { 'Content-Type': 'text/plain' } };
}
