/**
 * The connector contract: what every mail source and target speaks (one import path for
 * the whole contract; the parts live in ./contract/).
 *
 * Connectors know nothing of queues, Redis or checkpoints. They expose pages and
 * bounded batches so that page boundaries can be checkpoint boundaries (IMAP runs one
 * command at a time per connection, so live iterators across other commands deadlock).
 */
export type {
  EnsuredFolder, FolderContent, FolderInfo, FolderStatus, ItemFolderInfo, ListFoldersOptions, Namespace, SpecialUse,
} from './contract/folders.js';
export type {
  AppendEachResult, AppendItem, AppendResult, FlagPolicy, ListOptions, MessageFlags, MessageMeta, RawMessage,
} from './contract/messages.js';
export type {
  AnySource, Connector, ItemChanges, ItemFlags, ItemMessage, ItemMirrorSource, ItemSyncFeatures, ItemSyncSource, MaildropEntry, MaildropFeatures,
  MaildropSource, MirrorSource, SourceKind, UidSource, UidSourceFeatures,
} from './contract/sources.js';
export type {
  MarkerRecovery, MirrorTarget, StoredCopy, TargetConnector, TargetFeatures, TargetRecovery, UidWindowRecovery,
} from './contract/targets.js';
export type { FolderWatcher, WatchEvent, WatchOptions } from './contract/watch.js';
export { OPEN_GATE, type AccountGate } from './contract/account-gate.js';
