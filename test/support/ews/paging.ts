/**
 * IndexedPageItemView / IndexedPageFolderView paging, shared by FindItem and FindFolder.
 * The answer's RootFolder carries IndexedPagingOffset (where the next page starts),
 * TotalItemsInView and IncludesLastItemInRange, which ews-javascript-api turns into
 * NextPageOffset, TotalCount and MoreAvailable.
 */
import { attr } from './xml-reader.js';

/** EWSFindCountLimit: Exchange never returns more than 1000 entries from one Find call. */
export const FIND_COUNT_LIMIT = 1000;

export interface Page<T> {
  entries: T[];
  rootAttributes: Record<string, string | number | boolean | undefined>;
}

/** `view` is the IndexedPage*View element, or undefined for "everything" (still capped). */
export function page<T>(all: readonly T[], view: Element | undefined): Page<T> {
  const max = Math.min(Number(view && attr(view, 'MaxEntriesReturned')) || FIND_COUNT_LIMIT, FIND_COUNT_LIMIT);
  const offset = Math.max(0, Number(view && attr(view, 'Offset')) || 0);
  const fromEnd = view !== undefined && attr(view, 'BasePoint') === 'End';
  const total = all.length;
  const start = fromEnd ? Math.max(0, total - offset - max) : Math.min(offset, total);
  const end = fromEnd ? Math.max(0, total - offset) : Math.min(total, offset + max);
  const entries = all.slice(start, end);
  return {
    entries,
    rootAttributes: {
      // Exchange only writes IndexedPagingOffset when the request used an indexed view.
      IndexedPagingOffset: view === undefined ? undefined : offset + entries.length,
      TotalItemsInView: total,
      IncludesLastItemInRange: fromEnd ? start === 0 : end >= total,
    },
  };
}
