/**
 * What a pair does beyond a one-shot copy: mirror (the target follows the source, deletions
 * included, within a cap) or backup (copied on a schedule, never deleted unless a retention
 * rule says so). Stored with each run (no secrets in it).
 */

export const PAIR_MODES = ['migrate', 'mirror', 'backup'] as const;
export type PairMode = (typeof PAIR_MODES)[number];

/**
 * How many deletions one run of a folder may make before it stops and asks for
 * confirmation: a mass deletion on the source is more often an accident (a client that
 * wiped a folder, a server glitch) than an intent, and a mirror must not spread it.
 */
export interface DeleteCap {
  /** Share of the folder's copied messages, in percent. @defaultValue 10 */
  readonly percent: number;
  /** Always allowed, however small the folder (otherwise a 5-message folder could never lose one). @defaultValue 10 */
  readonly minimum: number;
}

export const DEFAULT_DELETE_CAP: DeleteCap = { percent: 10, minimum: 10 };

export interface MirrorOptions {
  readonly deleteCap: DeleteCap;
  /** One run may exceed the cap (and delete from an empty listing): `mirror --confirm-deletes`. */
  readonly confirmDeletes: boolean;
}

export interface BackupOptions {
  /**
   * Messages deleted on the source are removed from the backup this many days after the
   * deletion was first seen. Absent: never (a backup keeps everything).
   */
  readonly keepDeletedDays?: number;
}

/** The number of messages one run may delete from a folder holding `copied` mirrored messages. */
export function allowedDeletions(cap: DeleteCap, copied: number): number {
  return Math.max(cap.minimum, Math.floor((copied * cap.percent) / 100));
}
