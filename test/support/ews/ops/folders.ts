/**
 * GetFolder, FindFolder and CreateFolder (getfolder-operation.md, findfolder-operation.md,
 * createfolder-operation.md in Microsoft's EWS reference).
 */
import { folderRefs, resolveFolder, resolveFolderIn, type OpContext } from '../context.js';
import type { FolderRecord } from '../mailbox.js';
import { NS } from '../namespaces.js';
import { page } from '../paging.js';
import { failure, operationResponse, success } from '../soap.js';
import { parseShape } from '../shape.js';
import { folderIdXml, writeFolder } from '../writers.js';
import { attr, children, mChild, tChild, textOf } from '../xml-reader.js';
import { el } from '../xml-writer.js';

export function getFolder(ctx: OpContext, request: Element): string {
  const shape = parseShape(mChild(request, 'FolderShape'));
  const messages = folderRefs(mChild(request, 'FolderIds')).map((ref) => {
    if (!shape) return failure('GetFolder', 'ErrorInvalidPropertyRequest', [el('m:Folders')]);
    const resolved = resolveFolder(ctx, ref);
    if (resolved.error !== undefined) return failure('GetFolder', resolved.error, [el('m:Folders')]);
    return success('GetFolder', [el('m:Folders', {}, [writeFolder(ctx.mailbox, resolved.ok, shape)])]);
  });
  return operationResponse('GetFolder', messages);
}

export function findFolder(ctx: OpContext, request: Element): string {
  const shape = parseShape(mChild(request, 'FolderShape'));
  const deep = attr(request, 'Traversal') === 'Deep';
  const view = mChild(request, 'IndexedPageFolderView');
  const messages = folderRefs(mChild(request, 'ParentFolderIds')).map((ref) => {
    if (!shape) return failure('FindFolder', 'ErrorInvalidPropertyRequest');
    // Folder restrictions are not needed by the migration; refuse them rather than ignore them.
    if (mChild(request, 'Restriction')) return failure('FindFolder', 'ErrorUnsupportedQueryFilter');
    const resolved = resolveFolder(ctx, ref);
    if (resolved.error !== undefined) return failure('FindFolder', resolved.error);
    const all: FolderRecord[] = deep ? ctx.mailbox.descendants(resolved.ok) : [...resolved.ok.children];
    const { entries, rootAttributes } = page(all, view);
    return success('FindFolder', [
      el('m:RootFolder', rootAttributes, [el('t:Folders', {}, entries.map((f) => writeFolder(ctx.mailbox, f, shape)))]),
    ]);
  });
  return operationResponse('FindFolder', messages);
}

const DEFAULT_FOLDER_CLASS: Record<string, string | undefined> = {
  Folder: 'IPF.Note',
  CalendarFolder: 'IPF.Appointment',
  ContactsFolder: 'IPF.Contact',
  TasksFolder: 'IPF.Task',
  SearchFolder: undefined,
};

export function createFolder(ctx: OpContext, request: Element): string {
  const parent = resolveFolderIn(ctx, mChild(request, 'ParentFolderId')) ?? { error: 'ErrorFolderNotFound' };
  const specs = children(mChild(request, 'Folders') ?? request, NS.types).filter((e) => e.localName in DEFAULT_FOLDER_CLASS);
  const messages = specs.map((spec) => {
    if (parent.error !== undefined) return failure('CreateFolder', parent.error, [el('m:Folders')]);
    const displayName = textOf(tChild(spec, 'DisplayName'));
    if (!displayName) return failure('CreateFolder', 'ErrorInvalidRequest', [el('m:Folders')], 'A folder needs a DisplayName.');
    const folderClass = textOf(tChild(spec, 'FolderClass')) ?? DEFAULT_FOLDER_CLASS[spec.localName];
    const created = ctx.mailbox.createFolder(parent.ok, displayName, folderClass);
    if (!created) return failure('CreateFolder', 'ErrorFolderExists', [el('m:Folders')]);
    // The answer names the folder type the request used.
    return success('CreateFolder', [el('m:Folders', {}, [el(`t:${spec.localName}`, {}, [folderIdXml(ctx.mailbox, created)])])]);
  });
  return operationResponse('CreateFolder', messages);
}
