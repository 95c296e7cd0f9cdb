/**
 * How a POP3 message is recognised from one session to the next. Message numbers shift
 * whenever messages go, so identity is the UIDL (RFC 1939 7). Where the UIDL cannot be
 * trusted — the server has none, or gives one UIDL to several messages (Dovecot's
 * `pop3_uidl_format = %v` does) — the key is the content: UIDL (if any) + SHA-256 +
 * occurrence among identical messages. Such messages must be fetched on every run to be
 * recognised, and they are never deleted from the server.
 *
 * UIDLs are printable ASCII without spaces (0x21-0x7E), so content keys contain spaces
 * and can never equal a UIDL.
 */
import type { MaildropEntry } from '../../connectors/types.js';

export type MessageIdentity =
  /** A unique UIDL: known before fetching, safe to delete by. */
  | { readonly kind: 'uidl'; readonly key: string }
  /** Known only once the bytes are fetched: see ContentKeys. */
  | { readonly kind: 'content'; readonly scope: string };

export interface IdentifiedEntry {
  readonly entry: MaildropEntry;
  readonly identity: MessageIdentity;
}

export interface Identification {
  readonly entries: readonly IdentifiedEntry[];
  /** Messages sharing their UIDL with another message. */
  readonly sharedUidl: number;
  readonly withoutUidl: number;
}

export function identifyMessages(listing: readonly MaildropEntry[]): Identification {
  const uses = new Map<string, number>();
  for (const entry of listing) if (entry.uidl !== undefined) uses.set(entry.uidl, (uses.get(entry.uidl) ?? 0) + 1);
  let sharedUidl = 0;
  let withoutUidl = 0;
  const entries = listing.map((entry): IdentifiedEntry => {
    if (entry.uidl === undefined) {
      withoutUidl += 1;
      return { entry, identity: { kind: 'content', scope: '-' } };
    }
    if ((uses.get(entry.uidl) ?? 0) > 1) {
      sharedUidl += 1;
      return { entry, identity: { kind: 'content', scope: entry.uidl } };
    }
    return { entry, identity: { kind: 'uidl', key: entry.uidl } };
  });
  return { entries, sharedUidl, withoutUidl };
}

/**
 * Content keys in listing order: the n-th message with the same scope and bytes gets
 * occurrence n, so two identical messages are two keys (both are copied, once each).
 */
export class ContentKeys {
  private readonly seen = new Map<string, number>();

  keyOf(scope: string, sha256: string): string {
    const base = `${scope} sha256=${sha256}`;
    const occurrence = (this.seen.get(base) ?? 0) + 1;
    this.seen.set(base, occurrence);
    return `${base} #${occurrence}`;
  }
}
