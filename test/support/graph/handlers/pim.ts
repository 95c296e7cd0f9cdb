/**
 * The non-mail items a mail migration skips but reports with counts: events
 * (user-list-events.md), personal contacts (user-list-contacts.md) and To Do tasks
 * (todo-list-lists.md, todotasklist-list-tasks.md). Each collection takes $count=true
 * (@odata.count, concepts/query-parameters.md: its example is /me/contacts?$count=true)
 * and, for events and contacts, the /$count segment; all page with $top/$skip.
 * The mailbox has one task list, the default "Tasks" (wellknownListName defaultList).
 */
import { json, type GraphAnswer, type GraphRequest, type ServerState } from '../context.js';
import type { UserRecord } from '../directory.js';
import { idMalformed, itemNotFound } from '../errors.js';
import { decodeId, encodeId } from '../ids.js';
import type { MailboxModel, PimItem } from '../mailbox.js';
import { skipPage } from '../paging.js';
import { contactJson, eventJson, taskJson, taskListJson } from '../writers.js';
import { userContext } from './mail.js';

const PIM_PAGE = { defaultSize: 10, maxSize: 1000 };

function list(state: ServerState, request: GraphRequest, context: string, all: readonly PimItem[], write: (item: PimItem) => Record<string, unknown>): GraphAnswer {
  const page = skipPage(state, request, all, PIM_PAGE);
  return json({
    '@odata.context': context,
    ...(request.query.count ? { '@odata.count': all.length } : {}),
    value: page.items.map(write),
    ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
  });
}

export function listEvents(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string): GraphAnswer {
  const model = user.mailbox;
  return list(state, request, `${userContext(state, userSegment)}/events`, model.events, (e) => eventJson(model, e, request.query.select));
}

export function listContacts(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string): GraphAnswer {
  const model = user.mailbox;
  return list(state, request, `${userContext(state, userSegment)}/contacts`, model.contacts, (c) => contactJson(model, c, request.query.select));
}

export function pimCount(items: readonly PimItem[]): GraphAnswer {
  return { status: 200, text: String(items.length), headers: { 'Content-Type': 'text/plain' } };
}

/** The id of the mailbox's one To Do list. */
export function defaultTaskListId(model: MailboxModel): string {
  return encodeId(model.guid, 'taskList', 0);
}

export function listTaskLists(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string): GraphAnswer {
  const model = user.mailbox;
  const lists = [taskListJson(model, defaultTaskListId(model))];
  return json({ '@odata.context': `${userContext(state, userSegment)}/todo/lists`, ...(request.query.count ? { '@odata.count': 1 } : {}), value: lists });
}

export function checkTaskList(user: UserRecord, key: string): void {
  const decoded = decodeId(key);
  if (!decoded) throw idMalformed();
  if (key !== defaultTaskListId(user.mailbox)) throw itemNotFound();
}

export function listTasks(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string, listId: string): GraphAnswer {
  const model = user.mailbox;
  return list(state, request, `${userContext(state, userSegment)}/todo/lists('${listId}')/tasks`, model.tasks, (t) => taskJson(model, t, request.query.select));
}
