/**
 * Response shapes (ItemShape / FolderShape): a BaseShape plus AdditionalProperties.
 * Which properties each BaseShape expands to follows Microsoft's samples: GetItem Default
 * (getitem-operation-email-message.md), SyncFolderItems AllProperties
 * (how-to-synchronize-items-by-using-ews-in-exchange.md), FindFolder/GetFolder Default
 * (findfolder-operation.md, getfolder-operation.md), limited to the properties this
 * server models. Properties it does not model (Body, recipients, ...) are left out.
 */
import { parseExtendedFieldUri, type ExtendedFieldRef } from './extended-props.js';
import { NS } from './namespaces.js';
import { attr, children, tChild, textOf } from './xml-reader.js';

export type BaseShape = 'IdOnly' | 'Default' | 'AllProperties';

export interface Shape {
  base: BaseShape;
  /** IncludeMimeContent true, or item:MimeContent asked for. */
  mime: boolean;
  /** FieldURI values, e.g. 'item:Size', 'message:IsRead', 'folder:DisplayName'. */
  fields: Set<string>;
  extended: ExtendedFieldRef[];
}

/** Undefined when an ExtendedFieldURI is incomplete (ErrorInvalidPropertyRequest). */
export function parseShape(shapeElement: Element | undefined): Shape | undefined {
  const baseText = textOf(shapeElement && tChild(shapeElement, 'BaseShape')) ?? 'IdOnly';
  const base: BaseShape = baseText === 'Default' || baseText === 'AllProperties' ? baseText : 'IdOnly';
  const shape: Shape = {
    base,
    mime: textOf(shapeElement && tChild(shapeElement, 'IncludeMimeContent')) === 'true',
    fields: new Set(),
    extended: [],
  };
  const additional = shapeElement && tChild(shapeElement, 'AdditionalProperties');
  for (const p of additional ? children(additional, NS.types) : []) {
    if (p.localName === 'FieldURI') shape.fields.add(attr(p, 'FieldURI') ?? '');
    else if (p.localName === 'ExtendedFieldURI') {
      const ref = parseExtendedFieldUri(p);
      if (!ref) return undefined;
      shape.extended.push(ref);
    }
  }
  if (shape.fields.has('item:MimeContent')) shape.mime = true;
  return shape;
}

const ITEM_BASE: Record<BaseShape, readonly string[]> = {
  IdOnly: ['item:ItemId'],
  Default: ['item:ItemId', 'item:Subject', 'item:Sensitivity', 'item:Size', 'item:DateTimeSent', 'item:DateTimeCreated', 'item:HasAttachments', 'message:IsRead'],
  AllProperties: [
    'item:ItemId',
    'item:ParentFolderId',
    'item:ItemClass',
    'item:Subject',
    'item:Sensitivity',
    'item:DateTimeReceived',
    'item:Size',
    'item:Categories',
    'item:IsDraft',
    'item:DateTimeSent',
    'item:DateTimeCreated',
    'item:HasAttachments',
    'message:IsRead',
  ],
};

const FOLDER_BASE: Record<BaseShape, readonly string[]> = {
  IdOnly: ['folder:FolderId'],
  Default: ['folder:FolderId', 'folder:DisplayName', 'folder:TotalCount', 'folder:ChildFolderCount', 'folder:UnreadCount'],
  AllProperties: [
    'folder:FolderId',
    'folder:ParentFolderId',
    'folder:FolderClass',
    'folder:DisplayName',
    'folder:TotalCount',
    'folder:ChildFolderCount',
    'folder:UnreadCount',
  ],
};

export function wants(shape: Shape, field: string, kind: 'item' | 'folder'): boolean {
  return shape.fields.has(field) || (kind === 'item' ? ITEM_BASE : FOLDER_BASE)[shape.base].includes(field);
}
