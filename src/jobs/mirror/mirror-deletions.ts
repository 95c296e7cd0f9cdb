/**
 * Deletions on the source, followed on the target only from a complete, trusted listing
 * (ARCHITECTURE.md, "Identity", rule 7):
 * - the listing is one UID SEARCH under the UIDVALIDITY the ledger belongs to; a failed
 *   or changed listing throws before anything is decided;
 * - an empty listing of a folder that had messages is not trusted unless confirmed;
 * - a mirror deletes at most its cap per run (unless confirmed) and otherwise holds every
 *   deletion of the folder and says so;
 * - a backup deletes nothing, unless a retention rule says how long to keep deleted mail.
 * Only messages the ledger maps to a target UID are touched: mail put on the target by
 * anyone else is never deleted.
 */
import { allowedDeletions, type BackupOptions, type MirrorOptions } from '../../config/index.js';
import type { MirrorSource, MirrorTarget } from '../../connectors/types.js';
import type { Lease, MirrorState } from '../../state/index.js';
import { crashPoint } from '../copy/crash-points.js';

const DAY_MS = 24 * 3600 * 1000;

export type DeletionPolicy =
  | { readonly mode: 'mirror'; readonly options: MirrorOptions }
  | { readonly mode: 'backup'; readonly options: BackupOptions };

export interface DeletionInput {
  readonly source: MirrorSource;
  readonly target: MirrorTarget;
  readonly state: MirrorState;
  readonly lease: Lease;
  readonly sourcePath: string;
  readonly targetPath: string;
  /** UIDVALIDITY of the checkpoint and ledger. */
  readonly uidValidity: string;
  readonly ledger: ReadonlyMap<number, number>;
  readonly lastUid: number;
  readonly policy: DeletionPolicy;
  readonly now: number;
}

export interface DeletionOutcome {
  readonly deleted: number;
  /** Deletions seen and not made (yet). */
  readonly held: number;
  readonly heldReason?: string;
}

export async function followDeletions(input: DeletionInput): Promise<DeletionOutcome> {
  // Without a retention rule a backup keeps everything: no listing, nothing to record or wait for.
  if (input.policy.mode === 'backup' && input.policy.options.keepDeletedDays === undefined) return { deleted: 0, held: 0 };
  const listing = await input.source.listAllUids(input.sourcePath);
  if (listing.uidValidity !== input.uidValidity) {
    // The copy step re-matches the folder by content next time; deleting by old UIDs now could hit the wrong mail.
    return { deleted: 0, held: 0, heldReason: 'source UIDVALIDITY changed: deletions wait for the folder to be re-matched' };
  }
  const present = new Set(listing.uids);
  const gone = [...input.ledger.keys()].filter((uid) => uid <= input.lastUid && !present.has(uid)).sort((a, b) => a - b);
  if (gone.length === 0) return { deleted: 0, held: 0 };

  if (input.policy.mode === 'backup') return backupRetention(input, input.policy.options, gone);

  const heldReason = mirrorHoldReason(input.policy.options, gone.length, input.ledger.size, listing.uids.length);
  if (heldReason !== undefined) return { deleted: 0, held: gone.length, heldReason };
  return { deleted: await deleteCopies(input, gone), held: 0 };
}

/**
 * Why a mirror must not delete `gone` of the `copied` messages now, or undefined when it
 * may: an empty listing of a folder we copied from is not trusted, and more than the cap
 * waits for --confirm-deletes.
 */
export function mirrorHoldReason(options: MirrorOptions, gone: number, copied: number, listed: number): string | undefined {
  if (options.confirmDeletes) return undefined;
  if (listed === 0) return `the source folder now lists no message but ${gone} were copied: not trusted; confirm with --confirm-deletes`;
  const allowed = allowedDeletions(options.deleteCap, copied);
  if (gone <= allowed) return undefined;
  return `${gone} of ${copied} messages deleted on the source, over the cap of ${allowed} (deleteCap: ${options.deleteCap.percent}%, at least ${options.deleteCap.minimum}); confirm with --confirm-deletes or raise the cap`;
}

/** A backup records when each deletion was first seen, and deletes it once the retention has passed. */
async function backupRetention(input: DeletionInput, options: BackupOptions, gone: readonly number[]): Promise<DeletionOutcome> {
  if (options.keepDeletedDays === undefined) return { deleted: 0, held: 0 };
  await input.state.markGone(input.lease, gone, input.now);
  const firstSeen = await input.state.gone();
  const keepMs = options.keepDeletedDays * DAY_MS;
  const expired = gone.filter((uid) => (firstSeen.get(uid) ?? input.now) + keepMs <= input.now);
  const deleted = await deleteCopies(input, expired);
  const held = gone.length - expired.length;
  return held === 0 ? { deleted, held } : { deleted, held, heldReason: `deleted on the source; kept ${options.keepDeletedDays} day(s) in the backup` };
}

/**
 * Deletes on the target first, then forgets in Redis: a crash in between leaves ledger
 * entries whose copies are gone, and deleting them again next time is harmless (a UID
 * STORE/EXPUNGE of absent UIDs changes nothing).
 */
async function deleteCopies(input: DeletionInput, srcUids: readonly number[]): Promise<number> {
  if (srcUids.length === 0) return 0;
  const targetUids = srcUids.map((uid) => input.ledger.get(uid) ?? 0).filter((uid) => uid > 0);
  if (targetUids.length > 0) await input.target.deleteMessages(input.targetPath, targetUids);
  crashPoint('after-mirror-delete');
  await input.state.forget(input.lease, input.uidValidity, srcUids);
  return targetUids.length;
}
