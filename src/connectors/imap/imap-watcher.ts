/**
 * Watches one IMAP folder on a connection of its own, so that a mirror learns of new
 * mail within seconds instead of at its next poll.
 *
 * With IDLE (RFC 2177) the folder is EXAMINEd and IDLE runs until the server reports a
 * change (EXISTS, EXPUNGE, FETCH FLAGS), which is passed on at once. IDLE is restarted at
 * least every few minutes; each restart EXAMINEs the folder afresh and compares its
 * counters, as a net for a change the server did not push (a fresh EXAMINE, not STATUS:
 * Dovecot answers STATUS of the selected folder from the session's possibly stale view).
 * Without IDLE, STATUS of the (unselected) folder is polled.
 *
 * A dropped connection is opened again with a backoff of 1 s doubling to 30 s; then
 * 'reconnected' tells the caller that changes may have been missed meanwhile. Only
 * errors that no retry can mend (a refused login, a folder that no longer exists)
 * end `watch()` with a rejection.
 */
import type { ImapFlow, MailboxObject, StatusObject } from 'imapflow';
import type { FolderWatcher, WatchEvent, WatchOptions } from '../types.js';
import { commandFailed, toConnectorError } from './imap-errors.js';
import type { ImapAccountOptions } from './imap-options.js';
import { ImapSession } from './imap-session.js';

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/**
 * The longest a connection stays silent on our side: below imapflow's 5-minute socket
 * timeout and the NAT timeouts that drop quiet connections (many at 5 minutes).
 */
const MAX_QUIET_MS = 4 * 60_000;

/** The folder's counters (from STATUS or EXAMINE); a difference between two of them is a change. */
type Counters = Pick<StatusObject, 'messages' | 'uidNext' | 'uidValidity' | 'highestModseq'>;

const STATUS_QUERY = { messages: true, uidNext: true, uidValidity: true, highestModseq: true } as const;

export class ImapWatcher implements FolderWatcher {
  private readonly session: ImapSession;
  private idleOffered = false;
  private watching = false;

  constructor(account: ImapAccountOptions) {
    this.session = new ImapSession(account);
  }

  get push(): boolean {
    return this.idleOffered;
  }

  /** One watch at a time: the watcher has one connection. */
  async watch(path: string, options: WatchOptions): Promise<void> {
    if (this.watching) throw new Error('ImapWatcher: watch() is already running; use one watcher per folder');
    this.watching = true;
    try {
      await this.watchUntilAborted(path, options);
    } finally {
      this.watching = false;
    }
  }

  private async watchUntilAborted(path: string, options: WatchOptions): Promise<void> {
    const { signal } = options;
    // LOGOUT on abort: it ends IDLE (imapflow sends DONE first), so the loop below wakes up.
    let closing: Promise<void> | undefined;
    const stop = () => {
      closing = this.session.close();
    };
    signal.addEventListener('abort', stop, { once: true });
    let missed = false;
    let backoff = MIN_BACKOFF_MS;
    try {
      while (!signal.aborted) {
        const since = Date.now();
        let wait = 0;
        try {
          await this.watchOneConnection(path, options, () => {
            if (missed && !signal.aborted) options.onChange('reconnected');
            missed = false;
          });
        } catch (error) {
          if (signal.aborted) break;
          const failure = toConnectorError(error, `watch "${path}" on ${this.session.label}`, 'folder');
          if (failure.retry === 'never') throw failure;
          wait = failure.retryAfterMs ?? 0;
        }
        if (signal.aborted) break;
        missed = true;
        await this.session.close();
        // A connection that held for a while starts the backoff afresh.
        if (Date.now() - since > MAX_BACKOFF_MS) backoff = MIN_BACKOFF_MS;
        await sleep(Math.max(backoff, wait), signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await closing;
      await this.session.close();
    }
  }

  /** Watches until the connection is gone or the signal aborts; `connected` once the folder is being watched. */
  private async watchOneConnection(path: string, options: WatchOptions, connected: () => void): Promise<void> {
    await this.session.connect();
    const client = await this.session.imap();
    this.idleOffered = this.session.hasCapability('IDLE');
    if (options.signal.aborted) return;
    const intervalMs = Math.min(Math.max(100, options.pollSeconds * 1000), MAX_QUIET_MS);
    if (this.idleOffered) await this.watchByIdle(client, path, options, intervalMs, connected);
    else await watchByPolling(client, path, options, intervalMs, connected);
  }

  private async watchByIdle(client: ImapFlow, path: string, options: WatchOptions, restartMs: number, connected: () => void): Promise<void> {
    let last = countersOf(await this.session.reopen(path, true));
    connected();
    // Changes after the EXAMINE are reported by IDLE: the server sends what it has not told
    // yet as soon as IDLE starts (and along with a restart's NOOP and EXAMINE).
    const forward = (event: WatchEvent) => () => options.onChange(event);
    const listeners = [['exists', forward('exists')], ['expunge', forward('expunge')], ['flags', forward('flags')]] as const;
    for (const [event, listener] of listeners) client.on(event, listener);
    try {
      while (!options.signal.aborted && client.usable) {
        let restarted = false;
        // Any command ends IDLE (imapflow sends DONE first); NOOP is the cheapest one.
        const timer = setTimeout(() => {
          restarted = true;
          client.noop().catch(() => undefined);
        }, restartMs);
        let ended;
        try {
          ended = await client.idle();
        } finally {
          clearTimeout(timer);
        }
        if (options.signal.aborted || !client.usable) return;
        // false: the server refused IDLE; undefined with no mailbox: the selection is gone.
        // Either would spin here: let the caller reconnect with its backoff.
        if (ended === false || !client.mailbox) throw commandFailed(client, `IDLE in "${path}"`);
        if (restarted) last = compare(last, countersOf(await this.session.reopen(path, true)), options);
      }
    } finally {
      for (const [event, listener] of listeners) client.off(event, listener);
    }
  }
}

async function watchByPolling(client: ImapFlow, path: string, options: WatchOptions, intervalMs: number, connected: () => void): Promise<void> {
  let last = await status(client, path);
  connected();
  while (!options.signal.aborted && client.usable) {
    await sleep(intervalMs, options.signal, client);
    if (options.signal.aborted || !client.usable) return;
    last = compare(last, await status(client, path), options);
  }
}

function countersOf(mailbox: MailboxObject): Counters {
  return { messages: mailbox.exists, uidNext: mailbox.uidNext, uidValidity: mailbox.uidValidity, highestModseq: mailbox.highestModseq };
}

/** STATUS of the folder on this connection (never a new one: a drop must end the watch of this connection). */
async function status(client: ImapFlow, path: string): Promise<Counters> {
  let result;
  try {
    result = await client.status(path, STATUS_QUERY);
  } catch (error) {
    throw toConnectorError(error, `status of "${path}"`, 'folder');
  }
  if (!result) throw commandFailed(client, `status of "${path}"`);
  return result;
}

/** Reports 'polled' when the counters moved; returns the new ones. */
function compare(last: Counters, now: Counters, options: WatchOptions): Counters {
  const moved = last.messages !== now.messages || last.uidNext !== now.uidNext || last.uidValidity !== now.uidValidity || last.highestModseq !== now.highestModseq;
  if (moved) options.onChange('polled');
  return now;
}

/** Resolves after `ms`, or sooner when the signal aborts or the connection closes. */
function sleep(ms: number, signal: AbortSignal, client?: ImapFlow): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      client?.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    client?.once('close', done);
    if (signal.aborted) done();
  });
}
