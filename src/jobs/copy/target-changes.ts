/**
 * Once per page, what the target stored for the page's appends is read back (size and
 * header block, one FETCH) and compared with what was sent, so a run notices a target
 * that changes messages as it stores them and says how many and how (rewrite-identity.ts).
 * All of a folder's first page is checked; after that only messages with something a
 * known rewrite acts on (hasRewriteTriggers), unless the target changed a message without
 * one: then everything, for the rest of the folder. A target that keeps bytes so costs one
 * FETCH per folder, not one per page.
 * Where the target does not tell the new UIDs (no UIDPLUS: GNU Mailutils), the messages
 * that appeared since the last check are read and paired with what was sent by
 * Message-ID. The check is a report, not a step of the copy: its failure is logged, never
 * fatal.
 */
import type { Logger } from 'pino';
import type { StoredCopy, TargetConnector } from '../../connectors/types.js';
import { describeChange, hasRewriteTriggers, messageIdOf, shapeOf, shapeOfMessage, type CopyShape } from './rewrite-identity.js';

/** What the check needs of one appended message (its bytes are gone by the end of the page). */
export interface SentCopy {
  /** The new UID, when the target told it (APPENDUID). */
  readonly uid: number | undefined;
  readonly shape: CopyShape;
  readonly messageId: string | undefined;
  readonly hasTriggers: boolean;
}

export function sentCopy(raw: Buffer, uid: number | undefined): SentCopy {
  return { uid, shape: shapeOfMessage(raw), messageId: messageIdOf(raw), hasTriggers: hasRewriteTriggers(raw) };
}

/** One folder's check, across its pages. */
export interface ChangeCheck {
  readonly target: TargetConnector;
  readonly path: string;
  /** how -> count, added to. */
  readonly changes: Map<string, number>;
  readonly log: Logger;
  /** Every message is checked: the first page, or the target changed a message without triggers. */
  checkAll: boolean;
}

/**
 * Checks `sent` against the target; UID-less ones among the messages from UID `from` on.
 * Resolves with where the next UID-less check starts.
 */
export async function checkStoredCopies(check: ChangeCheck, appended: readonly SentCopy[], from: number): Promise<number> {
  const { recovery, storedCopies } = check.target.features;
  const sent = check.checkAll ? appended : appended.filter((copy) => copy.hasTriggers);
  if (appended.length > 0) check.checkAll = false;
  if (!storedCopies || sent.length === 0) return from;
  try {
    const known = sent.filter((s) => s.uid !== undefined);
    const stored = await storedCopies(check.path, known.map((s) => s.uid as number));
    for (const copy of known) compare(check, copy, stored.get(copy.uid as number));
    const uidless = sent.filter((s) => s.uid === undefined);
    if (uidless.length === 0 || recovery.kind !== 'uid-window') return from;
    const uids = (await recovery.listWindow(check.path, from)).map((m) => m.uid);
    const appeared = [...(await storedCopies(check.path, uids)).values()].map((stored) => ({ stored, messageId: messageIdOf(stored.header) }));
    for (const copy of uidless) {
      const at = copy.messageId === undefined ? -1 : appeared.findIndex((a) => a.messageId === copy.messageId);
      if (at >= 0) compare(check, copy, appeared.splice(at, 1)[0]?.stored);
    }
    return Math.max(from, ...uids.map((uid) => uid + 1));
  } catch (error) {
    check.log.warn({ err: error }, 'could not read back the messages just stored, to check that the target kept them as sent');
    return from;
  }
}

function compare(check: ChangeCheck, sent: SentCopy, stored: StoredCopy | undefined): void {
  if (stored === undefined) return;
  const how = describeChange(sent.shape, shapeOf(stored.header, stored.size));
  if (how === undefined) return;
  if (!sent.hasTriggers) check.checkAll = true;
  if (!check.changes.has(how)) {
    check.log.warn({ how }, 'the target changed a message as it stored it; recovery and verify recognise such copies by Message-ID, Date and body');
  }
  check.changes.set(how, (check.changes.get(how) ?? 0) + 1);
}
