/**
 * How each resource is written as JSON, property by property, in the order of the docs'
 * samples (resources/message.md, mailfolder.md, user.md, group.md; the samples of
 * message-get.md and user-list-mailfolders.md). `$select` picks properties by name without
 * regard to case and answers an unknown name as Graph's URI parser does (400
 * RequestBroker--ParseUri); `id` and `@odata.etag` come with every message whatever was
 * selected, as in Graph.
 *
 * v1.0's mailFolder has no wellKnownName (only beta has it): a client finds a well-known
 * folder by GET /mailFolders/{wellKnownName} and compares ids.
 */
import { unknownProperty } from './errors.js';
import { changeKey, encodeId, etag, graphDate } from './ids.js';
import type { GroupRecord, UserRecord } from './directory.js';
import type { FolderRecord, MailboxModel, MessageRecord, PimItem } from './mailbox.js';
import { mimeFields } from './mime-fields.js';
import type { ExtendedPropertyId } from './odata.js';

type Getters = Record<string, () => unknown>;

/** The properties of `getters` named by `select` (else the `defaults`), in the getters' order. */
function pick(getters: Getters, defaults: readonly string[], select: readonly string[] | undefined, type: string, always: readonly string[] = []): Record<string, unknown> {
  const names = Object.keys(getters);
  let wanted: Set<string>;
  if (select === undefined || select.length === 0 || select.includes('*')) wanted = new Set(defaults);
  else {
    wanted = new Set(always);
    for (const name of select) {
      const canonical = names.find((n) => n.toLowerCase() === name.toLowerCase());
      if (canonical === undefined) throw unknownProperty(name, type);
      wanted.add(canonical);
    }
  }
  const out: Record<string, unknown> = {};
  for (const name of names) if (wanted.has(name)) out[name] = getters[name]!();
  return out;
}

// ---------------------------------------------------------------------------------------
// mailFolder

const FOLDER_PROPERTIES = ['id', 'displayName', 'parentFolderId', 'childFolderCount', 'unreadItemCount', 'totalItemCount', 'isHidden'];

export function folderJson(folder: FolderRecord, model: MailboxModel, select: readonly string[] | undefined): Record<string, unknown> {
  const live = () => model.liveMessages(folder);
  return pick({
    id: () => folder.id,
    displayName: () => folder.displayName,
    parentFolderId: () => (folder.parent ?? folder).id,
    childFolderCount: () => folder.children.length,
    unreadItemCount: () => live().filter((m) => !m.isRead).length,
    totalItemCount: () => live().length,
    isHidden: () => folder.hidden,
  }, FOLDER_PROPERTIES, select, 'mailFolder', ['id']);
}

// ---------------------------------------------------------------------------------------
// message

/** The properties GET /messages/{id} returns without $select (message-get.md, example 1). */
const MESSAGE_DEFAULTS = [
  'id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'categories', 'receivedDateTime', 'sentDateTime', 'hasAttachments',
  'internetMessageId', 'subject', 'bodyPreview', 'importance', 'parentFolderId', 'conversationId', 'conversationIndex',
  'isDeliveryReceiptRequested', 'isReadReceiptRequested', 'isRead', 'isDraft', 'webLink', 'inferenceClassification', 'body',
  'sender', 'from', 'toRecipients', 'ccRecipients', 'bccRecipients', 'replyTo', 'flag',
];

export function messageChangeKey(model: MailboxModel, message: MessageRecord): string {
  return changeKey(model.guid, message.num, message.version);
}

/** PidTagMessageSize (0x0E08) and PidTagMessageFlags (0x0E07), as Exchange computes them; other tags: none stored. */
function extendedValue(message: MessageRecord, id: ExtendedPropertyId): string | undefined {
  if (id.type.toLowerCase() !== 'integer') return undefined;
  if (id.tag === 0x0e08) return String(message.raw.length);
  if (id.tag === 0x0e07) return String((message.isRead ? 0x1 : 0) | (message.isDraft ? 0x8 : 0));
  return undefined;
}

export interface MessageWriteOptions {
  readonly select?: readonly string[] | undefined;
  /** $expand=singleValueExtendedProperties($filter=...): the ids asked for. */
  readonly extended?: readonly ExtendedPropertyId[] | undefined;
  /** Delta and batch answers carry "@odata.type" on each entity. */
  readonly withType?: boolean;
}

export function messageJson(model: MailboxModel, message: MessageRecord, options: MessageWriteOptions = {}): Record<string, unknown> {
  const fields = () => mimeFields(message);
  const key = messageChangeKey(model, message);
  const preview = () => fields().body.content.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 255);
  const conversation = encodeId(model.guid, 'message', 0x40000000 + (message.num & 0xffff)).replace(/^AAMk/, 'AAQk');
  const props = pick({
    id: () => message.id,
    createdDateTime: () => graphDate(message.created),
    lastModifiedDateTime: () => graphDate(message.lastModified),
    changeKey: () => key,
    categories: () => [...message.categories],
    receivedDateTime: () => graphDate(message.received),
    sentDateTime: () => graphDate(fields().sent ?? message.received),
    hasAttachments: () => fields().hasAttachments,
    internetMessageId: () => fields().messageId ?? null,
    subject: () => fields().subject ?? '',
    bodyPreview: preview,
    importance: () => 'normal',
    parentFolderId: () => message.folder.id,
    conversationId: () => conversation,
    conversationIndex: () => Buffer.from(message.id).subarray(0, 22).toString('base64'),
    isDeliveryReceiptRequested: () => false,
    isReadReceiptRequested: () => false,
    isRead: () => message.isRead,
    isDraft: () => message.isDraft,
    webLink: () => `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(message.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: () => 'focused',
    body: () => ({ ...fields().body }),
    uniqueBody: () => ({ ...fields().body }),
    sender: () => fields().from ?? null,
    from: () => fields().from ?? null,
    toRecipients: () => fields().to,
    ccRecipients: () => fields().cc,
    bccRecipients: () => fields().bcc,
    replyTo: () => fields().replyTo,
    flag: () => ({ flagStatus: message.flag }),
    internetMessageHeaders: () => fields().headers.map((h) => ({ ...h })),
  }, MESSAGE_DEFAULTS, options.select, 'message', ['id']);
  const out: Record<string, unknown> = { ...(options.withType ? { '@odata.type': '#microsoft.graph.message' } : {}), '@odata.etag': etag(key), ...props };
  if (options.extended !== undefined) {
    const values = options.extended.flatMap((id) => {
      const value = extendedValue(message, id);
      return value === undefined ? [] : [{ id: id.canonical, value }];
    });
    // Graph leaves the navigation property out when no extended property matched.
    if (values.length > 0) out['singleValueExtendedProperties'] = values;
  }
  return out;
}

/** A message gone from the folder since the client's last round (delta-query-messages.md). */
export function removedJson(message: MessageRecord): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.message', id: message.id, '@removed': { reason: 'deleted' } };
}

// ---------------------------------------------------------------------------------------
// user, group

const USER_DEFAULTS = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];

export function userJson(user: UserRecord, select: readonly string[] | undefined, withType = false): Record<string, unknown> {
  const local = user.mail.split('@')[0] ?? user.mail;
  const props = pick({
    businessPhones: () => [],
    displayName: () => user.displayName,
    givenName: () => null,
    jobTitle: () => null,
    mail: () => user.mail,
    mobilePhone: () => null,
    officeLocation: () => null,
    preferredLanguage: () => null,
    surname: () => null,
    userPrincipalName: () => user.userPrincipalName,
    id: () => user.id,
    accountEnabled: () => user.accountEnabled,
    mailNickname: () => local,
    proxyAddresses: () => [`SMTP:${user.mail}`],
    otherMails: () => [],
    userType: () => 'Member',
    createdDateTime: () => '2020-01-01T00:00:00Z',
    department: () => null,
    companyName: () => null,
    usageLocation: () => null,
    onPremisesSyncEnabled: () => null,
  }, USER_DEFAULTS, select, 'user');
  return withType ? { '@odata.type': '#microsoft.graph.user', ...props } : props;
}

const GROUP_DEFAULTS = ['id', 'createdDateTime', 'description', 'displayName', 'groupTypes', 'mail', 'mailEnabled', 'mailNickname', 'securityEnabled', 'visibility'];

export function groupJson(group: GroupRecord, select: readonly string[] | undefined): Record<string, unknown> {
  return pick({
    id: () => group.id,
    createdDateTime: () => '2020-01-01T00:00:00Z',
    description: () => null,
    displayName: () => group.displayName,
    groupTypes: () => [],
    mail: () => null,
    mailEnabled: () => false,
    mailNickname: () => group.displayName.replace(/[^A-Za-z0-9]/g, ''),
    securityEnabled: () => true,
    visibility: () => null,
  }, GROUP_DEFAULTS, select, 'group');
}

// ---------------------------------------------------------------------------------------
// event, contact, todoTaskList, todoTask (only what a count or a listing by id needs)

export function eventJson(model: MailboxModel, item: PimItem, select: readonly string[] | undefined): Record<string, unknown> {
  const key = changeKey(model.guid, item.num, 1);
  const start = { dateTime: item.created.toISOString().replace('Z', '0000'), timeZone: 'UTC' };
  return { '@odata.etag': etag(key), ...pick({
    id: () => item.id,
    createdDateTime: () => graphDate(item.created),
    lastModifiedDateTime: () => graphDate(item.created),
    changeKey: () => key,
    categories: () => [],
    subject: () => item.title,
    isAllDay: () => false,
    start: () => start,
    end: () => start,
  }, ['id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'categories', 'subject', 'isAllDay', 'start', 'end'], select, 'event', ['id']) };
}

export function contactJson(model: MailboxModel, item: PimItem, select: readonly string[] | undefined): Record<string, unknown> {
  const key = changeKey(model.guid, item.num, 1);
  return { '@odata.etag': etag(key), ...pick({
    id: () => item.id,
    createdDateTime: () => graphDate(item.created),
    lastModifiedDateTime: () => graphDate(item.created),
    changeKey: () => key,
    categories: () => [],
    displayName: () => item.title,
    emailAddresses: () => [],
  }, ['id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'categories', 'displayName', 'emailAddresses'], select, 'contact', ['id']) };
}

export function taskListJson(model: MailboxModel, id: string): Record<string, unknown> {
  return { '@odata.etag': etag(changeKey(model.guid, 0, 1)), displayName: 'Tasks', isOwner: true, isShared: false, wellknownListName: 'defaultList', id };
}

export function taskJson(model: MailboxModel, item: PimItem, select: readonly string[] | undefined): Record<string, unknown> {
  return { '@odata.etag': etag(changeKey(model.guid, item.num, 1)), ...pick({
    importance: () => 'normal',
    isReminderOn: () => false,
    status: () => 'notStarted',
    title: () => item.title,
    createdDateTime: () => item.created.toISOString(),
    lastModifiedDateTime: () => item.created.toISOString(),
    id: () => item.id,
    body: () => ({ content: '', contentType: 'text' }),
  }, ['importance', 'isReminderOn', 'status', 'title', 'createdDateTime', 'lastModifiedDateTime', 'id', 'body'], select, 'todoTask', ['id']) };
}
