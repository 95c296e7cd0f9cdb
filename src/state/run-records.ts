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
  /** The BullMQ queue its jobs go to (default: the pair's own queue). */
  readonly queue?: string;
  /**
   * JSON array of the source folders a watcher saw change: only they get a full flag
   * comparison on a source without CONDSTORE. Absent: every folder.
   */
  readonly focus?: string;
  /** JSON RunWaiting: what the run last had to wait for; shown while its time has not passed. */
  readonly waiting?: string;
}

/** The server asked the run to wait (throttled, POP3 [IN-USE] or [LOGIN-DELAY]): why, and until when. */
export interface RunWaiting {
  readonly reason: string;
  /** ISO time. */
  readonly until: string;
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
  /** Messages copied in an earlier run whose flags or keywords this run brought up to date (a migration's re-run). */
  readonly flagsUpdated?: number;
  /**
   * Copies of this run the target stored other than they were sent (Cyrus's munge8bit, an
   * mbox server's added headers): how many, and how ("3 × headers added (Status, X-UID)").
   */
  readonly changedByTarget?: number;
  readonly targetChanges?: readonly string[];
  /** POP3 source with a deletion policy: messages removed from the server in this run. */
  readonly deletedFromSource?: number;
  /** Mirror and backup: what this run changed on messages copied before. */
  readonly mirrored?: MirrorTally;
  readonly error?: string;
}

/** What a mirror (or backup) pass did to messages already on the target. */
export interface MirrorTally {
  /** Messages whose flags were set anew on the target. */
  readonly flagsUpdated: number;
  /** Messages deleted from the target because the source deleted them. */
  readonly deleted: number;
  /** Deletions seen but not made: over the cap, from an untrusted listing, or kept by a backup's retention. */
  readonly deletionsHeld: number;
  /** Why deletions were held, when some were. */
  readonly heldReason?: string;
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
