/**
 * UpdateItem (SetItemField / DeleteItemField for message:IsRead, item:Categories,
 * item:Flag and extended properties) and DeleteItem. A change of IsRead alone shows up in
 * SyncFolderItems as ReadFlagChange, any other change as Update. ChangeKeys in requests
 * are not checked (ConflictResolution AutoResolve semantics).
 */
import { resolveItem, type OpContext } from '../context.js';
import { parseExtendedFieldUri } from '../extended-props.js';
import type { FlagStatus, ItemRecord } from '../mailbox.js';
import { NS } from '../namespaces.js';
import { failure, operationResponse, success } from '../soap.js';
import { itemIdXml, itemElementName } from '../writers.js';
import { attr, children, mChild, tChild, textOf } from '../xml-reader.js';
import { el, text } from '../xml-writer.js';

/** Applies one SetItemField/DeleteItemField; returns an error code, or what kind of change it was. */
function applyUpdate(ctx: OpContext, item: ItemRecord, update: Element): 'read' | 'other' | { error: string } {
  const set = update.localName === 'SetItemField';
  if (!set && update.localName !== 'DeleteItemField') return { error: 'ErrorInvalidPropertyForOperation' };
  const uri = children(update, NS.types).find((c) => c.localName === 'FieldURI' || c.localName === 'ExtendedFieldURI');
  if (!uri) return { error: 'ErrorInvalidPropertySet' };
  const carrier = children(update, NS.types).find((c) => c !== uri);
  if (uri.localName === 'ExtendedFieldURI') {
    const ref = parseExtendedFieldUri(uri);
    if (!ref) return { error: 'ErrorInvalidExtendedProperty' };
    if (!set) item.extended.delete(ref.key);
    else {
      const value = textOf(tChild(tChild(carrier ?? update, 'ExtendedProperty') ?? update, 'Value'));
      if (value === undefined) return { error: 'ErrorInvalidExtendedPropertyValue' };
      item.extended.set(ref.key, { type: ref.type, value });
    }
    ctx.mailbox.touch(item);
    return 'other';
  }
  switch (attr(uri, 'FieldURI')) {
    case 'message:IsRead': {
      const value = set ? textOf(tChild(carrier ?? update, 'IsRead')) : 'false';
      ctx.mailbox.setRead(item, value === 'true');
      return 'read';
    }
    case 'item:Categories': {
      const list = set ? tChild(carrier ?? update, 'Categories') : undefined;
      item.categories = list ? children(list, NS.types, 'String').map((s) => textOf(s) ?? '') : [];
      ctx.mailbox.touch(item);
      return 'other';
    }
    case 'item:Flag': {
      const status = set ? textOf(tChild(tChild(carrier ?? update, 'Flag') ?? update, 'FlagStatus')) : 'NotFlagged';
      if (status !== 'NotFlagged' && status !== 'Flagged' && status !== 'Complete') return { error: 'ErrorInvalidPropertySet' };
      item.flag = status satisfies FlagStatus;
      ctx.mailbox.touch(item);
      return 'other';
    }
    default:
      return { error: 'ErrorInvalidPropertySet' };
  }
}

export function updateItem(ctx: OpContext, request: Element): string {
  const op = 'UpdateItem';
  const changes = children(mChild(request, 'ItemChanges') ?? request, NS.types, 'ItemChange');
  const messages = changes.map((change) => {
    const resolved = resolveItem(ctx, attr(tChild(change, 'ItemId') ?? change, 'Id'));
    if (resolved.error !== undefined) return failure(op, resolved.error, [el('m:Items')]);
    const updates = tChild(change, 'Updates');
    for (const update of updates ? children(updates, NS.types) : []) {
      const result = applyUpdate(ctx, resolved.ok, update);
      if (typeof result === 'object') return failure(op, result.error, [el('m:Items')]);
    }
    const item = resolved.ok;
    return success(op, [
      el('m:Items', {}, [el(`t:${itemElementName(item.itemClass)}`, {}, [itemIdXml(ctx.mailbox, item)])]),
      el('m:ConflictResults', {}, [text('t:Count', 0)]),
    ]);
  });
  return operationResponse(op, messages);
}

export function deleteItem(ctx: OpContext, request: Element): string {
  const op = 'DeleteItem';
  const deleteType = attr(request, 'DeleteType') ?? 'MoveToDeletedItems';
  const ids = children(mChild(request, 'ItemIds') ?? request, NS.types, 'ItemId');
  const deletedItems = ctx.mailbox.distinguishedFolder('deleteditems');
  const messages = ids.map((id) => {
    const resolved = resolveItem(ctx, attr(id, 'Id'));
    if (resolved.error !== undefined) return failure(op, resolved.error);
    // No dumpster in this model: SoftDelete is as final as HardDelete.
    if (deleteType === 'MoveToDeletedItems' && deletedItems && resolved.ok.folder !== deletedItems) ctx.mailbox.move(resolved.ok, deletedItems);
    else ctx.mailbox.delete(resolved.ok);
    return success(op);
  });
  return operationResponse(op, messages);
}
