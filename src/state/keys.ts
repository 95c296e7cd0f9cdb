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

  /** String: the lease token of the worker that owns this folder right now. */
  lease(pairId: string, fid: string): string {
    return `${this.folder(pairId, fid)}:lease`;
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
}
