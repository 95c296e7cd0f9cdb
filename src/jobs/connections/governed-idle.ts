/**
 * The pool's idle connectors. An idle connector still holds its governor slot (and the
 * server still counts its connection), so one left unused for `idleMs` is handed to
 * `expire` to be closed.
 */
import type { GovernorSlot } from '../../state/index.js';

/** A connector of the pool and the slot it holds for its whole life (none for Maildir or without a governor). */
export interface Pooled<T> {
  readonly connector: T;
  readonly slot: GovernorSlot | undefined;
}

interface IdleEntry<T> {
  readonly pooled: Pooled<T>;
  readonly timer: NodeJS.Timeout;
}

export class IdleConnectors<T> {
  private readonly byKey = new Map<string, IdleEntry<T>[]>();

  constructor(private readonly idleMs: number, private readonly expire: (pooled: Pooled<T>) => void) {}

  /** The most recently used idle connector for `key` (the least likely to have been dropped by the server). */
  take(key: string): Pooled<T> | undefined {
    const list = this.byKey.get(key);
    const entry = list?.pop();
    if (list?.length === 0) this.byKey.delete(key);
    if (entry === undefined) return undefined;
    clearTimeout(entry.timer);
    return entry.pooled;
  }

  put(key: string, pooled: Pooled<T>): void {
    const timer = setTimeout(() => {
      if (this.remove(key, pooled)) this.expire(pooled);
    }, this.idleMs);
    // Never keeps the process alive: at exit the connections go anyway.
    timer.unref();
    const list = this.byKey.get(key) ?? [];
    list.push({ pooled, timer });
    this.byKey.set(key, list);
  }

  /** Removes and returns every idle connector that `matches` (all of them by default). */
  takeWhere(matches: (pooled: Pooled<T>) => boolean = () => true): Pooled<T>[] {
    const taken: Pooled<T>[] = [];
    for (const [key, list] of this.byKey) {
      const kept = list.filter((entry) => {
        if (!matches(entry.pooled)) return true;
        clearTimeout(entry.timer);
        taken.push(entry.pooled);
        return false;
      });
      if (kept.length === 0) this.byKey.delete(key);
      else this.byKey.set(key, kept);
    }
    return taken;
  }

  private remove(key: string, pooled: Pooled<T>): boolean {
    const list = this.byKey.get(key);
    const at = list?.findIndex((entry) => entry.pooled === pooled) ?? -1;
    if (list === undefined || at < 0) return false;
    list.splice(at, 1);
    if (list.length === 0) this.byKey.delete(key);
    return true;
  }
}
