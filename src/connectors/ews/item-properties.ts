/**
 * The MAPI properties the connector reads and writes beyond EWS's own schema, and the
 * property sets of its requests.
 *
 * Property definitions are made once: ews-javascript-api compares them by value, and a
 * named property needs a Guid object (a string propertySetId fails with
 * "propertySetId.ToString is not a function", issue #289).
 */
import {
  BasePropertySet, EmailMessageSchema, ExtendedPropertyDefinition, FolderSchema, Guid, ItemSchema, MapiPropertyType, PropertySet,
} from 'ews-javascript-api';

/** PidTagLastVerbExecuted: 102 reply, 103 reply all, 104 forward. */
export const LAST_VERB_EXECUTED = new ExtendedPropertyDefinition(0x1081, MapiPropertyType.Integer);
/** PR_MESSAGE_FLAGS: an item created from MIME without it is a draft (MSGFLAG_UNSENT) in every client. */
export const MESSAGE_FLAGS = new ExtendedPropertyDefinition(0x0e07, MapiPropertyType.Integer);
/** PR_MESSAGE_DELIVERY_TIME: what EWS reads as DateTimeReceived (IMAP INTERNALDATE). */
export const DELIVERY_TIME = new ExtendedPropertyDefinition(0x0e06, MapiPropertyType.SystemTime);
/** PR_CLIENT_SUBMIT_TIME: what EWS reads as DateTimeSent (the Date: header). */
export const CLIENT_SUBMIT_TIME = new ExtendedPropertyDefinition(0x0039, MapiPropertyType.SystemTime);
/** PidTagAttributeHidden: folders Exchange and add-ins keep for themselves. */
export const ATTRIBUTE_HIDDEN = new ExtendedPropertyDefinition(0x10f4, MapiPropertyType.Boolean);

/**
 * mailferry's own property set (a GUID minted for it; never reuse it for anything else).
 * Its named property MailferrySourceKey holds the caller's idempotency marker on every
 * item the target creates, so a copy made just before a crash can be found again.
 */
export const MAILFERRY_PROPERTY_SET = '4e84df9c-d217-41f9-a375-0c27c030b5e2';
export const MARKER_PROPERTY_NAME = 'MailferrySourceKey';
export const SOURCE_KEY = new ExtendedPropertyDefinition(new Guid(MAILFERRY_PROPERTY_SET), MARKER_PROPERTY_NAME, MapiPropertyType.String);

/** What syncItems asks for: ids and sizes only (Microsoft's pattern: Sync* IdOnly, then GetItem in batches). */
export function syncPropertySet(): PropertySet {
  return new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Size]);
}

/** What fetchItems asks for: the MIME and the state IMAP can express (and the folder, to notice a moved item). */
export function fetchPropertySet(): PropertySet {
  return new PropertySet(BasePropertySet.IdOnly, [
    ItemSchema.MimeContent, EmailMessageSchema.IsRead, ItemSchema.Flag, ItemSchema.Categories, ItemSchema.DateTimeReceived,
    ItemSchema.Size, ItemSchema.ParentFolderId, ItemSchema.IsDraft, LAST_VERB_EXECUTED,
  ]);
}

/** What itemFlags asks for: the state IMAP can express, without the MIME (and the folder, to notice a moved item). */
export function flagsPropertySet(): PropertySet {
  return new PropertySet(BasePropertySet.IdOnly, [
    EmailMessageSchema.IsRead, ItemSchema.Flag, ItemSchema.Categories, ItemSchema.ParentFolderId, ItemSchema.IsDraft, LAST_VERB_EXECUTED,
  ]);
}

/** What the folder listing asks for. */
export function folderPropertySet(): PropertySet {
  return new PropertySet(BasePropertySet.IdOnly, [
    FolderSchema.DisplayName, FolderSchema.FolderClass, FolderSchema.ParentFolderId, FolderSchema.TotalCount, ATTRIBUTE_HIDDEN,
  ]);
}
