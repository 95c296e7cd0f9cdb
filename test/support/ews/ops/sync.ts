/**
 * SyncFolderItems (syncfolderitems-operation.md, how-to-synchronize-items-by-using-ews-in-
 * exchange.md). The SyncState is a watermark: "the client has seen every change up to
 * change number W in folder F". A call reports, per item, its net change since W:
 *   created after W (and still there)          -> Create   (current state, sorted at its last change)
 *   existed at W, deleted after W              -> Delete
 *   existed at W, other property changed       -> Update
 *   existed at W, only the read flag changed   -> ReadFlagChange
 * sorted by change number. A page of at most MaxChangesReturned (and at most
 * maxSyncChanges, the server's own cap) ends at the change number of its last entry, which
 * becomes the new watermark, so the next call resumes exactly after it.
 */
import { resolveFolderIn, type OpContext } from '../context.js';
import { decodeSyncState, encodeSyncState } from '../ids.js';
import type { ItemRecord } from '../mailbox.js';
import { NS } from '../namespaces.js';
import { failure, operationResponse, SoapFaultError, success } from '../soap.js';
import { parseShape } from '../shape.js';
import { itemIdXml, writeItem } from '../writers.js';
import { attr, children, mChild, textOf } from '../xml-reader.js';
import { el, text } from '../xml-writer.js';

type ChangeKind = 'Create' | 'Update' | 'ReadFlagChange' | 'Delete';

interface Change {
  kind: ChangeKind;
  item: ItemRecord;
  /** Position in the change order: the change number that produced this net change. */
  at: number;
}

export function netChanges(items: readonly ItemRecord[], watermark: number): Change[] {
  const changes: Change[] = [];
  for (const item of items) {
    if (item.createdCn > watermark) {
      if (item.deletedCn === undefined) changes.push({ kind: 'Create', item, at: item.lastCn });
    } else if (item.deletedCn !== undefined) {
      if (item.deletedCn > watermark) changes.push({ kind: 'Delete', item, at: item.deletedCn });
    } else if (item.updateCn > watermark) {
      changes.push({ kind: 'Update', item, at: item.lastCn });
    } else if (item.readCn > watermark) {
      changes.push({ kind: 'ReadFlagChange', item, at: item.readCn });
    }
  }
  return changes.sort((a, b) => a.at - b.at);
}

/** [MS-OXWSSYNC]: MaxChangesReturned is an int from 1 to 512; anything else fails schema validation. */
const MAX_CHANGES_LIMIT = 512;

export function syncFolderItems(ctx: OpContext, request: Element): string {
  const op = 'SyncFolderItems';
  const maxText = textOf(mChild(request, 'MaxChangesReturned')) ?? '';
  const requested = /^\d+$/.test(maxText) ? Number(maxText) : NaN;
  if (!(requested >= 1 && requested <= MAX_CHANGES_LIMIT)) {
    throw new SoapFaultError('ErrorSchemaValidation', `The request failed schema validation: MaxChangesReturned '${maxText}' is not an integer from 1 to 512.`);
  }
  // The error answer of Microsoft's sample still carries an empty SyncState and IncludesLastItemInRange.
  const errorTrailer = [el('m:SyncState'), text('m:IncludesLastItemInRange', true)];
  const shape = parseShape(mChild(request, 'ItemShape'));
  if (!shape) return operationResponse(op, [failure(op, 'ErrorInvalidPropertyRequest', errorTrailer)]);
  const folder = resolveFolderIn(ctx, mChild(request, 'SyncFolderId')) ?? { error: 'ErrorFolderNotFound' };
  if (folder.error !== undefined) return operationResponse(op, [failure(op, folder.error, errorTrailer)]);

  const stateText = textOf(mChild(request, 'SyncState')) ?? '';
  let watermark = 0;
  if (stateText !== '') {
    const state = decodeSyncState(stateText);
    const foreign = !state || state.mailboxGuid !== ctx.mailbox.guidHex || state.folderNum !== folder.ok.num || state.watermark > ctx.mailbox.currentCn;
    if (!state || foreign || ctx.faults.takeInvalidSyncState()) return operationResponse(op, [failure(op, 'ErrorInvalidSyncStateData', errorTrailer)]);
    watermark = state.watermark;
  }
  const ignore = mChild(request, 'Ignore');
  const ignored = new Set(ignore ? children(ignore, NS.types, 'ItemId').map((e) => attr(e, 'Id') ?? '') : []);

  const all = netChanges(folder.ok.items, watermark);
  const limit = Math.min(requested, ctx.maxSyncChanges);
  const pageChanges = all.slice(0, limit);
  const complete = all.length <= limit;
  const last = pageChanges[pageChanges.length - 1];
  const newWatermark = complete || !last ? ctx.mailbox.currentCn : last.at;

  const changeXml = pageChanges
    .filter((c) => !ignored.has(c.item.id))
    .map((c) => {
      switch (c.kind) {
        case 'Create':
        case 'Update':
          return el(`t:${c.kind}`, {}, [writeItem(ctx.mailbox, c.item, shape)]);
        case 'ReadFlagChange':
          return el('t:ReadFlagChange', {}, [itemIdXml(ctx.mailbox, c.item), text('t:IsRead', c.item.isRead)]);
        case 'Delete':
          return el('t:Delete', {}, [itemIdXml(ctx.mailbox, c.item)]);
      }
    });
  return operationResponse(op, [
    success(op, [
      text('m:SyncState', encodeSyncState(ctx.mailbox.guid, folder.ok.num, newWatermark)),
      text('m:IncludesLastItemInRange', complete),
      el('m:Changes', {}, changeXml),
    ]),
  ]);
}
