/** What is durably known about one (pair, source folder). */

export interface FolderCheckpoint {
  readonly sourcePath: string;
  readonly targetPath: string;
  /** Source UIDVALIDITY the UIDs below belong to. */
  readonly uidValidity: string;
  /** Every source UID <= lastUid is on the target (or quarantined). */
  readonly lastUid: number;
  /** Source UIDNEXT when the folder was last found complete; equal UIDNEXT = nothing new. */
  readonly sourceUidNext: number;
  readonly highestModseq?: string;
  readonly targetUidValidity: string;
  /** Target UIDNEXT after the last committed page: the start of the recovery window. */
  readonly targetUidNext: number;
}

/** Write-ahead record of one append about to happen (ARCHITECTURE.md, "Identity"). */
export interface AppendIntent {
  readonly srcUid: number;
  readonly size: number;
  readonly sha256: string;
  /** Target UIDNEXT before the page was appended: where to look for it after a crash. */
  readonly targetUidNextBefore: number;
}

/** A message the target refused; kept until a later run gets it across. */
export interface QuarantineRecord {
  readonly srcUid: number;
  readonly uidValidity: string;
  readonly size: number;
  readonly code: string;
  readonly reason: string;
}

export function encodeCheckpoint(c: FolderCheckpoint): Record<string, string> {
  const fields: Record<string, string> = {
    sourcePath: c.sourcePath,
    targetPath: c.targetPath,
    uidValidity: c.uidValidity,
    lastUid: String(c.lastUid),
    sourceUidNext: String(c.sourceUidNext),
    targetUidValidity: c.targetUidValidity,
    targetUidNext: String(c.targetUidNext),
  };
  if (c.highestModseq !== undefined) fields.highestModseq = c.highestModseq;
  return fields;
}

export function decodeCheckpoint(fields: Record<string, string>): FolderCheckpoint | null {
  const { sourcePath, targetPath, uidValidity, lastUid, sourceUidNext, targetUidValidity, targetUidNext, highestModseq } = fields;
  if (sourcePath === undefined || targetPath === undefined || uidValidity === undefined || lastUid === undefined
    || sourceUidNext === undefined || targetUidValidity === undefined || targetUidNext === undefined) {
    return null;
  }
  const checkpoint: FolderCheckpoint = {
    sourcePath, targetPath, uidValidity, targetUidValidity,
    lastUid: Number(lastUid), sourceUidNext: Number(sourceUidNext), targetUidNext: Number(targetUidNext),
  };
  return highestModseq === undefined ? checkpoint : { ...checkpoint, highestModseq };
}
