/**
 * Mail folders and messages: user-list-mailfolders.md, mailfolder-get.md,
 * mailfolder-list-childfolders.md, user-list-messages.md, message-get.md (and its $value
 * MIME section, concepts/outlook-get-mime-message.md).
 *
 * A folder is named by id or by well-known name (resources/mailfolder.md); anything else
 * that is not one of our ids is Exchange's 400 ErrorInvalidIdMalformed, and an id of no
 * folder (or of another mailbox's) 404 ErrorItemNotFound. Collections page with $top/$skip
 * (default 10, messages up to 1000); messages come newest first (receivedDateTime desc).
 */
import { json, type GraphAnswer, type GraphRequest, type ServerState } from '../context.js';
import type { UserRecord } from '../directory.js';
import { GraphError, idMalformed, itemNotFound } from '../errors.js';
import { decodeId } from '../ids.js';
import type { FolderRecord, MessageRecord } from '../mailbox.js';
import { parseExtendedPropertyExpand, type ExtendedPropertyId } from '../odata.js';
import { skipPage } from '../paging.js';
import { folderJson, messageJson } from '../writers.js';

const FOLDER_PAGE = { defaultSize: 10, maxSize: 1000 };
const MESSAGE_PAGE = { defaultSize: 10, maxSize: 1000 };

/** `users('…')` as Graph writes the user in @odata.context. */
export function userContext(state: ServerState, userSegment: string): string {
  return `${state.baseUrl}/$metadata#users('${encodeURIComponent(userSegment)}')`;
}

export function resolveFolder(user: UserRecord, key: string): FolderRecord {
  const model = user.mailbox;
  const decoded = decodeId(key);
  if (decoded) {
    const folder = decoded.kind === 'folder' && decoded.mailboxGuid === model.guidHex ? model.folderByNum(decoded.num) : undefined;
    if (!folder) throw itemNotFound();
    return folder;
  }
  const wellKnown = model.folderByWellKnownName(key);
  if (!wellKnown) throw idMalformed();
  return wellKnown;
}

/** A live message of this user (and of `folder`, when the URL went through one). */
export function resolveMessage(user: UserRecord, key: string, folder?: FolderRecord): MessageRecord {
  const decoded = decodeId(key);
  if (!decoded) throw idMalformed();
  const message = decoded.kind === 'message' && decoded.mailboxGuid === user.mailbox.guidHex ? user.mailbox.messageByNum(decoded.num) : undefined;
  if (!message || message.deletedCn !== undefined || (folder && message.folder !== folder)) throw itemNotFound();
  return message;
}

function selectSuffix(request: GraphRequest): string {
  return request.query.select ? `(${request.query.select.join(',')})` : '';
}

/** $expand: only singleValueExtendedProperties($filter=id eq '...') is modelled. */
export function expandedProperties(request: GraphRequest): ExtendedPropertyId[] | undefined {
  const expand = request.query.expand;
  if (expand === undefined) return undefined;
  const ids = parseExtendedPropertyExpand(expand);
  if (ids === undefined) throw new GraphError(400, 'RequestBroker--ParseUri', `Parsing OData Select and Expand failed: Could not find a property named '${expand.split('(')[0]}' on type 'microsoft.graph.message'.`);
  return ids;
}

export function listFolders(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string, parent: FolderRecord, contextPath: string): GraphAnswer {
  const includeHidden = request.query.params.get('includehiddenfolders')?.toLowerCase() === 'true';
  const all = parent.children
    .filter((f) => includeHidden || !f.hidden)
    .sort((a, b) => a.displayName.localeCompare(b.displayName, 'en', { sensitivity: 'base' }));
  const page = skipPage(state, request, all, FOLDER_PAGE);
  return json({
    '@odata.context': `${userContext(state, userSegment)}${contextPath}${selectSuffix(request)}`,
    ...(request.query.count ? { '@odata.count': all.length } : {}),
    value: page.items.map((f) => folderJson(f, user.mailbox, request.query.select)),
    ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
  });
}

export function getFolder(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string, folder: FolderRecord): GraphAnswer {
  return json({
    '@odata.context': `${userContext(state, userSegment)}/mailFolders${selectSuffix(request)}/$entity`,
    ...folderJson(folder, user.mailbox, request.query.select),
  });
}

function messagesOf(user: UserRecord, folder: FolderRecord | undefined): MessageRecord[] {
  const all = folder ? user.mailbox.liveMessages(folder) : user.mailbox.allLiveMessages();
  return all.sort((a, b) => b.received.getTime() - a.received.getTime() || b.num - a.num);
}

export function listMessages(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string, folder: FolderRecord | undefined): GraphAnswer {
  if (request.query.filter !== undefined || request.query.params.has('orderby') || request.query.params.has('search')) {
    throw new GraphError(501, 'NotImplemented', 'The Graph test server does not model $filter, $orderby or $search on messages.');
  }
  const extended = expandedProperties(request);
  const all = messagesOf(user, folder);
  const page = skipPage(state, request, all, MESSAGE_PAGE);
  const where = folder ? `/mailFolders('${folder.id}')/messages` : '/messages';
  return json({
    '@odata.context': `${userContext(state, userSegment)}${where}${selectSuffix(request)}`,
    ...(request.query.count ? { '@odata.count': all.length } : {}),
    value: page.items.map((m) => messageJson(user.mailbox, m, { select: request.query.select, extended })),
    ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
  });
}

/** GET …/messages/$count: the number as text/plain (user-list.md, "Get only a count"). */
export function countMessages(user: UserRecord, folder: FolderRecord | undefined): GraphAnswer {
  return { status: 200, text: String(messagesOf(user, folder).length), headers: { 'Content-Type': 'text/plain' } };
}

export function getMessage(state: ServerState, request: GraphRequest, user: UserRecord, userSegment: string, message: MessageRecord): GraphAnswer {
  const extended = expandedProperties(request);
  const body = messageJson(user.mailbox, message, { select: request.query.select, extended });
  if (body['singleValueExtendedProperties'] !== undefined) {
    // The sample of singlevaluelegacyextendedproperty-get.md puts the expansion's context just before it.
    const { singleValueExtendedProperties, ...rest } = body;
    return json({
      '@odata.context': `${userContext(state, userSegment)}/messages${selectSuffix(request)}/$entity`,
      ...rest,
      'singleValueExtendedProperties@odata.context': `${userContext(state, userSegment)}/messages('${encodeURIComponent(message.id)}')/singleValueExtendedProperties`,
      singleValueExtendedProperties,
    });
  }
  return json({ '@odata.context': `${userContext(state, userSegment)}/messages${selectSuffix(request)}/$entity`, ...body });
}

/**
 * GET …/messages/{id}/$value: the MIME content, Content-Type text/plain as in message-get.md
 * example 4. Unlike Exchange (which rebuilds MIME from its properties) the bytes are the
 * stored ones exactly: NUL bytes, 8-bit, bare LF or CRLF as stored.
 */
export function messageValue(message: MessageRecord): GraphAnswer {
  return { status: 200, bytes: message.raw, headers: { 'Content-Type': 'text/plain' } };
}
