/**
 * A mirror's flag pass: flag changes of messages copied before, pushed to their copies
 * by the copy engine's flag step (copy/flag-refresh.ts). With CONDSTORE (RFC 7162) only
 * messages changed since the cursor's MODSEQ are read, and their flags replace the
 * target's; without it, both sides are read and only differing messages are written.
 */
import type { FlagPolicy, MirrorSource, MirrorTarget } from '../../connectors/types.js';
import { applyFlagChanges } from '../copy/flag-refresh.js';

export interface FlagSyncInput {
  readonly source: MirrorSource;
  readonly target: MirrorTarget;
  readonly sourcePath: string;
  readonly targetPath: string;
  readonly policy: FlagPolicy;
  /** The copies of these source UIDs: source UID -> target UID (absent: not copied; 0: unknown, cannot be followed). */
  readonly targetsOf: (srcUids: readonly number[]) => Promise<ReadonlyMap<number, number>>;
  /** Highest source UID copied; newer messages were copied with their current flags. */
  readonly lastUid: number;
  /** Source MODSEQ the target's flags are known to match; absent: compare everything. */
  readonly changedSince?: string;
}

/** Returns how many target messages got new flags. */
export async function syncFlags(input: FlagSyncInput): Promise<number> {
  if (input.lastUid < 1) return 0;
  const changed = await input.source.fetchFlags(input.sourcePath, input.lastUid, input.changedSince);
  const targetsOf = async (keys: readonly string[]) => {
    const byUid = await input.targetsOf(keys.map(Number));
    return new Map([...byUid].map(([uid, target]) => [String(uid), target]));
  };
  return applyFlagChanges(
    { target: input.target, targetPath: input.targetPath, policy: input.policy, targetsOf },
    changed.map((m) => ({ key: String(m.uid), flags: m.flags })),
    input.changedSince === undefined,
  );
}
