/**
 * Copies one source folder to its target folder in bounded pages, exactly once:
 *
 *   intent (write-ahead) -> APPEND -> commit page (ledger + checkpoint, fenced by the lease)
 *
 * After a crash anywhere in that sequence, the next run looks in the target window
 * (UIDs from the last committed target UIDNEXT on) for identical copies before
 * appending again, so nothing is lost and nothing is doubled (ARCHITECTURE.md,
 * "Identity, checkpoints and exactly-once effects").
 */
import type { Logger } from 'pino';
import { isConnectorError } from '../connectors/connector-error.js';
import type { FlagPolicy, FolderStatus, RawMessage, SourceConnector, TargetConnector } from '../connectors/types.js';
import { mapFlags } from '../mapping/index.js';
import type { AppendIntent, FolderCheckpoint, FolderResult, FolderState, Lease, QuarantineRecord } from '../state/index.js';
import { crashPoint } from './crash-points.js';
import { sha256 } from './digest.js';
import { InterruptedError } from './interrupted-error.js';
import { batchByBytes, chunk } from './pages.js';
import { TargetWindow } from './target-window.js';

export interface CopyFolderInput {
  readonly source: SourceConnector;
  readonly target: TargetConnector;
  readonly state: FolderState;
  readonly lease: Lease;
  readonly sourcePath: string;
  readonly targetPath: string;
  /** Messages per checkpoint. */
  readonly pageSize: number;
  /** Bytes of message bodies held in memory at once. */
  readonly batchBytes: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly onProgress?: (done: number, total: number) => void | Promise<void>;
}

/** Mutable tallies of one folder run. */
interface Tally {
  selected: number;
  copied: number;
  alreadyThere: number;
  quarantined: number;
  vanished: number;
  bytes: number;
}

export async function copyFolder(input: CopyFolderInput): Promise<FolderResult> {
  const { source, target, state, lease, sourcePath, targetPath, log } = input;
  const srcStatus = await source.status(sourcePath);
  const tgtStatus = await target.status(targetPath);
  let checkpoint = await state.checkpoint();

  if (checkpoint && !checkpointStillValid(checkpoint, srcStatus, tgtStatus, targetPath)) {
    log.warn({ old: checkpoint.uidValidity, now: srcStatus.uidValidity }, 'folder identity changed (UIDVALIDITY or target); re-matching by content');
    await state.reset(lease);
    checkpoint = null;
  }
  const intents = await state.intents();
  const quarantine = (await state.quarantine()).filter((q) => q.uidValidity === srcStatus.uidValidity);
  const tally: Tally = { selected: 0, copied: 0, alreadyThere: 0, quarantined: 0, vanished: 0, bytes: 0 };

  // Nothing new since the folder was last complete: one STATUS per side, no listing.
  if (checkpoint && checkpoint.sourceUidNext === srcStatus.uidNext && intents.length === 0 && quarantine.length === 0) {
    return result(input, 'done', tally, []);
  }

  const window = await openWindow(target, targetPath, checkpoint, intents, tgtStatus);
  if (window.size > 0) log.info({ window: window.size }, 'checking target window for copies made before an interruption');
  const lastUid = checkpoint?.lastUid ?? 0;
  const uids = [...quarantine.map((q) => q.srcUid), ...(await source.listUids(sourcePath, lastUid))];
  tally.selected = uids.length;
  await input.onProgress?.(0, uids.length);
  const policy = await target.flagPolicy(targetPath);

  let cursor: FolderCheckpoint = checkpoint ?? {
    sourcePath, targetPath, uidValidity: srcStatus.uidValidity, lastUid: 0, sourceUidNext: 0,
    targetUidValidity: tgtStatus.uidValidity, targetUidNext: window.size > 0 ? 1 : tgtStatus.uidNext,
  };
  const pages = chunk(uids, input.pageSize);
  let done = 0;
  for (const [index, page] of pages.entries()) {
    if (input.signal.aborted) throw new InterruptedError();
    const isLast = index === pages.length - 1;
    cursor = await copyPage({ input, page, policy, window, cursor, tally, quarantine, isLast, finalUidNext: srcStatus.uidNext, windowEnd: tgtStatus.uidNext });
    done += page.length;
    await input.onProgress?.(done, uids.length);
  }
  if (pages.length === 0) {
    // Listing found nothing new (e.g. only expunged UIDs): record the folder as complete.
    await state.commitPage(lease, { checkpoint: { ...cursor, sourceUidNext: srcStatus.uidNext }, copied: [], clearIntents: intents.map((i) => i.srcUid), quarantined: [], released: [] });
  }
  const stillQuarantined = await state.quarantine();
  return result(input, 'done', tally, stillQuarantined.filter((q) => q.uidValidity === srcStatus.uidValidity));
}

function checkpointStillValid(c: FolderCheckpoint, src: FolderStatus, tgt: FolderStatus, targetPath: string): boolean {
  return c.uidValidity === src.uidValidity && c.targetUidValidity === tgt.uidValidity && c.targetPath === targetPath;
}

/** Without a checkpoint the whole target folder may hold copies (lost state, pre-filled target). */
async function openWindow(target: TargetConnector, path: string, checkpoint: FolderCheckpoint | null, intents: readonly AppendIntent[], tgtStatus: FolderStatus): Promise<TargetWindow> {
  const from = checkpoint
    ? Math.min(checkpoint.targetUidNext, ...intents.map((i) => i.targetUidNextBefore))
    : 1;
  if (tgtStatus.messages === 0 || from >= tgtStatus.uidNext) return TargetWindow.empty(target, path);
  return TargetWindow.load(target, path, from);
}

interface PageInput {
  readonly input: CopyFolderInput;
  readonly page: readonly number[];
  readonly policy: FlagPolicy;
  readonly window: TargetWindow;
  readonly cursor: FolderCheckpoint;
  readonly tally: Tally;
  readonly quarantine: readonly QuarantineRecord[];
  readonly isLast: boolean;
  readonly finalUidNext: number;
  /** Target UIDNEXT when the run started: once the folder is complete, the window is used up. */
  readonly windowEnd: number;
}

async function copyPage(p: PageInput): Promise<FolderCheckpoint> {
  const { input, page, cursor, tally } = p;
  const { source, target, state, lease, sourcePath, targetPath, log } = input;
  const copied: Array<readonly [number, number]> = [];
  const newlyQuarantined: QuarantineRecord[] = [];
  const wasQuarantined = new Set(p.quarantine.map((q) => q.srcUid));
  let targetUidNext = cursor.targetUidNext;
  let uidUnknown = false;

  const metas = await source.fetchMeta(sourcePath, page);
  tally.vanished += page.length - metas.length;
  for (const batch of batchByBytes(metas, input.batchBytes)) {
    const raws = await source.fetchRaw(sourcePath, batch.map((m) => m.uid));
    tally.vanished += batch.length - raws.length;
    const hashed = raws.map((raw) => ({ raw, srcUid: raw.uid, size: raw.raw.length, sha256: sha256(raw.raw) }));
    const claims = await p.window.claim(hashed);
    for (const [srcUid, tgtUid] of claims) copied.push([srcUid, tgtUid]);
    tally.alreadyThere += claims.size;

    const toAppend = hashed.filter((h) => !claims.has(h.srcUid));
    await state.writeIntents(lease, toAppend.map((h) => ({ srcUid: h.srcUid, size: h.size, sha256: h.sha256, targetUidNextBefore: cursor.targetUidNext })));
    crashPoint('after-intents');
    for (const item of toAppend) {
      const outcome = await appendOne(target, targetPath, item.raw, p.policy);
      if ('refused' in outcome) {
        log.warn({ uid: item.srcUid, size: item.size, reason: outcome.refused }, 'target refused message; quarantined');
        newlyQuarantined.push({ srcUid: item.srcUid, uidValidity: cursor.uidValidity, size: item.size, code: outcome.code, reason: outcome.refused });
        continue;
      }
      crashPoint('after-append');
      copied.push([item.srcUid, outcome.uid ?? 0]);
      tally.copied += 1;
      tally.bytes += item.size;
      if (outcome.uid === undefined) uidUnknown = true;
      else targetUidNext = Math.max(targetUidNext, outcome.uid + 1);
    }
  }
  if (uidUnknown) targetUidNext = Math.max(targetUidNext, (await target.status(targetPath)).uidNext);
  tally.quarantined += newlyQuarantined.length;

  const next: FolderCheckpoint = {
    ...cursor,
    lastUid: Math.max(cursor.lastUid, ...page),
    // Only a complete folder may take the "nothing new" fast path on the next run.
    sourceUidNext: p.isLast ? p.finalUidNext : cursor.sourceUidNext,
    targetUidNext: p.isLast ? Math.max(targetUidNext, p.windowEnd) : targetUidNext,
  };
  const released = copied.map(([src]) => src).filter((uid) => wasQuarantined.has(uid));
  await state.commitPage(lease, { checkpoint: next, copied, clearIntents: [...page], quarantined: newlyQuarantined, released });
  crashPoint('after-commit');
  return next;
}

type AppendOutcome = { readonly uid?: number } | { readonly refused: string; readonly code: string };

async function appendOne(target: TargetConnector, path: string, message: RawMessage, policy: FlagPolicy): Promise<AppendOutcome> {
  const limit = target.capabilities.maxMessageBytes;
  if (limit !== undefined && message.raw.length > limit) {
    return { refused: `message of ${message.raw.length} bytes exceeds the target's APPENDLIMIT of ${limit} bytes`, code: 'MESSAGE_TOO_LARGE' };
  }
  const { flags } = mapFlags(message.flags, policy);
  try {
    return await target.append(path, message.raw, flags, message.internalDate);
  } catch (error) {
    if (isConnectorError(error) && error.scope === 'message') return { refused: error.message, code: error.code };
    throw error;
  }
}

function result(input: CopyFolderInput, outcome: FolderResult['outcome'], tally: Tally, quarantine: readonly QuarantineRecord[]): FolderResult {
  return {
    sourcePath: input.sourcePath,
    targetPath: input.targetPath,
    outcome,
    ...tally,
    quarantine: quarantine.map((q) => ({ uid: q.srcUid, size: q.size, reason: q.reason })),
  };
}
