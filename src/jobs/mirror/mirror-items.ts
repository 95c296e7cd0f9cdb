/**
 * Deletions of an item-sync source (Microsoft Graph) followed on the target, on the rules
 * of mirror-deletions.ts: decided from a complete listing (a delta's @removed is only the
 * hint; it is lost if the pass dies after its page was committed), at most the cap unless
 * confirmed, never from an empty listing, and only messages the ledger maps to a target
 * UID. A cheap count comes first: while the folder holds at least as many messages as were
 * copied (quarantined ones aside), nothing can be gone and nothing is listed.
 */
import type { ItemMirrorSource, MirrorTarget } from '../../connectors/types.js';
import type { KeyedFolderState, Lease, MirrorTally } from '../../state/index.js';
import { crashPoint } from '../copy/crash-points.js';
import { mirrorHoldReason, type DeletionPolicy } from './mirror-deletions.js';

export interface ItemDeletionInput {
  readonly source: ItemMirrorSource;
  readonly target: MirrorTarget;
  readonly state: KeyedFolderState;
  readonly lease: Lease;
  readonly sourcePath: string;
  readonly targetPath: string;
  readonly policy: DeletionPolicy;
}

const NOTHING: MirrorTally = { flagsUpdated: 0, deleted: 0, deletionsHeld: 0 };

export async function followItemDeletions(input: ItemDeletionInput): Promise<MirrorTally> {
  const copied = await input.state.copyCount();
  if (copied === 0) return NOTHING;
  const quarantined = (await input.state.quarantine()).length;
  if ((await input.source.countItems(input.sourcePath)) - quarantined >= copied) return NOTHING;

  // Only now the whole ledger: a pass where nothing can be gone reads none of it.
  const copies = await input.state.allCopies();
  const present = new Set(await input.source.listAllIds(input.sourcePath));
  const gone = [...copies.keys()].filter((id) => !present.has(id));
  if (gone.length === 0) return NOTHING;
  if (input.policy.mode === 'backup') {
    // Retention of deleted mail is kept by UID for IMAP sources only; an Exchange backup keeps everything.
    const heldReason = input.policy.options.keepDeletedDays === undefined ? undefined : 'deleted on the source; a backup of an Exchange source keeps deleted mail (keepDeletedDays applies to IMAP sources)';
    return { ...NOTHING, deletionsHeld: gone.length, ...(heldReason === undefined ? {} : { heldReason }) };
  }
  const heldReason = mirrorHoldReason(input.policy.options, gone.length, copies.size, present.size);
  if (heldReason !== undefined) return { ...NOTHING, deletionsHeld: gone.length, heldReason };

  // Target first, then the ledger: after a crash in between, deleting absent UIDs again changes nothing.
  const targetUids = gone.map((id) => copies.get(id)?.targetUid ?? 0).filter((uid) => uid > 0);
  if (targetUids.length > 0) await input.target.deleteMessages(input.targetPath, targetUids);
  crashPoint('after-mirror-delete');
  await input.state.forget(input.lease, gone);
  return { ...NOTHING, deleted: targetUids.length };
}
