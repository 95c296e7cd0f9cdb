/**
 * The EWS test server (test/support/ews) against the real client library,
 * ews-javascript-api: every answer the connector will see must be accepted by it. Plus the
 * structure of the answers compared with Microsoft's published samples
 * (test/fixtures/ews), and each fault switch.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BasePropertySet,
  ChangeType,
  ConflictResolutionMode,
  ConnectingIdType,
  DateTime,
  DeleteMode,
  EmailMessage,
  EmailMessageSchema,
  ExchangeService,
  ExchangeVersion,
  ExtendedPropertyDefinition,
  Flag,
  Folder,
  FolderId,
  FolderSchema,
  FolderTraversal,
  FolderView,
  Guid,
  ImpersonatedUserId,
  Item,
  ItemFlagStatus,
  ItemId,
  ItemSchema,
  ItemView,
  Mailbox,
  MapiPropertyType,
  MessageDisposition,
  MimeContent,
  PropertySet,
  SearchFilter,
  SendInvitationsMode,
  ServiceError,
  ServiceResult,
  StringList,
  SyncFolderItemsScope,
  Uri,
  WebCredentials,
  WellKnownFolderName,
  XhrApi,
  type ItemChange,
} from 'ews-javascript-api';
import { startEwsServer, type EwsServerOptions, type EwsTestServer } from '../support/ews/index.js';
import { fixHttpsNamespaces, xmlShape } from '../support/ews/xml-shape.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const SVC = 'svc@example.com';
const PASSWORDS: Record<string, string> = { [ALICE]: 'alice-pw', [BOB]: 'bob-pw', [SVC]: 'svc-pw' };

/** The GUID property set the connector uses for its idempotency marker (any GUID works). */
const MARKER_SET = new Guid('c11ff724-aa03-4555-9952-8fa248a11c3e');
const markerDef = () => new ExtendedPropertyDefinition(MARKER_SET, 'mailferry-copy-id', MapiPropertyType.String);
const PR_MESSAGE_FLAGS = () => new ExtendedPropertyDefinition(0x0e07, MapiPropertyType.Integer);
const PR_MESSAGE_DELIVERY_TIME = () => new ExtendedPropertyDefinition(0x0e06, MapiPropertyType.SystemTime);
const PR_CLIENT_SUBMIT_TIME = () => new ExtendedPropertyDefinition(0x0039, MapiPropertyType.SystemTime);
const PR_LAST_VERB_EXECUTED = () => new ExtendedPropertyDefinition(0x1081, MapiPropertyType.Integer);

const servers: EwsTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function start(options: Partial<EwsServerOptions> = {}): Promise<EwsTestServer> {
  const server = await startEwsServer({ users: PASSWORDS, ...options });
  servers.push(server);
  return server;
}

function connect(server: EwsTestServer, user = ALICE, password = PASSWORDS[user] ?? ''): ExchangeService {
  const service = new ExchangeService(ExchangeVersion.Exchange2016);
  service.Credentials = new WebCredentials(user, password);
  service.Url = new Uri(server.url);
  return service;
}

function mime(subject: string, body = 'Hello.\r\n', extraHeaders = ''): Buffer {
  return Buffer.from(
    `From: Carol <carol@example.org>\r\nTo: Alice <${ALICE}>\r\nSubject: ${subject}\r\n` +
      `Date: Tue, 02 Jan 2024 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n${extraHeaders}` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

/** The rejection of a promise (the library rejects with non-Error objects, e.g. SoapFaultDetails). */
async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

async function post(server: EwsTestServer, xml: string, user = ALICE): Promise<{ status: number; body: string; contentType: string | null }> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/xml; charset=utf-8',
      Authorization: `Basic ${Buffer.from(`${user}:${PASSWORDS[user] ?? ''}`).toString('base64')}`,
    },
    body: xml,
  });
  return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') };
}

/** ews-javascript-api's typings are not strict-null clean; it takes null for "no sync state" and "not applicable". */
const none = <T>(): T => null as unknown as T;
const NO_STATE = none<string>();

/** An extended property read back (ServiceObject.TryGetExtendedProperty exists but is missing from the typings). */
function extended(item: Item, definition: ExtendedPropertyDefinition): unknown {
  const out = { outValue: undefined as unknown };
  return item.ExtendedProperties.TryGetValue(definition, out) ? out.outValue : undefined;
}

function changes(collection: { GetEnumerator(): ItemChange[] }): Array<[string, string]> {
  return collection.GetEnumerator().map((c) => [ChangeType[c.ChangeType] ?? String(c.ChangeType), c.ItemId.UniqueId]);
}

describe('EWS test server driven by ews-javascript-api', () => {
  it('lists the folder tree with a Deep FindFolder, paged', async () => {
    const server = await start();
    const mailbox = server.mailbox(ALICE);
    const projects = mailbox.addFolder('Inbox/Projects/2024');
    mailbox.addMessage('Inbox', mime('one'));
    mailbox.addMessage('Inbox/Projects', mime('two'), { isRead: true });
    mailbox.addItem('Calendar', 'IPM.Appointment', 'Standup');
    const service = connect(server);

    const seen: Array<{ name: string; cls: string | null; total: number; children: number; type: string; parent: string }> = [];
    let offset = 0;
    for (;;) {
      const view = new FolderView(4, offset);
      view.Traversal = FolderTraversal.Deep;
      view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [
        FolderSchema.DisplayName,
        FolderSchema.FolderClass,
        FolderSchema.ParentFolderId,
        FolderSchema.TotalCount,
        FolderSchema.ChildFolderCount,
      ]);
      const result = await service.FindFolders(WellKnownFolderName.MsgFolderRoot, view);
      for (const f of result.Folders) {
        seen.push({ name: f.DisplayName, cls: f.FolderClass, total: f.TotalCount, children: f.ChildFolderCount, type: f.constructor.name, parent: f.ParentFolderId.UniqueId });
      }
      expect(result.TotalCount).toBe(10);
      // ews-javascript-api 0.15.3 reads IndexedPagingOffset for FindFolders but never stores it
      // (FindFolderResponse keeps it in a local variable): NextPageOffset stays null, so page by count.
      expect(result.NextPageOffset ?? null).toBeNull();
      if (!result.MoreAvailable) break;
      offset += result.Folders.length;
    }
    // Depth-first, pre-order, like Exchange.
    expect(seen.map((f) => f.name)).toEqual(['Inbox', 'Projects', '2024', 'Sent Items', 'Drafts', 'Deleted Items', 'Junk Email', 'Calendar', 'Contacts', 'Tasks']);
    expect(seen.find((f) => f.name === 'Inbox')).toMatchObject({ cls: 'IPF.Note', total: 1, children: 1, type: 'Folder' });
    expect(seen.find((f) => f.name === 'Projects')).toMatchObject({ total: 1, children: 1 });
    expect(seen.find((f) => f.name === 'Calendar')).toMatchObject({ cls: 'IPF.Appointment', total: 1, type: 'CalendarFolder' });
    expect(seen.find((f) => f.name === 'Contacts')).toMatchObject({ cls: 'IPF.Contact', type: 'ContactsFolder' });
    expect(seen.find((f) => f.name === 'Tasks')).toMatchObject({ cls: 'IPF.Task', type: 'TasksFolder' });
    // The parent of 2024 is Projects, whose parent is Inbox.
    const ids = Object.fromEntries(mailbox.folders().map((f) => [f.path, f.id]));
    expect(ids['Inbox/Projects/2024']).toBe(projects);
    expect(seen.find((f) => f.name === '2024')?.parent).toBe(ids['Inbox/Projects']);
    expect(mailbox.folders().find((f) => f.path === 'Inbox/Projects')).toEqual({ id: ids['Inbox/Projects'], path: 'Inbox/Projects', folderClass: 'IPF.Note', totalCount: 1 });
  });

  it('binds folders by DistinguishedFolderId (also with Mailbox) and by FolderId', async () => {
    const server = await start();
    server.mailbox(ALICE).addMessage('Inbox', mime('unread'));
    const service = connect(server);
    const inbox = await Folder.Bind(service, WellKnownFolderName.Inbox);
    expect(inbox.DisplayName).toBe('Inbox');
    expect(inbox.TotalCount).toBe(1);
    expect(inbox.UnreadCount).toBe(1);
    const root = await Folder.Bind(service, new FolderId(WellKnownFolderName.MsgFolderRoot, new Mailbox(ALICE)));
    expect(root.DisplayName).toBe('Top of Information Store');
    const again = await Folder.Bind(service, inbox.Id);
    expect(again.Id.UniqueId).toBe(inbox.Id.UniqueId);
    expect(server.requests.map((r) => r.operation)).toEqual(['GetFolder', 'GetFolder', 'GetFolder']);
  });

  it('creates folders and answers ErrorFolderExists for a duplicate name', async () => {
    const server = await start();
    const service = connect(server);
    const folder = new Folder(service);
    folder.DisplayName = 'Archive 2023';
    folder.FolderClass = 'IPF.Note';
    await folder.Save(WellKnownFolderName.MsgFolderRoot);
    expect(server.mailbox(ALICE).folders().find((f) => f.path === 'Archive 2023')).toMatchObject({ id: folder.Id.UniqueId, folderClass: 'IPF.Note' });
    const child = new Folder(service);
    child.DisplayName = 'Q1';
    await child.Save(folder.Id);
    expect(server.mailbox(ALICE).folders().map((f) => f.path)).toContain('Archive 2023/Q1');

    const duplicate = new Folder(service);
    duplicate.DisplayName = 'archive 2023'; // folder names compare case-insensitively
    const error = await rejection(duplicate.Save(WellKnownFolderName.MsgFolderRoot));
    expect(error['ErrorCode']).toBe(ServiceError.ErrorFolderExists);
  });

  it('reports Create, ReadFlagChange, Update and Delete through SyncFolderItems', async () => {
    const server = await start();
    const mailbox = server.mailbox(ALICE);
    const [a, b, c] = ['a', 'b', 'c'].map((s) => mailbox.addMessage('Inbox', mime(s)));
    const service = connect(server);
    const inbox = new FolderId(WellKnownFolderName.Inbox);
    const shape = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.ItemClass, ItemSchema.Size]);

    const first = await service.SyncFolderItems(inbox, shape, [], 100, SyncFolderItemsScope.NormalItems, NO_STATE);
    expect(changes(first)).toEqual([['Create', a], ['Create', b], ['Create', c]]);
    expect(first.MoreChangesAvailable).toBe(false);
    const created = first.GetEnumerator()[0]?.Item;
    expect(created?.constructor.name).toBe('EmailMessage');
    expect(created?.ItemClass).toBe('IPM.Note');
    expect(created?.Size).toBe(mime('a').length);

    const d = mailbox.addMessage('Inbox', mime('d'));
    mailbox.setRead(a!, true);
    mailbox.deleteItem(b!);
    const message = await EmailMessage.Bind(service, new ItemId(c!));
    message.Categories = new StringList(['Blue']);
    await message.Update(ConflictResolutionMode.AutoResolve);

    const second = await service.SyncFolderItems(inbox, shape, [], 100, SyncFolderItemsScope.NormalItems, first.SyncState);
    // The library groups changes by element name (all Creates, then all ReadFlagChanges, ...): compare as sets.
    expect(changes(second).sort()).toEqual([['Create', d], ['Delete', b], ['ReadFlagChange', a], ['Update', c]].sort());
    const readFlag = second.GetEnumerator().find((x) => x.ChangeType === ChangeType.ReadFlagChange);
    expect(readFlag?.IsRead).toBe(true);

    const third = await service.SyncFolderItems(inbox, shape, [], 100, SyncFolderItemsScope.NormalItems, second.SyncState);
    expect(third.Count).toBe(0);
    expect(third.MoreChangesAvailable).toBe(false);
    expect(server.requests.filter((r) => r.operation === 'SyncFolderItems')).toHaveLength(3);
  });

  it('pages SyncFolderItems at maxSyncChanges and resumes from each SyncState', async () => {
    const server = await start({ maxSyncChanges: 5 });
    const mailbox = server.mailbox(ALICE);
    const ids = Array.from({ length: 12 }, (_, i) => mailbox.addMessage('Inbox', mime(`m${i}`)));
    const service = connect(server);
    const inbox = new FolderId(WellKnownFolderName.Inbox);

    const pages: string[][] = [];
    const more: boolean[] = [];
    let state = NO_STATE;
    do {
      // The client asks for 100; the server's cap of 5 wins.
      const page = await service.SyncFolderItems(inbox, PropertySet.IdOnly, [], 100, SyncFolderItemsScope.NormalItems, state);
      pages.push(changes(page).map(([, id]) => id));
      more.push(page.MoreChangesAvailable);
      state = page.SyncState;
    } while (more[more.length - 1]);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(more).toEqual([true, true, false]);
    expect(pages.flat()).toEqual(ids);

    // Resuming from a middle state repeats exactly the later pages.
    const restart = await service.SyncFolderItems(inbox, PropertySet.IdOnly, [], 100, SyncFolderItemsScope.NormalItems, NO_STATE);
    const again = await service.SyncFolderItems(inbox, PropertySet.IdOnly, [], 100, SyncFolderItemsScope.NormalItems, restart.SyncState);
    expect(changes(again).map(([, id]) => id)).toEqual(ids.slice(5, 10));

    // After the last page only new changes come.
    const late = mailbox.addMessage('Inbox', mime('late'));
    mailbox.setRead(ids[0]!, true);
    const tail = await service.SyncFolderItems(inbox, PropertySet.IdOnly, [], 100, SyncFolderItemsScope.NormalItems, state);
    expect(changes(tail).sort()).toEqual([['Create', late], ['ReadFlagChange', ids[0]!]].sort());
    // A smaller MaxChangesReturned than the server cap is honoured, and IgnoredItemIds are skipped
    // (they still use up their place in the page). ids[0] changed after it was created, so its
    // Create now sorts last: a Create carries the item's latest state.
    const two = await service.SyncFolderItems(inbox, PropertySet.IdOnly, [new ItemId(ids[1]!)], 2, SyncFolderItemsScope.NormalItems, NO_STATE);
    expect(changes(two).map(([, id]) => id)).toEqual([ids[2]]);
    expect(two.MoreChangesAvailable).toBe(true);
  });

  it('returns MimeContent byte for byte and the asked properties with BindToItems, one response per id in order', async () => {
    const server = await start();
    const mailbox = server.mailbox(ALICE);
    const bytes = Buffer.concat([mime('Grüße', 'Ünïcödé body, and a bare \n line feed.\r\n'), Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a])]);
    const received = new Date('2024-01-02T10:00:05Z');
    const id = mailbox.addMessage('Inbox', bytes, {
      isRead: true,
      flag: 'Flagged',
      categories: ['Red', 'Project X'],
      lastVerbExecuted: 102,
      received,
      sent: new Date('2024-01-02T09:59:00Z'),
    });
    const other = mailbox.addMessage('Inbox', mime('plain'));
    const service = connect(server);
    const shape = new PropertySet(BasePropertySet.IdOnly, [
      ItemSchema.MimeContent,
      EmailMessageSchema.IsRead,
      ItemSchema.Flag,
      ItemSchema.Categories,
      ItemSchema.DateTimeReceived,
      ItemSchema.DateTimeSent,
      ItemSchema.Size,
      ItemSchema.ItemClass,
      PR_LAST_VERB_EXECUTED(),
      PR_MESSAGE_FLAGS(),
      markerDef(),
    ]);
    const missing = mailbox.addMessage('Inbox', mime('gone'));
    mailbox.deleteItem(missing);
    const result = await service.BindToItems([new ItemId(id), new ItemId(missing), new ItemId('AAMkAGNvdCBhbiBpZA=='), new ItemId(other)], shape);
    const responses = result.Responses;
    expect(responses.map((r) => r.Result)).toEqual([ServiceResult.Success, ServiceResult.Error, ServiceResult.Error, ServiceResult.Success]);
    expect(responses[1]?.ErrorCode).toBe(ServiceError.ErrorItemNotFound);
    expect(responses[2]?.ErrorCode).toBe(ServiceError.ErrorInvalidIdMalformed);

    const m = responses[0]?.Item as EmailMessage;
    expect(m.MimeContent.CharacterSet).toBe('UTF-8');
    expect(Buffer.from(m.MimeContent.Content, 'base64').equals(bytes)).toBe(true);
    expect(m.IsRead).toBe(true);
    expect(m.Flag.FlagStatus).toBe(ItemFlagStatus.Flagged);
    expect(m.Categories.GetEnumerator()).toEqual(['Red', 'Project X']);
    expect(m.DateTimeReceived.TotalMilliSeconds).toBe(received.getTime());
    expect(m.DateTimeSent.TotalMilliSeconds).toBe(Date.parse('2024-01-02T09:59:00Z'));
    expect(m.Size).toBe(bytes.length);
    expect(m.ItemClass).toBe('IPM.Note');
    expect(extended(m, PR_LAST_VERB_EXECUTED())).toBe(102);
    expect(extended(m, PR_MESSAGE_FLAGS())).toBe(1); // MSGFLAG_READ, follows IsRead
    expect(extended(m, markerDef())).toBeUndefined(); // absent properties are left out
    const plain = responses[3]?.Item as EmailMessage;
    expect(plain.IsRead).toBe(false);
    expect(plain.Flag.FlagStatus).toBe(ItemFlagStatus.NotFlagged);
    expect(plain.DateTimeSent.TotalMilliSeconds).toBe(Date.parse('2024-01-02T10:00:00Z')); // from the Date: header
  });

  it('stores CreateItem MIME imports with their flags, dates and extended properties', async () => {
    const server = await start();
    const service = connect(server);
    const make = (subject: string, opts: { flags?: number; isRead?: boolean; marker?: string; categories?: string[]; flag?: ItemFlagStatus }) => {
      const message = new EmailMessage(service);
      message.MimeContent = new MimeContent('UTF-8', mime(subject).toString('base64'));
      if (opts.flags !== undefined) message.SetExtendedProperty(PR_MESSAGE_FLAGS(), opts.flags);
      message.SetExtendedProperty(PR_MESSAGE_DELIVERY_TIME(), new DateTime(Date.UTC(2023, 4, 6, 7, 8, 9)));
      message.SetExtendedProperty(PR_CLIENT_SUBMIT_TIME(), new DateTime(Date.UTC(2023, 4, 6, 7, 0, 0)));
      if (opts.marker) message.SetExtendedProperty(markerDef(), opts.marker);
      if (opts.isRead !== undefined) message.IsRead = opts.isRead;
      if (opts.categories) message.Categories = new StringList(opts.categories);
      if (opts.flag !== undefined) {
        message.Flag = new Flag();
        message.Flag.FlagStatus = opts.flag;
      }
      return message;
    };
    const items = [
      make('read', { flags: 1, marker: 'copy-1', categories: ['Green'], flag: ItemFlagStatus.Flagged }),
      make('unread', { flags: 0, marker: 'copy-2' }),
      make('isread-wins', { flags: 0, isRead: true }),
      make('no-flags', {}),
    ];
    const folder = server.mailbox(ALICE).addFolder('Imported');
    const result = await service.CreateItems(items, new FolderId(folder), MessageDisposition.SaveOnly, SendInvitationsMode.SendToNone);
    expect(result.Responses.map((r) => r.Result)).toEqual(Array(4).fill(ServiceResult.Success));

    const stored = server.mailbox(ALICE).messages('Imported');
    expect(stored.map((m) => m.id)).toEqual(items.map((i) => i.Id.UniqueId));
    expect(stored.map((m) => m.mime.equals(mime(['read', 'unread', 'isread-wins', 'no-flags'][stored.indexOf(m)]!)))).toEqual([true, true, true, true]);
    expect(stored.map((m) => [m.isRead, m.messageFlags])).toEqual([[true, 1], [false, 0], [true, 0], [true, undefined]]);
    expect(stored[0]).toMatchObject({ flag: 'Flagged', categories: ['Green'], itemClass: 'IPM.Note' });
    expect(stored[0]?.received?.toISOString()).toBe('2023-05-06T07:08:09.000Z');
    expect(stored[0]?.sent?.toISOString()).toBe('2023-05-06T07:00:00.000Z');
    expect(Object.fromEntries(stored[0]?.extended ?? [])).toEqual({
      'tag:0x0E07': '1',
      'tag:0x0E06': '2023-05-06T07:08:09.000+00:00',
      'tag:0x0039': '2023-05-06T07:00:00.000+00:00',
      'name:c11ff724-aa03-4555-9952-8fa248a11c3e:mailferry-copy-id': 'copy-1',
    });

    // Without PidTagMessageFlags the import is a draft: MSGFLAG_UNSENT shows in the flags read back.
    const draft = await service.BindToItems([new ItemId(stored[3]!.id)], new PropertySet(BasePropertySet.IdOnly, [PR_MESSAGE_FLAGS()]));
    expect(extended(draft.Responses[0]!.Item, PR_MESSAGE_FLAGS())).toBe(9);
  });

  it('finds items by an extended-property marker with FindItems and a SearchFilter', async () => {
    const server = await start();
    const service = connect(server);
    const message = (marker: string | undefined) => {
      const m = new EmailMessage(service);
      m.MimeContent = new MimeContent('UTF-8', mime(`marker ${marker}`).toString('base64'));
      m.SetExtendedProperty(PR_MESSAGE_FLAGS(), 1);
      if (marker) m.SetExtendedProperty(markerDef(), marker);
      return m;
    };
    await service.CreateItems([message('job-7:42'), message('job-7:43'), message(undefined)], new FolderId(WellKnownFolderName.Inbox), MessageDisposition.SaveOnly, SendInvitationsMode.SendToNone);
    const view = new ItemView(10, 0);
    view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [markerDef()]);
    const found = await service.FindItems(new FolderId(WellKnownFolderName.Inbox), new SearchFilter.IsEqualTo(markerDef(), 'job-7:43'), view);
    expect(found.TotalCount).toBe(1);
    expect(found.MoreAvailable).toBe(false);
    expect(extended(found.Items[0]!, markerDef())).toBe('job-7:43');
    const stored = server.mailbox(ALICE).messages('Inbox');
    expect(found.Items[0]?.Id.UniqueId).toBe(stored[1]?.id);

    const none = await service.FindItems(new FolderId(WellKnownFolderName.Inbox), new SearchFilter.IsEqualTo(markerDef(), 'job-8:1'), view);
    expect(none.TotalCount).toBe(0);
    // Paging without a filter: newest DateTimeReceived first, NextPageOffset from IndexedPagingOffset.
    const firstPage = await service.FindItems(new FolderId(WellKnownFolderName.Inbox), new ItemView(2, 0));
    expect(firstPage.TotalCount).toBe(3);
    expect(firstPage.MoreAvailable).toBe(true);
    expect(firstPage.NextPageOffset).toBe(2);
  });

  it('updates the read flag with UpdateItem and deletes with DeleteItem', async () => {
    const server = await start();
    const mailbox = server.mailbox(ALICE);
    const [a, b] = [mailbox.addMessage('Inbox', mime('a')), mailbox.addMessage('Inbox', mime('b'))];
    const service = connect(server);
    const message = await EmailMessage.Bind(service, new ItemId(a), new PropertySet(BasePropertySet.IdOnly, [EmailMessageSchema.IsRead]));
    message.IsRead = true;
    await message.Update(ConflictResolutionMode.AutoResolve);
    expect(mailbox.messages('Inbox').map((m) => m.isRead)).toEqual([true, false]);
    await service.DeleteItems([new ItemId(b)], DeleteMode.MoveToDeletedItems, none(), none());
    expect(mailbox.messages('Inbox').map((m) => m.id)).toEqual([a]);
    expect(mailbox.messages('Deleted Items').map((m) => m.mime.equals(mime('b')))).toEqual([true]);
    await service.DeleteItems([new ItemId(a)], DeleteMode.HardDelete, none(), none());
    expect(mailbox.messages('Inbox')).toEqual([]);
  });
});

describe('EWS test server: impersonation and mailbox access', () => {
  it('lets a service account act as a user it may impersonate, and records the headers', async () => {
    const server = await start({ impersonation: { [SVC]: [ALICE] } });
    server.mailbox(ALICE).addMessage('Inbox', mime('for alice'));
    const service = connect(server, SVC);
    service.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, ALICE);
    service.HttpHeaders.Add('X-AnchorMailbox', ALICE);
    const inbox = await Folder.Bind(service, WellKnownFolderName.Inbox);
    expect(inbox.TotalCount).toBe(1);
    expect(server.requests.at(-1)).toEqual({ operation: 'GetFolder', user: SVC, impersonated: ALICE, anchorMailbox: ALICE, status: 200 });

    // Not allowed for Bob: a SOAP fault, as Exchange sends it.
    service.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, BOB);
    const denied = await rejection(Folder.Bind(service, WellKnownFolderName.Inbox));
    expect(denied['ResponseCode']).toBe(ServiceError.ErrorImpersonateUserDenied);
    expect(denied['HttpStatusCode']).toBe(500);
    expect(server.requests.at(-1)).toMatchObject({ user: SVC, impersonated: BOB, status: 500 });

    // Without impersonation the service account reaches only its own mailbox.
    const plain = connect(server, SVC);
    const byId = await rejection(Folder.Bind(plain, inbox.Id));
    expect(byId['ErrorCode']).toBe(ServiceError.ErrorAccessDenied);
    const byMailbox = await rejection(Folder.Bind(plain, new FolderId(WellKnownFolderName.Inbox, new Mailbox(ALICE))));
    expect(byMailbox['ErrorCode']).toBe(ServiceError.ErrorAccessDenied);
    const nobody = await rejection(Folder.Bind(plain, new FolderId(WellKnownFolderName.Inbox, new Mailbox('nobody@example.com'))));
    expect(nobody['ErrorCode']).toBe(ServiceError.ErrorNonExistentMailbox);
  });

  it('accepts the "*" impersonation wildcard and PrincipalName', async () => {
    const server = await start({ impersonation: { [SVC]: ['*'] } });
    const service = connect(server, SVC);
    service.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.PrincipalName, BOB);
    const folder = new Folder(service);
    folder.DisplayName = 'Made by svc';
    await folder.Save(WellKnownFolderName.MsgFolderRoot);
    expect(server.mailbox(BOB).folders().map((f) => f.path)).toContain('Made by svc');
    expect(server.mailbox(SVC).folders().map((f) => f.path)).not.toContain('Made by svc');
    expect(() => server.mailbox('nobody@example.com')).toThrow(/no user/);
  });
});

describe('EWS test server: authentication', () => {
  it('answers 401 with a Basic challenge for missing or wrong credentials', async () => {
    const server = await start();
    const error = await rejection(Folder.Bind(connect(server, ALICE, 'wrong'), WellKnownFolderName.Inbox));
    expect(error['HttpStatusCode']).toBe(401);
    expect(server.requests).toEqual([{ operation: 'GetFolder', user: '', status: 401 }]);
    const raw = await fetch(server.url, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: '<x/>' });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('performs the NTLM handshake of @ewsjs/xhr and verifies the NTLMv2 response', async () => {
    const server = await start({ auth: 'ntlm' });
    server.mailbox(BOB).addMessage('Inbox', mime('ntlm'));
    const ntlm = (user: string, login: string, password: string) => {
      const service = connect(server, user, password); // the library insists on a credentials object
      service.XHRApi = new XhrApi().useNtlmAuthentication(login, password);
      return service;
    };
    const upn = ntlm(ALICE, ALICE, PASSWORDS[ALICE]!);
    const view = new FolderView(100);
    view.Traversal = FolderTraversal.Deep;
    expect((await upn.FindFolders(WellKnownFolderName.MsgFolderRoot, view)).TotalCount).toBe(8);
    expect((await Folder.Bind(upn, WellKnownFolderName.Inbox)).DisplayName).toBe('Inbox');
    // DOMAIN\user logon: the user part matches the local part of Bob's address.
    const domainLogon = ntlm(BOB, 'EXAMPLE\\bob', PASSWORDS[BOB]!);
    expect((await Folder.Bind(domainLogon, WellKnownFolderName.Inbox)).TotalCount).toBe(1);
    // Only the SOAP POSTs are logged (the NTLM NEGOTIATE leg is a GET without a body).
    expect(server.requests).toEqual([
      { operation: 'FindFolder', user: ALICE, status: 200 },
      { operation: 'GetFolder', user: ALICE, status: 200 },
      { operation: 'GetFolder', user: BOB, status: 200 },
    ]);

    const wrong = await rejection(Folder.Bind(ntlm(ALICE, ALICE, 'not-it'), WellKnownFolderName.Inbox));
    expect(wrong['HttpStatusCode']).toBe(401);
    // An NTLM server does not take Basic credentials.
    const basic = await rejection(Folder.Bind(connect(server), WellKnownFolderName.Inbox));
    expect(basic['HttpStatusCode']).toBe(401);
    const raw = await fetch(server.url, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: '<x/>' });
    expect(raw.headers.get('www-authenticate')).toBe('Negotiate, NTLM');
  });
  it('binds the NTLM challenge to the TCP connection, as IIS does', async () => {
    const server = await start({ auth: 'ntlm' });
    const ntlmClient = createRequire(import.meta.url)('@ewsjs/ntlm-client') as {
      createType1Message(workstation: string, domain: string): string;
      decodeType2Message(header: string): unknown;
      createType3Message(type2: unknown, user: string, password: string, workstation: string, domain: string): string;
    };
    const send = (agent: http.Agent, authorization: string, body?: string) =>
      new Promise<{ status: number; challenge: string }>((resolve, reject) => {
        const request = http.request(server.url, { method: body === undefined ? 'GET' : 'POST', agent, headers: { Authorization: authorization, 'Content-Type': 'text/xml; charset=utf-8' } }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, challenge: String(response.headers['www-authenticate'] ?? '') }));
        });
        request.on('error', reject);
        request.end(body);
      });
    const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const fresh = new http.Agent({ keepAlive: false });
    try {
      const challenge = await send(kept, ntlmClient.createType1Message('.', ''));
      expect(challenge.status).toBe(401);
      expect(challenge.challenge).toMatch(/^NTLM [A-Za-z0-9+/=]+$/);
      const type3 = ntlmClient.createType3Message(ntlmClient.decodeType2Message(challenge.challenge), ALICE, PASSWORDS[ALICE]!, '.', '');
      // The same AUTHENTICATE message on another connection: the server knows no challenge there.
      expect((await send(fresh, type3, fixture('getfolder-request.xml'))).status).toBe(401);
      // On the connection that got the challenge it authenticates.
      expect((await send(kept, type3, fixture('getfolder-request.xml'))).status).toBe(200);
    } finally {
      kept.destroy();
      fresh.destroy();
    }
  });
});

describe('EWS test server: fault switches', () => {
  it('serverBusy: HTTP 500 SOAP fault ErrorServerBusy with BackOffMilliseconds, then normal service', async () => {
    const server = await start();
    const service = connect(server);
    server.faults.serverBusy(2, 1500);
    for (let i = 0; i < 2; i += 1) {
      const busy = await rejection(Folder.Bind(service, WellKnownFolderName.Inbox));
      expect(busy['HttpStatusCode']).toBe(500);
      expect(busy['ResponseCode']).toBe(ServiceError.ErrorServerBusy);
      expect((busy['ErrorDetails'] as { get(key: string): string }).get('BackOffMilliseconds')).toBe('1500');
    }
    expect((await Folder.Bind(service, WellKnownFolderName.Inbox)).DisplayName).toBe('Inbox');
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 200]);

    server.faults.serverBusy(1, 250);
    const raw = await post(server, fixture('getfolder-request.xml'));
    expect(raw.status).toBe(500);
    expect(raw.contentType).toBe('text/xml; charset=utf-8');
    const shape = xmlShape(raw.body);
    for (const path of [
      'soap:Envelope/soap:Body/soap:Fault/{}:faultcode',
      'soap:Envelope/soap:Body/soap:Fault/{}:detail/e:ResponseCode',
      'soap:Envelope/soap:Body/soap:Fault/{}:detail/t:MessageXml/t:Value@Name',
    ]) {
      expect(shape).toContain(path);
    }
    expect(raw.body).toContain('>a:ErrorServerBusy</faultcode>');
    expect(raw.body).toContain('<t:Value Name="BackOffMilliseconds">250</t:Value>');
  });

  it('unavailable: plain HTTP 503 for the next requests', async () => {
    const server = await start();
    const service = connect(server);
    server.faults.unavailable(2);
    for (let i = 0; i < 2; i += 1) {
      expect((await rejection(Folder.Bind(service, WellKnownFolderName.Inbox)))['HttpStatusCode']).toBe(503);
    }
    expect((await Folder.Bind(service, WellKnownFolderName.Inbox)).DisplayName).toBe('Inbox');
    expect(server.requests.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('invalidSyncState: ErrorInvalidSyncStateData for SyncFolderItems calls that carry a state', async () => {
    const server = await start();
    server.mailbox(ALICE).addMessage('Inbox', mime('x'));
    const service = connect(server);
    const inbox = new FolderId(WellKnownFolderName.Inbox);
    server.faults.invalidSyncState(1);
    const first = await service.SyncFolderItems(inbox, PropertySet.IdOnly, [], 10, SyncFolderItemsScope.NormalItems, NO_STATE); // no state: unaffected
    expect(first.Count).toBe(1);
    const error = await rejection(service.SyncFolderItems(inbox, PropertySet.IdOnly, [], 10, SyncFolderItemsScope.NormalItems, first.SyncState));
    expect(error['ErrorCode']).toBe(ServiceError.ErrorInvalidSyncStateData);
    const retry = await service.SyncFolderItems(inbox, PropertySet.IdOnly, [], 10, SyncFolderItemsScope.NormalItems, first.SyncState);
    expect(retry.Count).toBe(0);
    // A state from another folder is invalid too, with or without the switch.
    const other = await rejection(service.SyncFolderItems(new FolderId(WellKnownFolderName.SentItems), PropertySet.IdOnly, [], 10, SyncFolderItemsScope.NormalItems, first.SyncState));
    expect(other['ErrorCode']).toBe(ServiceError.ErrorInvalidSyncStateData);
  });

  it('rejectCreate and the size limit fail single items of a CreateItem batch', async () => {
    const server = await start({ maxMessageBytes: 4096 });
    const service = connect(server);
    server.faults.rejectCreate('X-Quota-Test: yes', 'ErrorQuotaExceeded');
    server.faults.rejectCreate(Buffer.from('MARK-BIG'), 'ErrorMessageSizeExceeded');
    const bodies = [mime('fine'), mime('quota', 'x\r\n', 'X-Quota-Test: yes\r\n'), mime('marked', 'MARK-BIG\r\n'), mime('huge', 'y'.repeat(5000)), mime('also fine')];
    const items = bodies.map((b) => {
      const m = new EmailMessage(service);
      m.MimeContent = new MimeContent('UTF-8', b.toString('base64'));
      m.SetExtendedProperty(PR_MESSAGE_FLAGS(), 1);
      return m;
    });
    const result = await service.CreateItems(items, new FolderId(WellKnownFolderName.Inbox), MessageDisposition.SaveOnly, SendInvitationsMode.SendToNone);
    expect(result.Responses.map((r) => [r.Result, r.ErrorCode])).toEqual([
      [ServiceResult.Success, ServiceError.NoError],
      [ServiceResult.Error, ServiceError.ErrorQuotaExceeded],
      [ServiceResult.Error, ServiceError.ErrorMessageSizeExceeded],
      [ServiceResult.Error, ServiceError.ErrorMessageSizeExceeded],
      [ServiceResult.Success, ServiceError.NoError],
    ]);
    expect(server.mailbox(ALICE).messages('Inbox').map((m) => m.mime)).toEqual([bodies[0], bodies[4]]);

    server.faults.clear();
    const again = new EmailMessage(service);
    again.MimeContent = new MimeContent('UTF-8', bodies[1]!.toString('base64'));
    await again.Save(WellKnownFolderName.Inbox);
    expect(server.mailbox(ALICE).messages('Inbox')).toHaveLength(3);
  });
});

describe('EWS test server: SOAP-level errors', () => {
  it('answers unknown operations and malformed requests with a SOAP fault', async () => {
    const server = await start();
    const unknown = await post(
      server,
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Body><m:ExportItems/></soap:Body></soap:Envelope>`,
    );
    expect(unknown.status).toBe(500);
    expect(unknown.body).toContain('>a:ErrorInvalidRequest</faultcode>');
    expect(unknown.body).toContain('ExportItems');
    const malformed = await post(server, '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>');
    expect(malformed.status).toBe(500);
    expect(malformed.body).toContain('>a:ErrorSchemaValidation</faultcode>');
    expect(server.requests.map((r) => [r.operation, r.status])).toEqual([['ExportItems', 500], ['', 500]]);
    expect((await fetch(server.url.replace('Exchange.asmx', 'Other.asmx'), { method: 'POST' })).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------
// Structure of the answers against Microsoft's samples (test/fixtures/ews/README.md).

function fixture(name: string): string {
  return fs.readFileSync(new URL(`../fixtures/ews/${name}`, import.meta.url), 'utf8');
}

/** A path is excused when one of its elements is in the list, or it ends with a listed "element@attribute". */
function excused(path: string, list: readonly string[]): boolean {
  return list.some((entry) => (entry.includes('@') ? path.endsWith(`/${entry}`) : path.split('/').some((segment) => segment.split('@')[0] === entry)));
}

/**
 * Our answer has no element or attribute the sample lacks (except `extra`), and every one
 * of the sample's (except the properties this server does not model, `notEmitted`).
 */
function expectSampleShape(answer: string, sampleName: string, options: { extra?: readonly string[]; notEmitted?: readonly string[] } = {}): void {
  const ours = xmlShape(answer);
  const sample = xmlShape(fixHttpsNamespaces(fixture(sampleName)));
  expect([...ours].filter((p) => !sample.has(p) && !excused(p, options.extra ?? [])), `only in our answer, not in ${sampleName}`).toEqual([]);
  expect([...sample].filter((p) => !ours.has(p) && !excused(p, options.notEmitted ?? [])), `only in ${sampleName}, not in our answer`).toEqual([]);
  expect(answer).toMatch(/<t:ServerVersionInfo MajorVersion="15"/);
}

/** Exchange 2013+ writes ServerVersionInfo@Version; the Exchange 2007 samples predate it. */
const E2007 = ['t:ServerVersionInfo@Version'];

describe('EWS test server answers have the structure of Microsoft samples', () => {
  it('GetFolder (success and ErrorInvalidIdMalformed)', async () => {
    const server = await start();
    server.mailbox(ALICE).addMessage('Inbox', mime('1'));
    const ok = await post(server, fixture('getfolder-request.xml'));
    expect(ok.status).toBe(200);
    expect(ok.contentType).toBe('text/xml; charset=utf-8');
    expectSampleShape(ok.body, 'getfolder-response.xml', { extra: E2007 });
    const bad = await post(server, fixture('getfolder-request.xml').replace('<t:DistinguishedFolderId Id="inbox"/>', '<t:FolderId Id="AQApA="/>'));
    expectSampleShape(bad.body, 'getfolder-error-response.xml', { extra: E2007 });
    expect(bad.body).toContain('<m:ResponseCode>ErrorInvalidIdMalformed</m:ResponseCode>');
  });

  it('FindFolder', async () => {
    const server = await start();
    server.mailbox(ALICE).addFolder('Inbox/TestFolder');
    const answer = await post(server, fixture('findfolder-request.xml'));
    expectSampleShape(answer.body, 'findfolder-response.xml', { extra: E2007 });
    expect(answer.body).toContain('<t:DisplayName>TestFolder</t:DisplayName>');
  });

  it('CreateFolder (success and ErrorFolderExists)', async () => {
    const server = await start();
    const created = await post(server, fixture('createfolder-request.xml'));
    // The sample shortened its FolderIds to Id only; Exchange (and the other samples) add ChangeKey.
    expectSampleShape(created.body, 'createfolder-response.xml', { extra: [...E2007, 't:FolderId@ChangeKey'] });
    expect(server.mailbox(ALICE).folders().map((f) => f.path)).toEqual(expect.arrayContaining(['Folder1', 'Folder2']));
    const exists = await post(server, fixture('createfolder-request.xml'));
    expectSampleShape(exists.body, 'createfolder-error-response.xml', { extra: E2007 });
  });

  it('FindItem', async () => {
    const server = await start();
    server.mailbox(ALICE).addMessage('Deleted Items', mime('1'));
    server.mailbox(ALICE).addMessage('Deleted Items', mime('2'));
    const answer = await post(server, fixHttpsNamespaces(fixture('finditem-request.xml')));
    expectSampleShape(answer.body, 'finditem-response.xml', { extra: E2007 });
  });

  it('GetItem with MimeContent', async () => {
    const server = await start();
    const bytes = mime('exported');
    const id = server.mailbox(ALICE).addMessage('Inbox', bytes);
    const request = fixHttpsNamespaces(fixture('getitem-mime-request.xml')).replace('Id="AAMkADEzYjJkLTYxMwB8GqYicWAAA="', `Id="${id}"`);
    const answer = await post(server, request);
    expectSampleShape(answer.body, 'getitem-mime-response.xml');
    const base64 = /<t:MimeContent CharacterSet="UTF-8">([^<]*)<\/t:MimeContent>/.exec(answer.body)?.[1] ?? '';
    expect(Buffer.from(base64, 'base64').equals(bytes)).toBe(true);
  });

  it('SyncFolderItems: a foreign SyncState gives the sample error response', async () => {
    const server = await start();
    const answer = await post(server, fixture('syncfolderitems-request.xml'));
    expectSampleShape(answer.body, 'syncfolderitems-error-response.xml', { extra: E2007 });
    expect(answer.body).toContain('<m:ResponseCode>ErrorInvalidSyncStateData</m:ResponseCode>');
  });

  it('SyncFolderItems: initial sync, then Update / Create / ReadFlagChange / Delete', async () => {
    const server = await start();
    const mailbox = server.mailbox(ALICE);
    const ids = ['1', '2', '3', '4', '5'].map((s) => mailbox.addMessage('Inbox', mime(s)));
    const initial = await post(server, fixHttpsNamespaces(fixture('syncfolderitems-initial-request.xml')));
    expectSampleShape(initial.body, 'syncfolderitems-initial-response.xml');
    const state = /<m:SyncState>([^<]+)<\/m:SyncState>/.exec(initial.body)?.[1] ?? '';

    const flagged = await EmailMessage.Bind(connect(server), new ItemId(ids[0]!));
    flagged.Flag = new Flag();
    flagged.Flag.FlagStatus = ItemFlagStatus.Flagged;
    await flagged.Update(ConflictResolutionMode.AutoResolve); // -> Update
    mailbox.addMessage('Inbox', mime('6')); // -> Create
    mailbox.setRead(ids[1]!, true); // -> ReadFlagChange
    mailbox.deleteItem(ids[2]!); // -> Delete
    const request = fixHttpsNamespaces(fixture('syncfolderitems-changes-request.xml')).replace('<m:SyncState>H4sIAAA==</m:SyncState>', `<m:SyncState>${state}</m:SyncState>`);
    const answer = await post(server, request);
    // AllProperties: the properties this server does not model are missing from its answer.
    expectSampleShape(answer.body, 'syncfolderitems-changes-response.xml', {
      notEmitted: [
        't:Importance', 't:InReplyTo', 't:IsSubmitted', 't:IsFromMe', 't:IsResend', 't:IsUnmodified', 't:DisplayCc', 't:DisplayTo',
        't:Culture', 't:EffectiveRights', 't:LastModifiedName', 't:LastModifiedTime', 't:IsAssociated', 't:WebClientReadFormQueryString',
        't:ConversationId', 't:Sender', 't:IsReadReceiptRequested', 't:ConversationIndex', 't:ConversationTopic', 't:From',
        't:InternetMessageId', 't:References',
      ],
    });
  });

  it('CreateItem (new contact, and a rejected message)', async () => {
    const server = await start();
    const request = (items: string, attributes = '') =>
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">` +
      `<soap:Body><CreateItem ${attributes} xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><SavedItemFolderId><t:DistinguishedFolderId Id="contacts"/></SavedItemFolderId>` +
      `<Items>${items}</Items></CreateItem></soap:Body></soap:Envelope>`;
    const contact = await post(server, request('<t:Contact><t:FileAs>SampleContact</t:FileAs><t:GivenName>Tanja</t:GivenName><t:Surname>Plate</t:Surname></t:Contact>'));
    expectSampleShape(contact.body, 'createitem-contact-response.xml', { extra: E2007 });
    expect(server.mailbox(ALICE).messages('Contacts').map((m) => m.itemClass)).toEqual(['IPM.Contact']);

    server.faults.rejectCreate('Subject: refused', 'ErrorQuotaExceeded');
    const message = `<t:Message><t:MimeContent CharacterSet="UTF-8">${mime('refused').toString('base64')}</t:MimeContent></t:Message>`;
    const refused = await post(server, request(message, 'MessageDisposition="SaveOnly"'));
    expectSampleShape(refused.body, 'createitem-error-response.xml', { extra: E2007 });
    expect(refused.body).toContain('<m:ResponseCode>ErrorQuotaExceeded</m:ResponseCode>');
  });
});
