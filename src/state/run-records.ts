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
  readonly quarantine: ReadonlyArray<{ readonly uid: number; readonly size: number; readonly reason: string }>;
  readonly error?: string;
}

/** Live progress of one folder, updated once per page. */
export interface FolderProgress {
  readonly sourcePath: string;
  readonly total: number;
  readonly done: number;
}
