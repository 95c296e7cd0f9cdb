/**
 * The recovery window of a target with UIDs that keeps bytes as they came (IMAP, a
 * Maildir): the part of the target folder where copies of ours may sit without the
 * ledger knowing. After a crash between APPEND and commit, that is the UIDs from the last
 * committed target UIDNEXT on; after lost state or a UIDVALIDITY change, the whole folder.
 *
 * A source message is "already there" when an unclaimed target message in the window
 * has the same size and the same SHA-256. Size narrows the candidates; only those are
 * fetched and hashed, each at most once. Claims respect multiplicity: two identical
 * source messages need two identical target messages.
 *
 * A target that changed a copy as it stored it (Cyrus's munge8bit, an mbox server's added
 * headers) defeats size and hash; a source message left unclaimed is then looked for by
 * what such rewrites keep, its Message-ID, Date and body (rewrite-identity.ts): Message-IDs
 * of the window are read once (ENVELOPE), and only copies with the same one are fetched.
 */
import type { StoredCopy, UidWindowRecovery } from '../../connectors/types.js';
import { describeRewrite, headerBlock, messageIdOf, survivingIdentity } from '../copy/rewrite-identity.js';
import { sha256 } from '../copy/source-message.js';
import type { RecoveryWindow, WindowCandidate } from './recovery-window.js';

interface WindowEntry {
  readonly uid: number;
  readonly size: number;
  hash?: string;
  /** Its rewrite-surviving identity, once fetched. */
  identity?: string;
  claimed: boolean;
}

export class UidWindow implements RecoveryWindow {
  private bySize = new Map<number, WindowEntry[]>();
  private readonly claimedRewritten = new Map<string, string>();

  private constructor(private readonly recovery: UidWindowRecovery, private readonly path: string, private readonly fromUid: number) {}

  /** Loads the metadata of target messages with UID >= fromUid (cheap: no bodies). */
  static async load(recovery: UidWindowRecovery, path: string, fromUid: number): Promise<UidWindow> {
    const window = new UidWindow(recovery, path, fromUid);
    for (const meta of await recovery.listWindow(path, fromUid)) {
      const list = window.bySize.get(meta.size) ?? [];
      list.push({ uid: meta.uid, size: meta.size, claimed: false });
      window.bySize.set(meta.size, list);
    }
    return window;
  }

  static empty(recovery: UidWindowRecovery, path: string): UidWindow {
    return new UidWindow(recovery, path, Number.MAX_SAFE_INTEGER);
  }

  get rewritten(): ReadonlyMap<string, string> {
    return this.claimedRewritten;
  }

  get size(): number {
    let n = 0;
    for (const list of this.bySize.values()) n += list.length;
    return n;
  }

  /** Hashes every needed candidate with one FETCH for the whole batch. */
  async claim(messages: readonly WindowCandidate[]): Promise<Map<string, number>> {
    const claims = new Map<string, number>();
    if (this.bySize.size === 0) return claims;
    const unhashed = new Set<WindowEntry>();
    for (const message of messages) {
      for (const entry of this.bySize.get(message.size) ?? []) if (entry.hash === undefined && !entry.claimed) unhashed.add(entry);
    }
    if (unhashed.size > 0) {
      const byUid = new Map([...unhashed].map((entry) => [entry.uid, entry]));
      for (const raw of await this.recovery.fetchRaw(this.path, [...byUid.keys()])) {
        const entry = byUid.get(raw.uid);
        if (entry) entry.hash = sha256(raw.raw);
      }
    }
    for (const message of messages) {
      const entry = (this.bySize.get(message.size) ?? []).find((e) => !e.claimed && e.hash === message.sha256);
      if (entry) {
        entry.claimed = true;
        claims.set(message.key, entry.uid);
      }
    }
    const unclaimed = messages.filter((m) => !claims.has(m.key));
    if (unclaimed.length > 0) await this.claimRewritten(unclaimed, claims);
    return claims;
  }

  /** Claims copies the target rewrote: same Message-ID (or none on both), same identity (Message-ID, Date, body). */
  private async claimRewritten(messages: readonly WindowCandidate[], claims: Map<string, number>): Promise<void> {
    if (this.entries().every((e) => e.claimed)) return;
    const byMessageId = await this.entriesByMessageId();
    const wanted = messages.flatMap((message) => {
      const candidates = (byMessageId.get(messageIdOf(message.raw) ?? '') ?? []).filter((e) => !e.claimed);
      return candidates.length === 0 ? [] : [{ message, candidates }];
    });
    const toFetch = [...new Set(wanted.flatMap((w) => w.candidates.filter((e) => e.identity === undefined)))];
    if (toFetch.length > 0) {
      const byUid = new Map(toFetch.map((entry) => [entry.uid, entry]));
      for (const raw of await this.recovery.fetchRaw(this.path, [...byUid.keys()])) {
        const entry = byUid.get(raw.uid);
        if (!entry) continue;
        entry.identity = survivingIdentity(raw.raw);
        this.storedCopies.set(entry.uid, { size: raw.raw.length, header: headerBlock(raw.raw) });
      }
    }
    for (const { message, candidates } of wanted) {
      const identity = survivingIdentity(message.raw);
      const entry = candidates.find((e) => !e.claimed && e.identity === identity);
      if (!entry) continue;
      entry.claimed = true;
      claims.set(message.key, entry.uid);
      const stored = this.storedCopies.get(entry.uid);
      this.claimedRewritten.set(message.key, (stored && describeRewrite(message.raw, stored)) ?? 'body changed');
    }
  }

  private readonly storedCopies = new Map<number, StoredCopy>();
  private byMessageId: Map<string, WindowEntry[]> | undefined;

  /** The window's messages by Message-ID ('' for none), read once (ENVELOPE). */
  private async entriesByMessageId(): Promise<Map<string, WindowEntry[]>> {
    if (this.byMessageId) return this.byMessageId;
    const byUid = new Map(this.entries().map((entry) => [entry.uid, entry]));
    const index = new Map<string, WindowEntry[]>();
    for (const meta of await this.recovery.listWindow(this.path, this.fromUid, { withMessageId: true })) {
      const entry = byUid.get(meta.uid);
      if (!entry) continue;
      const messageId = meta.messageId?.trim() ?? '';
      index.set(messageId, [...(index.get(messageId) ?? []), entry]);
    }
    this.byMessageId = index;
    return index;
  }

  private entries(): WindowEntry[] {
    return [...this.bySize.values()].flat();
  }
}
