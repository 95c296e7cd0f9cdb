/**
 * What a source kind hands the copy engine: batches of messages grouped in pages. A page
 * is the checkpoint unit (its commit records the copies, clears its intents and moves the
 * cursor); a batch is the memory unit (bounded by bytes, fetched one ahead).
 */
import type { QuarantinedMessage, QuarantineEntry, SourceCursor } from '../../state/index.js';
import type { SourceMessage } from './source-message.js';

export interface CopyPage {
  /** The messages the page covers, by key: their intents are cleared when it commits. */
  readonly keys: readonly string[];
  /** The source cursor once the page is committed. */
  readonly after: SourceCursor;
}

/** Flags a source message has now, for its copy made in an earlier run. */
export interface FlagChange {
  readonly key: string;
  readonly flags: readonly string[];
}

export interface PageBatch {
  readonly page: CopyPage;
  readonly firstOfPage: boolean;
  readonly lastOfPage: boolean;
  readonly messages: readonly SourceMessage[];
  /** Messages listed but gone by the time they were fetched. */
  readonly vanished: number;
  /**
   * Flags of messages copied before that may have changed since: the engine sets them
   * on their copies. With `compareFlags` only where the copy's flags differ (the source
   * could not say which changed).
   */
  readonly flagChanges?: readonly FlagChange[];
  readonly compareFlags?: boolean;
  /** Gives the batch's bytes back to the budget; called once the batch is stored (or abandoned). */
  readonly release: () => void;
}

/** Counts the source side updates as it learns them. */
export interface SelectionTally {
  /** Messages selected for copying so far. */
  selected: number;
}

/**
 * One kind of source (UID, maildrop, item-sync) as the engine sees it for one folder run:
 * it reads its own starting point, says whether a stored cursor still fits the folder,
 * yields pages of batches from a cursor, and reports in its own terms.
 */
export interface CopySource {
  /** Reads what the folder is now (its status, its listing); called once before anything else. */
  begin(): Promise<void>;
  /** The stored source cursor still names this folder's messages (same UIDVALIDITY). */
  accepts(cursor: SourceCursor): boolean;
  /** The cursor of a folder never copied. */
  initial(): SourceCursor;
  /** A message's identity in copy markers: its key, qualified where the key alone is not stable (a UID by its UIDVALIDITY). */
  markerKey(key: string): string;
  /** Pages of batches after `cursor`; counts selected messages into `tally`. */
  batches(cursor: SourceCursor, quarantined: readonly QuarantineEntry[], tally: SelectionTally): AsyncGenerator<PageBatch>;
  /** The cursor once every page is committed. */
  completed(last: SourceCursor): SourceCursor;
  /** Quarantine entries of this folder as the report shows them (entries of an older generation left out). */
  describeQuarantine(entries: readonly QuarantineEntry[]): QuarantinedMessage[];
  /** After the last commit (a maildrop empties the box here, when asked): extra counts for the result. */
  finish?(): Promise<{ readonly deletedFromSource?: number }>;
}
