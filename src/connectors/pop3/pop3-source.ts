/**
 * A POP3 mailbox read as a maildrop source: one folder, INBOX, whose "UIDs" are the
 * session's message numbers (see MaildropSource in ../types.ts).
 *
 * Numbers are only valid within the session that listed them, and a session may be
 * replaced (the old one dropped, or commit() ended it; another client's QUIT may have
 * renumbered the box in between). So the listing the caller last saw is kept, and numbers
 * it passes to a newer session must name the same messages there (same UIDL and size):
 * otherwise the call fails instead of reading or deleting another message.
 */
import { messageDate } from '../../mapping/index.js';
import { collectBytes } from '../collect-bytes.js';
import { ConnectorError } from '../connector-error.js';
import type {
  FolderInfo, FolderStatus, ListFoldersOptions, MaildropEntry, MaildropFeatures, MaildropSource, MessageMeta, Namespace, RawMessage,
} from '../types.js';
import { parseListing, type Listing } from './maildrop-listing.js';
import { refusedBy } from './pop3-errors.js';
import type { Pop3AccountOptions } from './pop3-options.js';
import { retrievePipelined } from './pop3-pipeline.js';
import { Pop3Session } from './pop3-session.js';

/** The only folder of a maildrop. */
const INBOX = 'INBOX';
/** QUIT on close() is a courtesy: do not let a silent server hold up a shutdown. */
const CLOSE_QUIT_TIMEOUT_MS = 5_000;

/** One session and what this source did in it. */
interface Visit {
  readonly session: Pop3Session;
  /** The session's listing as the server gave it (never changed: numbers are the caller's keys). */
  listing: Promise<Listing> | undefined;
  /** Numbers a DELE was sent for: gone from this session's view; closing must not QUIT. */
  readonly deleted: Set<number>;
}

/** The listing the caller last saw, and in which session. */
interface Served {
  readonly visit: Visit;
  readonly entries: Listing;
}

export class Pop3Source implements MaildropSource {
  readonly kind = 'maildrop' as const;
  readonly features: MaildropFeatures = { fetchLarge: (number, size) => this.fetchLarge(number, size) };
  private readonly label: string;
  private current: Visit | undefined;
  private opening: Promise<Visit> | undefined;
  /** Bumped by close() and commit(): a session opened meanwhile is not kept. */
  private generation = 0;
  /** A session with deletion marks died: the server dropped the marks, and commit() must say so. */
  private marksLost = false;
  /** Where the caller's message numbers come from (its last listing). */
  private served: Served | undefined;

  constructor(private readonly account: Pop3AccountOptions) {
    this.label = `${account.user}@${account.host}:${account.port}`;
  }

  /** Keeps a live session, or opens one (greeting, STLS, login). Called on every lease. */
  async connect(): Promise<void> {
    await this.visit();
  }

  /**
   * Ends the session; never throws. After a DELE it drops the connection without QUIT, so
   * the server removes nothing (RFC 1939 section 6); so does a session still busy.
   */
  async close(): Promise<void> {
    this.generation += 1;
    this.marksLost = false;
    const visit = this.current;
    this.current = undefined;
    if (!visit) return;
    if (visit.deleted.size > 0 || !visit.session.alive || !visit.session.idle) {
      visit.session.destroy();
      return;
    }
    await visit.session.quit(`log out from ${this.label}`, CLOSE_QUIT_TIMEOUT_MS).catch(() => undefined);
  }

  async namespace(): Promise<Namespace> {
    return { prefix: '', delimiter: '/' };
  }

  async listFolders(options?: ListFoldersOptions): Promise<FolderInfo[]> {
    const inbox: FolderInfo = { path: INBOX, delimiter: null, selectable: true };
    return [options?.withStatus ? { ...inbox, status: await this.status(INBOX) } : inbox];
  }

  async status(path: string): Promise<FolderStatus> {
    this.folder(path, 'status of');
    const entries = await this.list();
    return {
      // Numbers are not UIDs across sessions: only UIDLs identify messages (incremental: 'none').
      uidValidity: '1',
      uidNext: (entries.at(-1)?.number ?? 0) + 1,
      messages: entries.length,
      bytes: entries.reduce((sum, entry) => sum + entry.size, 0),
    };
  }

  async listUids(path: string, afterUid: number): Promise<number[]> {
    this.folder(path, 'list messages of');
    return (await this.list()).map((entry) => entry.number).filter((number) => number > afterUid);
  }

  listMaildrop(): Promise<MaildropEntry[]> {
    return this.list();
  }

  /** Sizes from the listing; POP3 keeps no flags or dates (internalDate is not meaningful). */
  async fetchMeta(path: string, uids: readonly number[]): Promise<MessageMeta[]> {
    this.folder(path, 'read messages of');
    const { entry: entryOf } = await this.numbered(uids, `read messages of ${this.label}`);
    return unique(uids).flatMap((number) => {
      const entry = entryOf(number);
      return entry ? [{ uid: number, size: entry.size, flags: [], internalDate: new Date(0) }] : [];
    });
  }

  /**
   * RETR of each message: pipelined when the server lists PIPELINING and there is more
   * than one (see pop3-pipeline.ts), else one after the other, each its own turn of the
   * session. Unknown numbers and "no such message" are absent.
   */
  async fetchRaw(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    this.folder(path, 'fetch messages from');
    const { visit, entry } = await this.numbered(uids, `fetch messages from ${this.label}`);
    const numbers = unique(uids).filter((number) => entry(number) !== undefined);
    const what = (number: number) => `fetch message ${number} from ${this.label}`;
    const { session } = visit;
    const bodies = session.pipelining && numbers.length > 1
      ? await session.pipelined(`fetch messages from ${this.label}`, (pipe) => retrievePipelined(pipe, numbers, what))
      : await retrieveInTurn(session, numbers, what);
    return numbers.flatMap((number) => {
      const raw = bodies.get(number);
      return raw ? [{ uid: number, size: raw.length, flags: [], internalDate: messageDate(raw, 'received', new Date()), raw }] : [];
    });
  }

  /** See MaildropSource.retrieve: fetchRaw of INBOX. */
  retrieve(numbers: readonly number[]): Promise<RawMessage[]> {
    return this.fetchRaw(INBOX, numbers);
  }

  /** One message streamed (RETR) into a buffer of its size; see MaildropFeatures.fetchLarge. */
  async fetchLarge(number: number, size: number): Promise<RawMessage | undefined> {
    const stream = await this.streamRaw(INBOX, number);
    if (!stream) return undefined;
    const raw = await collectBytes(stream, size);
    return { uid: number, size: raw.length, flags: [], internalDate: messageDate(raw, 'received', new Date()), raw };
  }

  /** RETR as a stream of exact bytes; undefined when the number is unknown or the server has no such message. */
  async streamRaw(path: string, uid: number): Promise<AsyncIterable<Buffer> | undefined> {
    this.folder(path, 'fetch messages from');
    const { visit, entry } = await this.numbered([uid], `fetch messages from ${this.label}`);
    if (!entry(uid)) return undefined;
    try {
      return await visit.session.stream(`RETR ${uid}`, `fetch message ${uid} from ${this.label}`);
    } catch (error) {
      if (refusedBy(error, 'RETR')) return undefined;
      throw error;
    }
  }

  /** DELE each; marked messages leave this session's listing. Nothing is removed before commit(). */
  async markDeleted(numbers: readonly number[]): Promise<void> {
    const { visit, entry } = await this.numbered(numbers, `mark messages deleted on ${this.label}`);
    for (const number of unique(numbers)) {
      if (!entry(number)) continue;
      // Before sending: a DELE whose answer is lost may still have been applied.
      visit.deleted.add(number);
      await visit.session.command(`DELE ${number}`, `mark message ${number} deleted on ${this.label}`);
    }
  }

  /** QUIT: the server removes the marked messages now. The next call opens a new session. */
  async commit(): Promise<void> {
    this.generation += 1;
    const visit = this.current;
    this.current = undefined;
    const lost = this.marksLost || (visit !== undefined && visit.deleted.size > 0 && !visit.session.alive);
    this.marksLost = false;
    if (lost) {
      visit?.session.destroy();
      throw new ConnectorError(
        `commit deletions on ${this.label}: the session that marked messages deleted was lost before QUIT, so the server removed nothing; list and mark them again`,
        { code: 'CONNECTION_LOST', scope: 'account', retry: 'now' },
      );
    }
    if (!visit) return;
    await visit.session.quit(`commit deletions (QUIT) on ${this.label}`);
  }

  /** The live session, opened if there is none; concurrent callers share one opening. */
  private async visit(): Promise<Visit> {
    const current = this.current;
    if (current?.session.alive) return current;
    if (current) {
      this.current = undefined;
      if (current.deleted.size > 0) this.marksLost = true;
      current.session.destroy();
    }
    if (!this.opening) {
      const generation = this.generation;
      this.opening = Pop3Session.open(this.account).then(
        (session) => {
          this.opening = undefined;
          if (generation !== this.generation) {
            session.destroy();
            throw new ConnectorError(`connect to ${this.label}: the source was closed while connecting`, {
              code: 'CONNECTION_LOST', scope: 'account', retry: 'now',
            });
          }
          const visit: Visit = { session, listing: undefined, deleted: new Set() };
          this.current = visit;
          return visit;
        },
        (error: unknown) => {
          this.opening = undefined;
          throw error;
        },
      );
    }
    return this.opening;
  }

  /** The session's listing without the messages marked deleted; from now on the caller's numbers refer to it. */
  private async list(): Promise<MaildropEntry[]> {
    const visit = await this.visit();
    const entries = [...(await this.listing(visit)).values()].filter((entry) => !visit.deleted.has(entry.number));
    this.served = { visit, entries: new Map(entries.map((entry) => [entry.number, entry])) };
    return entries;
  }

  private async listing(visit: Visit): Promise<Listing> {
    visit.listing ??= this.readListing(visit.session);
    try {
      return await visit.listing;
    } catch (error) {
      visit.listing = undefined;
      throw error;
    }
  }

  private async readListing(session: Pop3Session): Promise<Listing> {
    const what = `list messages on ${this.label}`;
    let uidl: Buffer | undefined;
    try {
      uidl = await session.collect('UIDL', what);
    } catch (error) {
      // UIDL is optional (RFC 1939 section 7): without it, entries have no uidl.
      if (!refusedBy(error, 'UIDL')) throw error;
    }
    const list = await session.collect('LIST', what);
    try {
      return parseListing(list, uidl);
    } catch (error) {
      throw new ConnectorError(`${what}: ${(error as Error).message}`, { code: 'PROTOCOL', scope: 'account', retry: 'now', cause: error });
    }
  }

  /**
   * The live session, and a lookup of the messages its numbers name (not those marked
   * deleted). Numbers come from the caller's last listing: when that was another session,
   * each must name the same message in this one (same UIDL and size), or nothing is done.
   */
  private async numbered(numbers: readonly number[], what: string): Promise<{ visit: Visit; entry: (number: number) => MaildropEntry | undefined }> {
    const visit = await this.visit();
    const listing = await this.listing(visit);
    const served = this.served;
    if (served && served.visit !== visit) {
      for (const number of numbers) {
        const then = served.entries.get(number);
        const now = listing.get(number);
        if ((then || now) && !(then && now && now.uidl === then.uidl && now.size === then.size)) {
          throw new ConnectorError(
            `${what}: the POP3 session was replaced and message ${number} is not the message it was when listed; list the maildrop again`,
            { code: 'CONNECTION_LOST', scope: 'account', retry: 'now' },
          );
        }
      }
    }
    return { visit, entry: (number) => (visit.deleted.has(number) ? undefined : listing.get(number)) };
  }

  /** The one folder; anything else does not exist. */
  private folder(path: string, doing: string): void {
    if (path.toUpperCase() === INBOX) return;
    throw new ConnectorError(`${doing} "${path}" on ${this.label}: a POP3 maildrop has only the folder ${INBOX}`, {
      code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never',
    });
  }
}

/** RETR one message after the other (a server without PIPELINING); "no such message" is absent. */
async function retrieveInTurn(session: Pop3Session, numbers: readonly number[], what: (number: number) => string): Promise<Map<number, Buffer>> {
  const bodies = new Map<number, Buffer>();
  for (const number of numbers) {
    try {
      bodies.set(number, await session.collect(`RETR ${number}`, what(number)));
    } catch (error) {
      if (!refusedBy(error, 'RETR')) throw error;
    }
  }
  return bodies;
}

function unique(numbers: readonly number[]): number[] {
  return [...new Set(numbers)];
}
