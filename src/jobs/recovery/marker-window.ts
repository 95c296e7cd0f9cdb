/**
 * The recovery window of a target whose copies cannot be recognised by UID or hash
 * (Exchange rebuilds MIME and has string ids): every message mailferry stores there
 * carries a marker naming its source message (AppendItem.marker), and a copy made before
 * a crash is found by that marker (MarkerRecovery.findByMarker).
 *
 * Scope, as for the UID window: without a checkpoint (lost state, a target filled by an
 * earlier run) every message is looked up; otherwise only those with a dangling intent.
 */
import type { MarkerRecovery } from '../../connectors/types.js';
import type { RecoveryWindow, WindowCandidate } from './recovery-window.js';

export class MarkerWindow implements RecoveryWindow {
  private readonly claimed = new Set<string>();
  /** Found by marker, whatever the target made of the bytes: nothing to tell apart. */
  readonly rewritten: ReadonlyMap<string, string> = new Map();

  /**
   * @param scope - markers of the dangling intents, or 'all' when nothing is known of the target folder.
   * @param size - how many messages may be in the window (for the log line).
   */
  constructor(
    private readonly recovery: MarkerRecovery,
    private readonly path: string,
    private readonly scope: ReadonlySet<string> | 'all',
    readonly size: number,
  ) {}

  async claim(messages: readonly WindowCandidate[]): Promise<Map<string, number>> {
    const claims = new Map<string, number>();
    const candidates = messages.filter((m) => !this.claimed.has(m.marker) && (this.scope === 'all' || this.scope.has(m.marker)));
    if (candidates.length === 0) return claims;
    const found = await this.recovery.findByMarker(this.path, candidates.map((c) => c.marker));
    for (const c of candidates) {
      if (!found.has(c.marker)) continue;
      this.claimed.add(c.marker);
      claims.set(c.key, 0);
    }
    return claims;
  }
}
