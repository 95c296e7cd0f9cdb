/**
 * What an operation handler gets, and how it resolves the folder and item references of a
 * request against the mailbox it may reach. Only the effective mailbox (the caller's own,
 * or the one named in ExchangeImpersonation) is reachable: ids of other mailboxes and
 * DistinguishedFolderId/Mailbox of other users answer ErrorAccessDenied, exactly what a
 * caller without delegate rights gets from Exchange.
 */
import type { Directory } from './directory.js';
import type { FaultState } from './faults.js';
import { decodeId } from './ids.js';
import type { FolderRecord, ItemRecord, MailboxModel } from './mailbox.js';
import { NS } from './namespaces.js';
import { attr, children, tChild, textOf } from './xml-reader.js';

export interface OpContext {
  readonly directory: Directory;
  /** The mailbox the request acts on. */
  readonly mailbox: MailboxModel;
  readonly faults: FaultState;
  readonly maxSyncChanges: number;
  readonly maxMessageBytes: number;
}

export type Resolved<T> = { ok: T; error?: undefined } | { ok?: undefined; error: string };

/** The FolderId / DistinguishedFolderId children of a container such as ParentFolderIds. */
export function folderRefs(container: Element | undefined): Element[] {
  if (!container) return [];
  return children(container, NS.types).filter((e) => e.localName === 'FolderId' || e.localName === 'DistinguishedFolderId');
}

export function resolveFolder(ctx: OpContext, ref: Element): Resolved<FolderRecord> {
  if (ref.localName === 'DistinguishedFolderId') {
    const mailboxElement = tChild(ref, 'Mailbox');
    if (mailboxElement) {
      const address = textOf(tChild(mailboxElement, 'EmailAddress'));
      if (!address) return { error: 'ErrorMissingEmailAddress' };
      const other = ctx.directory.mailbox(address);
      if (!other) return { error: 'ErrorNonExistentMailbox' };
      if (other !== ctx.mailbox) return { error: 'ErrorAccessDenied' };
    }
    const folder = ctx.mailbox.distinguishedFolder(attr(ref, 'Id') ?? '');
    return folder ? { ok: folder } : { error: 'ErrorFolderNotFound' };
  }
  const decoded = decodeId(attr(ref, 'Id') ?? '');
  if (!decoded || decoded.kind !== 'folder') return { error: 'ErrorInvalidIdMalformed' };
  const owner = ctx.directory.mailboxByGuid(decoded.mailboxGuid);
  if (!owner) return { error: 'ErrorFolderNotFound' };
  if (owner !== ctx.mailbox) return { error: 'ErrorAccessDenied' };
  const folder = owner.folderByNum(decoded.num);
  return folder ? { ok: folder } : { error: 'ErrorFolderNotFound' };
}

/** The first folder reference inside `container` (SyncFolderId, SavedItemFolderId, ParentFolderId). */
export function resolveFolderIn(ctx: OpContext, container: Element | undefined): Resolved<FolderRecord> | undefined {
  const ref = folderRefs(container)[0];
  return ref ? resolveFolder(ctx, ref) : undefined;
}

export function resolveItem(ctx: OpContext, id: string | undefined): Resolved<ItemRecord> {
  const decoded = decodeId(id ?? '');
  if (!decoded || decoded.kind !== 'item') return { error: 'ErrorInvalidIdMalformed' };
  const owner = ctx.directory.mailboxByGuid(decoded.mailboxGuid);
  if (!owner) return { error: 'ErrorItemNotFound' };
  if (owner !== ctx.mailbox) return { error: 'ErrorAccessDenied' };
  const item = owner.itemByNum(decoded.num);
  return item && item.deletedCn === undefined ? { ok: item } : { error: 'ErrorItemNotFound' };
}
