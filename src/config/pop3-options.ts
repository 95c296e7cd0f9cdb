/**
 * What a POP3 source needs beyond the account: POP3 keeps no flags, no dates and no
 * folders, so the pair says which flag and date its messages get, and whether the POP
 * box may be emptied once the target has them.
 */
import type { DateSource } from '../mapping/index.js';
import { ConfigError } from './config-error.js';

/** never: leave every message on the server (the default). */
export type SourceDeletion =
  | { readonly mode: 'never' }
  | { readonly mode: 'after-copy' }
  | { readonly mode: 'older-than'; readonly days: number };

export interface Pop3Options {
  /** Store the messages as read (\Seen). @defaultValue false */
  readonly markSeen: boolean;
  /** Where INTERNALDATE comes from. @defaultValue 'received' */
  readonly dateFrom: DateSource;
  readonly deletion: SourceDeletion;
}

export const DEFAULT_POP3_OPTIONS: Pop3Options = { markSeen: false, dateFrom: 'received', deletion: { mode: 'never' } };

export const DELETION_FORMS = 'never, after-copy or older-than:DAYSd (e.g. older-than:30d)';

/** "never" | "after-copy" | "older-than:30d" (also "older-than 30d"). */
export function parseDeletion(text: string, what: string): SourceDeletion {
  const value = text.trim().toLowerCase();
  if (value === 'never') return { mode: 'never' };
  if (value === 'after-copy') return { mode: 'after-copy' };
  const olderThan = /^older-than[: ](\d{1,5})d$/.exec(value);
  const days = Number(olderThan?.[1]);
  if (olderThan && days >= 1) return { mode: 'older-than', days };
  throw new ConfigError(`${what}: "${text}" is not a deletion policy; use ${DELETION_FORMS}`);
}

export function describeDeletion(deletion: SourceDeletion): string {
  return deletion.mode === 'older-than' ? `older-than:${deletion.days}d` : deletion.mode;
}
