/**
 * The mirror (and backup) pass of one folder, after its new messages are copied: flag
 * changes, then deletions, of messages copied before. The cursor records the source as
 * it was when the pass began, and moves only when the pass finished with nothing held,
 * so the next pass sees whatever this one did not settle.
 */
import type { FlagPolicy, FolderStatus, MirrorSource, MirrorTarget } from '../../connectors/types.js';
import type { FolderState, Lease, MirrorCursor, MirrorState, MirrorTally } from '../../state/index.js';
import { followDeletions, type DeletionPolicy } from './mirror-deletions.js';
import { syncFlags } from './mirror-flags.js';

/** More messages than this are looked up in the whole ledger rather than one HMGET. */
const LOOKUP_MAX = 1000;

export interface MirrorFolderInput {
  readonly source: MirrorSource;
  readonly target: MirrorTarget;
  /** The target folder's flag policy, read only when flags are compared. */
  readonly flagPolicy: () => Promise<FlagPolicy>;
  readonly folderState: FolderState;
  readonly mirrorState: MirrorState;
  readonly lease: Lease;
  readonly sourcePath: string;
  readonly targetPath: string;
  /** Source status read before the copy step: every change after it is seen by the next pass. */
  readonly before: FolderStatus;
  /** Highest source UID copied before this run's copy step: newer copies already carry current flags. */
  readonly copiedBefore: number;
  readonly policy: DeletionPolicy;
  /** Compare every message's flags even without CONDSTORE (a full pass, or a folder a watcher reported). */
  readonly fullCompare: boolean;
  readonly now: number;
}

export async function mirrorFolder(input: MirrorFolderInput): Promise<MirrorTally> {
  const { before } = input;
  const checkpoint = (await input.folderState.cursor())?.source;
  // No cursor, or one of another UIDVALIDITY: the copy step is re-matching the folder.
  if (!checkpoint || checkpoint.uidValidity !== before.uidValidity) return { flagsUpdated: 0, deleted: 0, deletionsHeld: 0 };
  const previous = await input.mirrorState.cursor();
  const cursor = previous?.uidValidity === before.uidValidity ? previous : null;
  if (cursor && mirrorInSync(cursor, before, input.fullCompare)) return { flagsUpdated: 0, deleted: 0, deletionsHeld: 0 };

  // The whole ledger is read (one HSCAN pass) only for a full comparison or a deletion
  // check; a flag change under CONDSTORE looks up just the messages it names.
  const uidValidity = checkpoint.uidValidity;
  let wholeLedger: Promise<Map<number, number>> | undefined;
  const ledger = () => (wholeLedger ??= input.mirrorState.ledger(uidValidity));
  const targetsOf = (uids: readonly number[]) => (uids.length > LOOKUP_MAX ? ledger() : input.folderState.ledgerTargets(uidValidity, uids));
  const common = { source: input.source, target: input.target, sourcePath: input.sourcePath, targetPath: input.targetPath };
  const flagsUpdated = await followFlags(input, cursor, { ...common, targetsOf });

  const countsMoved = !cursor || cursor.messages !== before.messages || cursor.uidNext !== before.uidNext;
  const deletions = countsMoved
    ? await followDeletions({ ...common, ledger: await ledger(), lastUid: checkpoint.lastUid, state: input.mirrorState, lease: input.lease, uidValidity, policy: input.policy, now: input.now })
    : { deleted: 0, held: 0 };

  const next: MirrorCursor = {
    uidValidity: before.uidValidity,
    // Held deletions keep the counts stale on purpose: the next pass looks again.
    messages: deletions.held > 0 ? -1 : before.messages,
    uidNext: before.uidNext,
    ...(before.highestModseq === undefined ? {} : { modseq: before.highestModseq }),
  };
  await input.mirrorState.setCursor(input.lease, next);
  return {
    flagsUpdated, deleted: deletions.deleted, deletionsHeld: deletions.held,
    ...(deletions.heldReason === undefined ? {} : { heldReason: deletions.heldReason }),
  };
}

/**
 * With CONDSTORE and a cursor: the messages changed since the cursor's MODSEQ (none when
 * HIGHESTMODSEQ has not moved). Without: every message, compared with the target, on a
 * full pass, a folder a watcher reported, or the first pass; otherwise nothing.
 */
async function followFlags(input: MirrorFolderInput, cursor: MirrorCursor | null, common: Omit<Parameters<typeof syncFlags>[0], 'policy' | 'lastUid' | 'changedSince'>): Promise<number> {
  const changedSince = input.before.highestModseq === undefined ? undefined : cursor?.modseq;
  if (changedSince !== undefined && changedSince === input.before.highestModseq) return 0;
  if (changedSince === undefined && cursor && !input.fullCompare) return 0;
  const policy = await input.flagPolicy();
  return syncFlags({ ...common, lastUid: input.copiedBefore, policy, ...(changedSince === undefined ? {} : { changedSince }) });
}

/**
 * Nothing to do for flags and deletions: the source has the same UIDNEXT and message
 * count as at the last pass, and the same HIGHESTMODSEQ (or, without CONDSTORE, no
 * full comparison was asked for).
 */
export function mirrorInSync(cursor: MirrorCursor, source: FolderStatus, fullCompare: boolean): boolean {
  if (cursor.uidValidity !== source.uidValidity || cursor.messages !== source.messages || cursor.uidNext !== source.uidNext) return false;
  if (source.highestModseq !== undefined && cursor.modseq !== undefined) return cursor.modseq === source.highestModseq;
  return !fullCompare;
}
