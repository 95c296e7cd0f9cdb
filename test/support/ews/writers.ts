/**
 * Items and folders as response XML, in schema order (ItemType, then MessageType; the
 * BaseFolderType/FolderType sequence), with the element name Exchange uses for each class:
 * "Exchange does not return the base Item element in responses" (finditem-operation.md),
 * everything that is not strongly typed comes back as t:Message.
 */
import type { FolderRecord, ItemRecord, MailboxModel } from './mailbox.js';
import { wants, type Shape } from './shape.js';
import { el, text, xsDateTime } from './xml-writer.js';

/** The EWS element for an item class (prefix match, as Exchange treats classes). */
export function itemElementName(itemClass: string): string {
  const c = itemClass.toLowerCase();
  if (c.startsWith('ipm.appointment')) return 'CalendarItem';
  if (c.startsWith('ipm.contact')) return 'Contact';
  if (c.startsWith('ipm.distlist')) return 'DistributionList';
  if (c.startsWith('ipm.task')) return 'Task';
  if (c.startsWith('ipm.schedule.meeting.request')) return 'MeetingRequest';
  if (c.startsWith('ipm.schedule.meeting.resp')) return 'MeetingResponse';
  if (c.startsWith('ipm.schedule.meeting.canceled')) return 'MeetingCancellation';
  if (c.startsWith('ipm.post')) return 'PostItem';
  return 'Message';
}

/** The default ItemClass for an item element in CreateItem. */
export function defaultItemClass(elementName: string): string {
  const classes: Record<string, string> = {
    CalendarItem: 'IPM.Appointment',
    Contact: 'IPM.Contact',
    DistributionList: 'IPM.DistList',
    Task: 'IPM.Task',
    PostItem: 'IPM.Post',
  };
  return classes[elementName] ?? 'IPM.Note';
}

/** Only message-like elements (MessageType and its descendants) carry t:IsRead. */
function isMessageElement(name: string): boolean {
  return ['Message', 'MeetingRequest', 'MeetingResponse', 'MeetingCancellation'].includes(name);
}

export function itemIdXml(mailbox: MailboxModel, item: ItemRecord): string {
  return el('t:ItemId', { Id: item.id, ChangeKey: mailbox.itemChangeKey(item) });
}

export function writeItem(mailbox: MailboxModel, item: ItemRecord, shape: Shape): string {
  const name = itemElementName(item.itemClass);
  const want = (field: string) => wants(shape, field, 'item');
  const parts: string[] = [];
  if (shape.mime) parts.push(el('t:MimeContent', { CharacterSet: 'UTF-8' }, item.mime.toString('base64')));
  if (want('item:ItemId')) parts.push(itemIdXml(mailbox, item));
  if (want('item:ParentFolderId')) parts.push(el('t:ParentFolderId', { Id: item.folder.id, ChangeKey: mailbox.folderChangeKey(item.folder) }));
  if (want('item:ItemClass')) parts.push(text('t:ItemClass', item.itemClass));
  if (want('item:Subject')) parts.push(item.subject === undefined ? el('t:Subject') : text('t:Subject', item.subject));
  if (want('item:Sensitivity')) parts.push(text('t:Sensitivity', 'Normal'));
  if (want('item:DateTimeReceived')) parts.push(text('t:DateTimeReceived', xsDateTime(item.received)));
  if (want('item:Size')) parts.push(text('t:Size', mailbox.size(item)));
  // Exchange leaves out empty multi-valued properties.
  if (want('item:Categories') && item.categories.length > 0) parts.push(el('t:Categories', {}, item.categories.map((c) => text('t:String', c))));
  if (want('item:IsDraft')) parts.push(text('t:IsDraft', item.draft));
  if (want('item:DateTimeSent') && item.sent) parts.push(text('t:DateTimeSent', xsDateTime(item.sent)));
  if (want('item:DateTimeCreated')) parts.push(text('t:DateTimeCreated', xsDateTime(item.created)));
  if (want('item:HasAttachments')) parts.push(text('t:HasAttachments', /^content-type:\s*multipart\/mixed/im.test(item.mime.subarray(0, 8192).toString('latin1'))));
  for (const ref of shape.extended) {
    // A property the item does not have is simply absent from the response.
    const value = mailbox.computedProperty(item, ref.key);
    if (value && value.type.toLowerCase() === ref.type.toLowerCase()) {
      parts.push(el('t:ExtendedProperty', {}, [el('t:ExtendedFieldURI', ref.echo), text('t:Value', value.value)]));
    }
  }
  if (shape.fields.has('item:Flag')) parts.push(el('t:Flag', {}, [text('t:FlagStatus', item.flag)]));
  if (want('message:IsRead') && isMessageElement(name)) parts.push(text('t:IsRead', item.isRead));
  return el(`t:${name}`, {}, parts);
}

/** The EWS element for a folder class. */
export function folderElementName(folderClass: string | undefined): string {
  const c = (folderClass ?? '').toLowerCase();
  if (c.startsWith('ipf.appointment')) return 'CalendarFolder';
  if (c.startsWith('ipf.contact')) return 'ContactsFolder';
  if (c.startsWith('ipf.task')) return 'TasksFolder';
  return 'Folder';
}

export function folderIdXml(mailbox: MailboxModel, folder: FolderRecord): string {
  return el('t:FolderId', { Id: folder.id, ChangeKey: mailbox.folderChangeKey(folder) });
}

export function writeFolder(mailbox: MailboxModel, folder: FolderRecord, shape: Shape): string {
  const name = folderElementName(folder.folderClass);
  const want = (field: string) => wants(shape, field, 'folder');
  const live = mailbox.liveItems(folder);
  const parts: string[] = [];
  if (want('folder:FolderId')) parts.push(folderIdXml(mailbox, folder));
  if (want('folder:ParentFolderId') && folder.parent) parts.push(el('t:ParentFolderId', { Id: folder.parent.id, ChangeKey: mailbox.folderChangeKey(folder.parent) }));
  if (want('folder:FolderClass') && folder.folderClass !== undefined) parts.push(text('t:FolderClass', folder.folderClass));
  if (want('folder:DisplayName')) parts.push(text('t:DisplayName', folder.displayName));
  if (want('folder:TotalCount')) parts.push(text('t:TotalCount', live.length));
  if (want('folder:ChildFolderCount')) parts.push(text('t:ChildFolderCount', folder.children.length));
  // UnreadCount belongs to FolderType (and TasksFolderType), not to calendar/contacts folders.
  if (want('folder:UnreadCount') && (name === 'Folder' || name === 'TasksFolder')) parts.push(text('t:UnreadCount', live.filter((i) => !i.isRead).length));
  return el(`t:${name}`, {}, parts);
}
