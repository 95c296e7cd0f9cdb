/**
 * Emptying the POP box, when the pair asks for it. Only messages whose copy the target
 * confirmed and whose key is committed in Redis are marked (DELE), only after every page
 * is committed, and only a unique UIDL is trusted to name a message. Marks take effect
 * at QUIT (RFC 1939 6): a session that drops before it rolls every mark back, and the
 * next run finds the same messages already on the target and marks them again.
 */
import type { Logger } from 'pino';
import type { SourceDeletion } from '../../config/index.js';
import type { MaildropSource } from '../../connectors/types.js';
import type { CopyState } from '../../state/index.js';
import { crashPoint } from './crash-points.js';
import type { IdentifiedEntry } from './maildrop-keys.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DeletionInput {
  readonly source: MaildropSource;
  readonly state: CopyState;
  readonly entries: readonly IdentifiedEntry[];
  readonly deletion: SourceDeletion;
  readonly now: Date;
  readonly log: Logger;
}

/** Returns how many messages the server removed. */
export async function deleteConfirmed(input: DeletionInput): Promise<number> {
  const { source, state, entries, deletion, log } = input;
  if (deletion.mode === 'never') return 0;
  const trusted = entries.flatMap((e) => (e.identity.kind === 'uidl' ? [{ number: e.entry.number, key: e.identity.key }] : []));
  if (trusted.length < entries.length) {
    log.warn({ kept: entries.length - trusted.length }, 'messages without a unique UIDL stay on the POP3 server');
  }
  // Read back from Redis: a message counts as copied only once its page is committed.
  const copies = await state.copies({ kind: 'maildrop' }, trusted.map((t) => t.key));
  const cutoff = deletion.mode === 'older-than' ? input.now.getTime() - deletion.days * DAY_MS : Number.POSITIVE_INFINITY;
  const numbers = trusted.filter((t) => {
    const copy = copies.get(t.key);
    return copy !== undefined && copy.date.getTime() < cutoff;
  }).map((t) => t.number);
  if (numbers.length === 0) return 0;
  await source.markDeleted(numbers);
  crashPoint('after-dele');
  await source.commit();
  log.info({ deleted: numbers.length }, 'deleted copied messages from the POP3 server');
  return numbers.length;
}
