/**
 * Brings the flags of copies made earlier up to date with their source messages, through
 * the ledger's source key -> target UID map: shared by a re-run's refresh (the cut-over
 * pass of a migration) and by mirroring. With `compare` (the source could not say which
 * messages changed) the copies' flags are read first and only differing ones are written.
 */
import type { FlagPolicy, MessageFlags, MirrorTarget } from '../../connectors/types.js';
import { mapFlags } from '../../mapping/index.js';
import type { FlagChange } from './page-batch.js';
import { chunk } from './pages.js';

/** UIDs per FETCH/STORE round trip. */
const FLAGS_CHUNK = 5000;

export interface FlagRefresh {
  readonly target: MirrorTarget;
  readonly targetPath: string;
  readonly policy: FlagPolicy;
  /** The copies of these source keys: key -> target UID (absent: not copied; 0: unknown, cannot be followed). */
  readonly targetsOf: (keys: readonly string[]) => Promise<ReadonlyMap<string, number>>;
}

/** Returns how many copies got new flags. */
export async function applyFlagChanges(refresh: FlagRefresh, changes: readonly FlagChange[], compare: boolean): Promise<number> {
  if (changes.length === 0) return 0;
  const targets = await refresh.targetsOf(changes.map((c) => c.key));
  const wanted: MessageFlags[] = [];
  for (const change of changes) {
    const uid = targets.get(change.key);
    if (uid === undefined || uid === 0) continue;
    wanted.push({ uid, flags: mapFlags(change.flags, refresh.policy).flags });
  }
  const updates = compare ? await differing(refresh.target, refresh.targetPath, wanted) : wanted;
  for (const part of chunk(updates, FLAGS_CHUNK)) await refresh.target.setFlags(refresh.targetPath, part);
  return updates.length;
}

/** The wanted flags that differ from what the target has (as sets; order and case of keywords aside). */
async function differing(target: MirrorTarget, path: string, wanted: readonly MessageFlags[]): Promise<MessageFlags[]> {
  const current = new Map<number, readonly string[]>();
  for (const part of chunk(wanted.map((w) => w.uid), FLAGS_CHUNK)) {
    for (const message of await target.fetchFlags(path, part)) current.set(message.uid, message.flags);
  }
  // A copy gone from the target (deleted there by someone) is not recreated by a flag update.
  return wanted.filter((w) => current.has(w.uid) && !sameFlags(current.get(w.uid) ?? [], w.flags));
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  const key = (flags: readonly string[]) => [...new Set(flags.map((f) => f.toLowerCase()))].sort().join(' ');
  return key(a) === key(b);
}
