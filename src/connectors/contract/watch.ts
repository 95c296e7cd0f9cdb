/** Push notification of changes in source folders (IMAP IDLE), for mirroring. */

/** Why a watched folder may have changed (for logs). */
export type WatchEvent = 'exists' | 'expunge' | 'flags' | 'reconnected' | 'polled';

export interface WatchOptions {
  readonly signal: AbortSignal;
  /** Called (synchronously, cheaply) whenever the folder may have changed. */
  readonly onChange: (event: WatchEvent) => void;
  /** Poll interval when the server has no IDLE, and the STATUS check after each IDLE restart. */
  readonly pollSeconds: number;
}

/**
 * Watches one source folder on a connection of its own: IMAP IDLE (RFC 2177) where the
 * server has it, else a STATUS poll. Resolves when `signal` aborts; reconnects by itself
 * after a dropped connection (and then reports 'reconnected': changes may have been missed).
 */
export interface FolderWatcher {
  watch(path: string, options: WatchOptions): Promise<void>;
  /** The server offers IDLE (known after the first connection). */
  readonly push: boolean;
}
