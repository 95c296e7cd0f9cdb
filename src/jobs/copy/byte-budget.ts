/**
 * A process-wide budget of message bytes held in memory: every folder job in this
 * process takes its batches' bytes from it before fetching them and gives them back
 * once they are stored. Memory then stays bounded however many folders run at once and
 * however large the messages are (a message larger than the whole budget waits for the
 * budget to be free and then has it alone). First come, first served, so a large
 * message is not starved by a stream of small ones.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ readonly bytes: number; readonly grant: () => void }> = [];

  constructor(readonly capacity: number) {}

  /** Waits until `bytes` fit, takes them, and returns the function that gives them back (once). */
  async acquire(bytes: number): Promise<() => void> {
    const want = Math.max(0, Math.min(bytes, this.capacity));
    if (this.waiting.length > 0 || this.used + want > this.capacity) {
      await new Promise<void>((resolve) => this.waiting.push({ bytes: want, grant: resolve }));
    } else {
      this.used += want;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= want;
      this.grantWaiting();
    };
  }

  private grantWaiting(): void {
    for (let next = this.waiting[0]; next && this.used + next.bytes <= this.capacity; next = this.waiting[0]) {
      this.waiting.shift();
      this.used += next.bytes;
      next.grant();
    }
  }
}
