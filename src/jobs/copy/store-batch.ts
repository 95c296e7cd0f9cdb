/**
 * The one store step of the copy engine, for every kind of source: claim copies already
 * in the recovery window, write the intents of the rest (write-ahead), append them, and
 * note in the page's work what its commit records: copies, quarantine, the target UIDNEXT.
 */
import type { FlagPolicy } from '../../connectors/types.js';
import type { CopiedMessage, QuarantineEntry } from '../../state/index.js';
import type { RecoveryWindow } from '../recovery/recovery-window.js';
import { appendMessages } from './append-messages.js';
import type { CopyInput, Tally } from './copy-input.js';
import { crashPoint } from './crash-points.js';
import { sentCopy, type SentCopy } from './target-changes.js';
import type { SourceMessage } from './source-message.js';

/** What the page in progress has done so far, committed when its last batch is stored. */
export interface PageWork {
  readonly copied: Array<readonly [string, CopiedMessage]>;
  readonly quarantined: QuarantineEntry[];
  /** Target UIDNEXT as the APPENDUIDs tell it. */
  targetUidNext: number;
  /** Some append did not tell its UID: ask the target for UIDNEXT before committing. */
  uidUnknown: boolean;
  /** This page's appends, to check against what the target stored (target-changes.ts). */
  readonly toCheck: SentCopy[];
}

export function newPageWork(targetUidNext: number): PageWork {
  return { copied: [], quarantined: [], targetUidNext, uidUnknown: false, toCheck: [] };
}

export interface StoreContext {
  readonly input: CopyInput;
  readonly window: RecoveryWindow;
  readonly policy: FlagPolicy;
  readonly markerOf: (key: string) => string;
  readonly tally: Tally;
  /** Where intents say to look after a crash: the target UIDNEXT of the last commit. */
  readonly committedTargetUidNext: number;
}

export async function storeBatch(ctx: StoreContext, messages: readonly SourceMessage[], work: PageWork): Promise<void> {
  const { input, tally } = ctx;
  const dateOf = new Map(messages.map((m) => [m.key, m.internalDate]));
  const copy = (key: string, targetUid: number): readonly [string, CopiedMessage] => [key, { targetUid, date: dateOf.get(key) ?? new Date(0) }];

  const claims = await ctx.window.claim(messages.map((m) => ({ key: m.key, marker: ctx.markerOf(m.key), size: m.size, sha256: m.sha256, raw: m.raw })));
  for (const [key, targetUid] of claims) {
    work.copied.push(copy(key, targetUid));
    const how = ctx.window.rewritten.get(key);
    if (how !== undefined) tally.targetChanges.set(how, (tally.targetChanges.get(how) ?? 0) + 1);
  }
  tally.alreadyThere += claims.size;

  const toAppend = messages.filter((m) => !claims.has(m.key));
  if (toAppend.length === 0) return;
  await input.state.writeIntents(input.lease, toAppend.map((m) => ({ key: m.key, size: m.size, sha256: m.sha256, targetUidNextBefore: ctx.committedTargetUidNext })));
  crashPoint('after-intents');
  const outcome = await appendMessages(input.target, input.targetPath, toAppend, ctx.policy, ctx.markerOf);
  for (const appended of outcome.appended) {
    crashPoint('after-append');
    work.copied.push(copy(appended.key, appended.uid ?? 0));
    tally.copied += 1;
    tally.bytes += appended.size;
    if (appended.uid === undefined) work.uidUnknown = true;
    else work.targetUidNext = Math.max(work.targetUidNext, appended.uid + 1);
  }
  const sent = new Map(toAppend.map((m) => [m.key, m.raw]));
  for (const appended of outcome.appended) work.toCheck.push(sentCopy(sent.get(appended.key) as Buffer, appended.uid));
  for (const refused of outcome.refused) {
    input.log.warn({ key: refused.key, size: refused.size, code: refused.code, reason: refused.reason }, 'message not stored; quarantined');
    work.quarantined.push({ key: refused.key, size: refused.size, code: refused.code, reason: refused.reason });
  }
  tally.quarantined += outcome.refused.length;
}
