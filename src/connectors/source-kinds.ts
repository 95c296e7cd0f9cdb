/** Every kind of source a run can read from, and how to tell them apart. */
import type { ItemSyncSource, MaildropSource, SourceConnector } from './types.js';

/** UID-based (IMAP, and POP3 as a maildrop) or item-keyed with a sync state (EWS). */
export type AnySource = SourceConnector | MaildropSource | ItemSyncSource;

export function isItemSyncSource(source: AnySource): source is ItemSyncSource {
  return (source as Partial<ItemSyncSource>).kind === 'item-sync';
}
