/** Shapes of what a run records about itself (read by `mailferry status` and the summary). */

export type RunState = 'running' | 'completed' | 'failed' | 'superseded';

export interface RunRecord {
  readonly runId: string;
  readonly pairId: string;
  readonly pairName: string;
  readonly state: RunState;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** The run's spec (accounts without secrets, rules) as JSON, for workers to rebuild connectors. */
  readonly spec: string;
  /** Why the run failed as a whole (plan failed, auth failed), when it did. */
  readonly error?: string;
}

export type FolderOutcome = 'done' | 'failed' | 'skipped';

/** Per-folder counts of one run; they balance: selected = copied + alreadyThere + quarantined. */
export interface FolderResult {
  readonly sourcePath: string;
  readonly targetPath: string;
  readonly outcome: FolderOutcome;
  /** Messages the run looked at (new since the checkpoint, plus retried quarantine). */
  readonly selected: number;
  readonly copied: number;
  /** Found on the target already (recovered after a crash, or matched by content). */
  readonly alreadyThere: number;
  readonly quarantined: number;
  readonly vanished: number;
  readonly bytes: number;
  /** Quarantined messages with the server's reason (all still-missing ones for this folder). */
  readonly quarantine: ReadonlyArray<QuarantinedMessage>;
  /** POP3 source with a deletion policy: messages removed from the server in this run. */
  readonly deletedFromSource?: number;
  readonly error?: string;
}

export interface QuarantinedMessage {
  /** Source UID (POP3: the message number in that run's session). */
  readonly uid: number;
  /** POP3: the message's UIDL (or content key), which stays valid across sessions. */
  readonly uidl?: string;
  /** EWS: the item's id. */
  readonly itemId?: string;
  readonly size: number;
  readonly reason: string;
}

/** Live progress of one folder, updated once per page. */
export interface FolderProgress {
  readonly sourcePath: string;
  readonly total: number;
  readonly done: number;
}
