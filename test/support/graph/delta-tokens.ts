/**
 * Delta state tokens (concepts/delta-query-overview.md, "State tokens"): the `$skiptoken`
 * of a nextLink and the `$deltatoken` of a deltaLink are opaque to the client and encode
 * the round's state, including the query options of the first request.
 *
 * As Outlook does, the state lives on the server and the token only names it (Outlook keeps
 * a cache of sync states and drops old ones: "Token duration" in that doc): so a token is
 * a random string, each page has its own token (re-reading an old nextLink replays that
 * page), and `expire()` drops states as the cache would. A token the server does not hold
 * for this folder (expired, forged, or another folder's) is answered as Outlook answers an
 * expired one: HTTP 410 with code SyncStateNotFound (see syncStateNotFound()).
 */
import { randomBytes } from 'node:crypto';
import { GraphError } from './errors.js';
import type { ExtendedPropertyId } from './odata.js';

export type ChangeType = 'created' | 'updated' | 'deleted';

/** The options of a round's first request, kept for all its pages and the next rounds. */
export interface DeltaOptions {
  readonly select: readonly string[] | undefined;
  readonly extended: readonly ExtendedPropertyId[] | undefined;
  readonly changeType: ChangeType | undefined;
  /** $top of the first request: a page size when no Prefer header says otherwise. */
  readonly top: number | undefined;
  /** `$filter=receivedDateTime ge|gt {value}`, the only filter delta takes: only messages received since then. */
  readonly receivedSince: { readonly inclusive: boolean; readonly time: number } | undefined;
  /** `$orderby=receivedDateTime desc`, the only order delta takes (without it the order is not guaranteed). */
  readonly newestFirst: boolean;
}

/** One change of a round: the message (by number) and whether it is reported as removed. */
export interface DeltaEntry {
  readonly num: number;
  readonly removed: boolean;
}

export interface DeltaState {
  /** The mailbox key (user's mail address, lower case) and folder number the token belongs to. */
  readonly mailbox: string;
  readonly folderNum: number;
  readonly options: DeltaOptions;
  /** A nextLink's state: the round's changes and how many were sent. */
  readonly round?: { readonly entries: readonly DeltaEntry[]; readonly offset: number; readonly until: number };
  /** A deltaLink's state: the change number the client is in sync with. */
  readonly watermark?: number;
}

export class DeltaStore {
  private readonly states = new Map<string, DeltaState>();

  issue(state: DeltaState): string {
    // Real tokens are long base64url strings (e.g. "GwcBoTmPuoTQWfcsAbkYM..."); so are these.
    const token = randomBytes(32).toString('base64url');
    this.states.set(token, state);
    return token;
  }

  get(token: string): DeltaState | undefined {
    return this.states.get(token);
  }

  /** Drops every state (of one mailbox): their tokens are answered SyncStateNotFound from now on. */
  expire(mailbox: string | undefined): void {
    for (const [token, state] of this.states) if (mailbox === undefined || state.mailbox === mailbox) this.states.delete(token);
  }
}

/**
 * The answer to a delta or skip token Outlook no longer holds. delta-query-overview.md
 * ("Token duration") says an expired Outlook token gets "a 40X-series error with error
 * codes such as syncStateNotFound" and errors.md lists syncStateNotFound ("The sync state
 * generation is not found. The delta token is expired and data must be synchronized
 * again."); Outlook sends it as HTTP 410 Gone with code "SyncStateNotFound" (capital S, as
 * captured in microsoftgraph/microsoft-graph-docs issue #2350). Clients should compare the
 * code without regard to case and resynchronize the folder from scratch.
 */
export function syncStateNotFound(): GraphError {
  return new GraphError(410, 'SyncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.');
}
