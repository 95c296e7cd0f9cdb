/**
 * The recovery window of a target whose copies cannot be recognised by UID or hash
 * (Exchange rebuilds MIME and has string ids): every message mailferry stores there
 * carries a marker naming its source message (AppendItem.marker), and a copy made before
 * a crash is found by that marker (TargetConnector.findByMarker).
 *
 * Scope, as for the UID window: without a checkpoint (lost state, a target filled by an
 * earlier run) every message is looked up; otherwise only those with a dangling intent.
 */
import type { TargetConnector } from '../connectors/types.js';

export class MarkerWindow {
  private readonly claimed = new Set<string>();

  private constructor(
    private readonly target: TargetConnector & Required<Pick<TargetConnector, 'findByMarker'>>,
    private readonly path: string,
    private readonly scope: ReadonlySet<string> | 'all',
    /** How many messages may be in the window (for the log line). */
    readonly size: number,
  ) {}

  /** @param pending - markers of the dangling intents, or 'all' when nothing is known of the target folder. */
  static open(target: TargetConnector, path: string, pending: ReadonlySet<string> | 'all', folderMessages: number): MarkerWindow | undefined {
    if (!target.findByMarker) return undefined;
    const withFind = target as TargetConnector & Required<Pick<TargetConnector, 'findByMarker'>>;
    if (folderMessages === 0) return new MarkerWindow(withFind, path, new Set(), 0);
    return new MarkerWindow(withFind, path, pending, pending === 'all' ? folderMessages : pending.size);
  }

  /** For each source message (by `srcUid`) already on the target: 0, as the target has no numeric UID. */
  async claim(messages: ReadonlyArray<{ readonly srcUid: number }>, markerOf: (srcUid: number) => string): Promise<Map<number, number>> {
    const claims = new Map<number, number>();
    const candidates = messages
      .map((m) => ({ srcUid: m.srcUid, marker: markerOf(m.srcUid) }))
      .filter((c) => !this.claimed.has(c.marker) && (this.scope === 'all' || this.scope.has(c.marker)));
    if (candidates.length === 0) return claims;
    const found = await this.target.findByMarker(this.path, candidates.map((c) => c.marker));
    for (const c of candidates) {
      if (!found.has(c.marker)) continue;
      this.claimed.add(c.marker);
      claims.set(c.srcUid, 0);
    }
    return claims;
  }
}
