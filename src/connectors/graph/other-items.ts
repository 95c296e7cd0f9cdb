/**
 * What a mailbox holds besides mail, counted so the summary can list it as skipped:
 * calendar events, contacts and To Do tasks have no MIME form an IMAP folder can hold.
 * Graph keeps them outside mailFolders (events, contacts, todo/lists); each is counted with
 * `$count=true` (concepts/query-parameters.md). An app without the permission to read one
 * kind (Calendars.Read, Contacts.Read, Tasks.Read.All) leaves that kind uncounted: the
 * migration needs only Mail.Read.
 */
import type { FolderContent } from '../types.js';
import type { GraphHttp } from './graph-http.js';

export interface OtherItems {
  /** The name the summary shows, e.g. "Calendar". */
  readonly name: string;
  readonly content: FolderContent;
  readonly count: number;
}

/** The app may not read that kind (403), or the mailbox has none (404): not counted. */
const NOT_READABLE = [403, 404];

interface Counted {
  readonly '@odata.count'?: number;
  readonly value?: Array<{ id: string }>;
  readonly '@odata.nextLink'?: string;
}

export async function countOtherItems(http: GraphHttp, mailbox: string): Promise<OtherItems[]> {
  const found: OtherItems[] = [];
  const events = await countOf(http, `${mailbox}/events?$count=true&$top=1&$select=id`, 'count calendar events');
  if (events) found.push({ name: 'Calendar', content: 'calendar', count: events });
  const contacts = await countOf(http, `${mailbox}/contacts?$count=true&$top=1&$select=id`, 'count contacts');
  if (contacts) found.push({ name: 'Contacts', content: 'contacts', count: contacts });
  const tasks = await countTasks(http, mailbox);
  if (tasks) found.push({ name: 'Tasks', content: 'tasks', count: tasks });
  return found;
}

async function countTasks(http: GraphHttp, mailbox: string): Promise<number | undefined> {
  const lists = await http.getJsonUnless<Counted>(`${mailbox}/todo/lists?$select=id&$top=100`, 'list To Do lists', NOT_READABLE);
  if (lists === undefined) return undefined;
  let total = 0;
  for (const list of lists.value ?? []) total += (await countOf(http, `${mailbox}/todo/lists/${encodeURIComponent(list.id)}/tasks?$count=true&$top=1&$select=id`, 'count tasks')) ?? 0;
  return total;
}

async function countOf(http: GraphHttp, path: string, what: string): Promise<number | undefined> {
  const count = (await http.getJsonUnless<Counted>(path, what, NOT_READABLE))?.['@odata.count'];
  return typeof count === 'number' ? count : undefined;
}
