/**
 * Flag changes of messages copied before, pushed to their copies through the ledger's
 * source UID -> target UID map. With CONDSTORE (RFC 7162) only messages changed since
 * the cursor's MODSEQ are read, and their flags replace the target's; without it, both
 * sides are read and only differing messages are written.
 */
import type { FlagPolicy, MessageFlags, MirrorSource, MirrorTarget } from '../connectors/types.js';
import { mapFlags } from '../mapping/index.js';
import { chunk } from './pages.js';

/** UIDs per FETCH/STORE round trip when comparing whole folders. */
const FLAGS_CHUNK = 5000;

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
  const { source, target } = input;
  if (input.lastUid < 1) return 0;
  const changed = await source.fetchFlags(input.sourcePath, input.lastUid, input.changedSince);
  if (changed.length === 0) return 0;
  const ledger = await input.targetsOf(changed.map((m) => m.uid));
  const wanted: MessageFlags[] = [];
  for (const message of changed) {
    const targetUid = ledger.get(message.uid);
    if (targetUid === undefined || targetUid === 0) continue;
    wanted.push({ uid: targetUid, flags: mapFlags(message.flags, input.policy).flags });
  }
  const updates = input.changedSince === undefined ? await differing(target, input.targetPath, wanted) : wanted;
  for (const part of chunk(updates, FLAGS_CHUNK)) await target.setFlags(input.targetPath, part);
  return updates.length;
}

/** The wanted flags that differ from what the target has (as sets; order and case of keywords aside). */
async function differing(target: MirrorTarget, path: string, wanted: readonly MessageFlags[]): Promise<MessageFlags[]> {
  const current = new Map<number, readonly string[]>();
  for (const part of chunk(wanted.map((w) => w.uid), FLAGS_CHUNK)) {
    for (const message of await target.fetchFlags(path, part)) current.set(message.uid, message.flags);
  }
  // A copy gone from the target (deleted there by someone) is not recreated by a flag sync.
  return wanted.filter((w) => current.has(w.uid) && !sameFlags(current.get(w.uid) ?? [], w.flags));
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  const key = (flags: readonly string[]) => [...new Set(flags.map((f) => f.toLowerCase()))].sort().join(' ');
  return key(a) === key(b);
}
