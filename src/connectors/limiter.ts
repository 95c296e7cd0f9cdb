/**
 * At most `limit` operations at once, the rest queued in arrival order. Exchange counts
 * concurrent requests per user (EWSMaxConcurrency) and answers the excess with
 * ErrorServerBusy or HTTP 503, so each connector holds itself below its share. The
 * Graph connector runs one request at a time per connection (graph/graph-http.ts).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, not ${limit}`);
  }

  /** Operations running now (for tests and diagnostics). */
  get running(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays as it is.
      if (next) next();
      else this.active -= 1;
    }
  }
}
