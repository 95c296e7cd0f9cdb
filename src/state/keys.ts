/**
 * Every Redis key name mailferry uses, in one place (as bullmq's queue-keys.ts).
 * Keys hold ids, counters and cursors only: never credentials, never message bytes.
 */
import { createHash } from 'node:crypto';

/** Default prefix of every mailferry key; BullMQ's own keys use the same prefix. */
export const DEFAULT_PREFIX = 'mailferry';

/** A short, stable id for a folder path (paths can be long and contain any Unicode). */
export function folderId(sourcePath: string): string {
  return createHash('sha256').update(sourcePath, 'utf8').digest('hex').slice(0, 16);
}

export class StateKeys {
  constructor(readonly prefix: string = DEFAULT_PREFIX) {}

  /** Hash: folderId -> source path, every folder this pair has state for. */
  pairFolders(pairId: string): string {
    return `${this.prefix}:pair:${pairId}:folders`;
  }

  private folder(pairId: string, fid: string): string {
    return `${this.prefix}:pair:${pairId}:folder:${fid}`;
  }

  /** Hash: the folder's checkpoint (see FolderCheckpoint). */
  checkpoint(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:ckpt`;
  }

  /** Hash: source UID -> target UID ("0" when the target did not say), per source UIDVALIDITY. */
  ledger(pairId: string, fid: string, uidValidity: string): string {
    return `${this.folder(pairId, fid)}:ledger:${uidValidity}`;
  }

  /** Hash: checkpoint of a folder whose messages have string keys (POP3 UIDLs, EWS ItemIds): see KeyedCheckpoint. */
  keyedCheckpoint(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:keyed`;
  }

  /** Hash: message key (POP3 UIDL or content key, EWS ItemId) -> "targetUid date": what is on the target. */
  keyedLedger(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:keys`;
  }

  /** Hash: source UID (or message key) -> write-ahead intent JSON, for the page in flight. */
  intents(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:intents`;
  }

  /** Hash: source UID (or message key) -> quarantine record JSON (message the target refused). */
  quarantine(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:quarantine`;
  }

  /** Hash: the mirror's cursor for this folder (see MirrorCursor): flags and deletions are in sync up to it. */
  mirrorCursor(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:mirror`;
  }

  /** Hash: source UID -> when it was first seen gone from the source (ms), for a backup's retention. */
  gone(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:gone`;
  }

  /** String: the lease token of the worker that owns this folder right now. */
  lease(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:lease`;
  }

  /** Hash: pairId -> pair name, every pair registered by a daemon or `enqueue` (for `status`). */
  pairs(): string {
    return `${this.prefix}:pairs`;
  }

  /** Hash: the registered pair: its RunSpec (secret references only), queue and service (schedule, watch). */
  pairSpec(pairId: string): string {
    return `${this.prefix}:pair:${pairId}:spec`;
  }

  /** String: the id of the pair's run in progress (the run slot); runs of a pair never overlap. */
  activeRun(pairId: string): string {
    return `${this.prefix}:pair:${pairId}:active-run`;
  }

  /** Set: source folders a run was asked for while one was going ("*": every folder); the next run takes them. */
  pendingRun(pairId: string): string {
    return `${this.prefix}:pair:${pairId}:pending-run`;
  }

  /** Set: tokens of the requests waiting in pendingRun; the run that takes them answers each (see requestRun). */
  pendingTokens(pairId: string): string {
    return `${this.prefix}:pair:${pairId}:pending-tokens`;
  }

  /** String: the id of the run that took a request (by the requester's token), for a caller waiting on it. */
  requestRun(token: string): string {
    return `${this.prefix}:request:${token}`;
  }

  /** String: the id of the pair's current run; jobs of older runs find they were superseded. */
  currentRun(pairId: string): string {
    return `${this.prefix}:pair:${pairId}:current-run`;
  }

  /** Sorted set of run ids by start time. */
  runs(): string {
    return `${this.prefix}:runs`;
  }

  /** Hash: a run's description and state (see RunRecord). */
  run(runId: string): string {
    return `${this.prefix}:run:${runId}`;
  }

  /** Hash: folderId -> FolderResult JSON for this run. */
  runFolders(runId: string): string {
    return `${this.prefix}:run:${runId}:folders`;
  }

  /** Hash: folderId -> FolderProgress JSON, updated once per page. */
  runProgress(runId: string): string {
    return `${this.prefix}:run:${runId}:progress`;
  }

  /**
   * Sorted set: slot holder id -> expiry (ms, Redis clock): the connections held on one
   * server or for one account, across every worker process (see Governor). `hash` is the
   * governor's hash of the server or account key, so no address appears in a key name.
   */
  governorHolders(scope: 'server' | 'account', hash: string): string {
    return `${this.prefix}:governor:${scope}:${hash}:holders`;
  }

  /** String: the most holders ever seen at once on this server or account (for tests and status). */
  governorPeak(scope: 'server' | 'account', hash: string): string {
    return `${this.prefix}:governor:${scope}:${hash}:peak`;
  }

  /**
   * String with an expiry: the account's back-off window, set when its server asked to
   * wait (its value is the length asked for, in ms); while it exists, no worker sends the
   * account a new request.
   */
  governorBackoff(accountHash: string): string {
    return `${this.prefix}:governor:account:${accountHash}:backoff`;
  }

  /** Sorted set: slot holder id -> login time (ms): the logins to one server in the last window. */
  governorLogins(serverHash: string): string {
    return `${this.prefix}:governor:server:${serverHash}:logins`;
  }
}
