/**
 * IMAP flags <-> the Exchange item properties that carry the same facts.
 *
 *   \Seen       IsRead (and MSGFLAG_READ in PR_MESSAGE_FLAGS)
 *   \Flagged    Flag.FlagStatus = Flagged ("Complete" has no IMAP flag and reads as unflagged)
 *   \Answered   PidTagLastVerbExecuted 102 (reply) or 103 (reply all)
 *   $Forwarded  PidTagLastVerbExecuted 104 (forward)
 *   \Draft      IsDraft; on the target MSGFLAG_UNSENT in PR_MESSAGE_FLAGS
 *   keywords    Categories (see category-keywords.ts)
 *
 * Exchange keeps only the *last* verb, so a message both answered and forwarded comes
 * back with one of the two; written to Exchange, such a message is stored as replied,
 * since \Answered is the flag every IMAP client shows.
 */
import { categoryToKeyword, keywordToCategory } from './category-keywords.js';

/** PidTagLastVerbExecuted values (MS-OXOMSG 2.2.1.34). */
export const LAST_VERB = { replyToSender: 102, replyToAll: 103, forward: 104 } as const;

/** PR_MESSAGE_FLAGS bits (MS-OXCMSG 2.2.1.6). */
export const MESSAGE_FLAG = { read: 0x1, unsent: 0x8 } as const;

/** What a GetItem says about an item's state. */
export interface ItemState {
  readonly isRead: boolean | undefined;
  readonly flagStatus: 'NotFlagged' | 'Flagged' | 'Complete' | undefined;
  readonly lastVerb: number | undefined;
  readonly categories: readonly string[];
  /** Never sent (IsDraft, MSGFLAG_UNSENT); absent when the server did not say. */
  readonly isDraft?: boolean;
}

/** The IMAP flags of an item: system flags first, then one keyword per category in the item's order. */
export function itemFlags(state: ItemState): string[] {
  const flags: string[] = [];
  if (state.isRead === true) flags.push('\\Seen');
  if (state.lastVerb === LAST_VERB.replyToSender || state.lastVerb === LAST_VERB.replyToAll) flags.push('\\Answered');
  if (state.flagStatus === 'Flagged') flags.push('\\Flagged');
  if (state.isDraft === true) flags.push('\\Draft');
  if (state.lastVerb === LAST_VERB.forward) flags.push('$Forwarded');
  const seen = new Set<string>();
  for (const category of state.categories) {
    const keyword = categoryToKeyword(category);
    if (seen.has(keyword.toLowerCase())) continue;
    seen.add(keyword.toLowerCase());
    flags.push(keyword);
  }
  return flags;
}

/** The flags and keywords a new Exchange item can store (FlagPolicy.permanent); any other keyword becomes a category. */
export const STORABLE_FLAGS: readonly string[] = ['\\Seen', '\\Flagged', '\\Answered', '$Forwarded'];

/**
 * Keywords that record a mail client's bookkeeping (RFC 5788 registry and common
 * conventions: junk training, MDN sent, submission state, Apple's flag colour bits).
 * They are not a user's labels, so they do not become categories.
 */
const BOOKKEEPING_KEYWORDS: ReadonlySet<string> = new Set([
  '$mdnsent', '$junk', '$notjunk', 'junk', 'nonjunk', 'notjunk', '$phishing', '$submitted', '$submitpending',
  '$mailflagbit0', '$mailflagbit1', '$mailflagbit2',
]);

/** What to set on a new item so that it reads back with the given IMAP flags. */
export interface NewItemState {
  readonly isRead: boolean;
  readonly flagged: boolean;
  /** PidTagLastVerbExecuted, when the message was answered or forwarded. */
  readonly lastVerb: number | undefined;
  /** Category names, in the order of their keywords, without duplicates (ignoring case). */
  readonly categories: string[];
  /**
   * PR_MESSAGE_FLAGS: MSGFLAG_READ for \Seen, MSGFLAG_UNSENT for \Draft. Without this
   * property an item created from MIME is a draft in every client (Microsoft's import
   * sample), so it is always set, to 0 for an unread message.
   */
  readonly messageFlags: number;
}

/**
 * Maps IMAP flags (as `mapFlags` left them) to a new item's properties. Flags compare
 * case-insensitively (RFC 3501 9). Keywords: "$Cat_..." decodes to its category; any
 * other keyword, except client bookkeeping, becomes a category of the same name, so a
 * user's IMAP labels ("Work", "$label1") stay visible in Outlook. An empty category name
 * is dropped: Exchange does not store one. \Deleted and \Recent have no Exchange
 * counterpart and are ignored.
 */
export function newItemState(flags: readonly string[]): NewItemState {
  const has = new Set(flags.map((flag) => flag.toLowerCase()));
  const answered = has.has('\\answered');
  const forwarded = has.has('$forwarded');
  const categories: string[] = [];
  const seen = new Set<string>();
  for (const flag of flags) {
    if (flag.startsWith('\\') || flag.toLowerCase() === '$forwarded' || BOOKKEEPING_KEYWORDS.has(flag.toLowerCase())) continue;
    const category = keywordToCategory(flag) ?? flag;
    if (category === '' || seen.has(category.toLowerCase())) continue;
    seen.add(category.toLowerCase());
    categories.push(category);
  }
  const isRead = has.has('\\seen');
  return {
    isRead,
    flagged: has.has('\\flagged'),
    lastVerb: answered ? LAST_VERB.replyToSender : forwarded ? LAST_VERB.forward : undefined,
    categories,
    messageFlags: (isRead ? MESSAGE_FLAG.read : 0) | (has.has('\\draft') ? MESSAGE_FLAG.unsent : 0),
  };
}
