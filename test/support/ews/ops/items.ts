/**
 * GetItem and FindItem (getitem-operation-email-message.md, finditem-operation.md).
 * GetItem answers one response message per requested id, in request order, with
 * ErrorItemNotFound / ErrorInvalidIdMalformed / ErrorAccessDenied for the ids it cannot
 * return, and MimeContent as base64 of the stored bytes with CharacterSet="UTF-8".
 */
import { folderRefs, resolveFolder, resolveItem, type OpContext } from '../context.js';
import { NS } from '../namespaces.js';
import { page } from '../paging.js';
import { compileRestriction, type Predicate } from '../restriction.js';
import { failure, operationResponse, success } from '../soap.js';
import { parseShape } from '../shape.js';
import { writeItem } from '../writers.js';
import { attr, children, mChild } from '../xml-reader.js';
import { el } from '../xml-writer.js';

export function getItem(ctx: OpContext, request: Element): string {
  const shape = parseShape(mChild(request, 'ItemShape'));
  const ids = children(mChild(request, 'ItemIds') ?? request, NS.types);
  const messages = ids.map((idElement) => {
    if (!shape) return failure('GetItem', 'ErrorInvalidPropertyRequest', [el('m:Items')]);
    const resolved = idElement.localName === 'ItemId' ? resolveItem(ctx, attr(idElement, 'Id')) : { error: 'ErrorInvalidIdMalformed' };
    if (resolved.error !== undefined) return failure('GetItem', resolved.error, [el('m:Items')]);
    return success('GetItem', [el('m:Items', {}, [writeItem(ctx.mailbox, resolved.ok, shape)])]);
  });
  return operationResponse('GetItem', messages);
}

export function findItem(ctx: OpContext, request: Element): string {
  const shape = parseShape(mChild(request, 'ItemShape'));
  const view = mChild(request, 'IndexedPageItemView');
  const restriction = mChild(request, 'Restriction');
  const messages = folderRefs(mChild(request, 'ParentFolderIds')).map((ref) => {
    if (!shape) return failure('FindItem', 'ErrorInvalidPropertyRequest');
    // Only Shallow is modelled; SoftDeleted finds nothing (no dumpster) and Associated items do not exist here.
    if (attr(request, 'Traversal') !== 'Shallow' && attr(request, 'Traversal') !== undefined) return failure('FindItem', 'ErrorInvalidOperation', [], 'Only Shallow traversal is supported by this test server.');
    const resolved = resolveFolder(ctx, ref);
    if (resolved.error !== undefined) return failure('FindItem', resolved.error);
    let predicate: Predicate = () => true;
    const filter = restriction && children(restriction, NS.types)[0];
    if (filter) {
      try {
        predicate = compileRestriction(ctx.mailbox, filter);
      } catch {
        return failure('FindItem', 'ErrorUnsupportedQueryFilter');
      }
    }
    // Exchange's default view order for a mail folder: newest DateTimeReceived first.
    const matching = ctx.mailbox
      .liveItems(resolved.ok)
      .filter(predicate)
      .sort((a, b) => b.received.getTime() - a.received.getTime() || b.num - a.num);
    const { entries, rootAttributes } = page(matching, view);
    return success('FindItem', [el('m:RootFolder', rootAttributes, [el('t:Items', {}, entries.map((i) => writeItem(ctx.mailbox, i, shape)))])]);
  });
  return operationResponse('FindItem', messages);
}
