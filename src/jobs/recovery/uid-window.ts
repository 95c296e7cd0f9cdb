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
 */
import type { UidWindowRecovery } from '../../connectors/types.js';
import { sha256 } from '../copy/source-message.js';
import type { RecoveryWindow, WindowCandidate } from './recovery-window.js';

interface WindowEntry {
  readonly uid: number;
  readonly size: number;
  hash?: string;
  claimed: boolean;
}

export class UidWindow implements RecoveryWindow {
  private bySize = new Map<number, WindowEntry[]>();

  private constructor(private readonly recovery: UidWindowRecovery, private readonly path: string) {}

  /** Loads the metadata of target messages with UID >= fromUid (cheap: no bodies). */
  static async load(recovery: UidWindowRecovery, path: string, fromUid: number): Promise<UidWindow> {
    const window = new UidWindow(recovery, path);
    for (const meta of await recovery.listWindow(path, fromUid)) {
      const list = window.bySize.get(meta.size) ?? [];
      list.push({ uid: meta.uid, size: meta.size, claimed: false });
      window.bySize.set(meta.size, list);
    }
    return window;
  }

  static empty(recovery: UidWindowRecovery, path: string): UidWindow {
    return new UidWindow(recovery, path);
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
    return claims;
  }
}
