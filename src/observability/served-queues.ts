/**
 * The BullMQ queues this process serves, as Queue handles for the metrics scrape and the
 * dashboard. Names are added as the process starts workers on them.
 */
import { Queue, type ConnectionOptions } from 'bullmq';

export class ServedQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly listeners: Array<(queue: Queue) => void> = [];

  constructor(private readonly connection: ConnectionOptions, private readonly prefix: string) {}

  add(name: string): void {
    if (this.queues.has(name)) return;
    const queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
    // A failed command surfaces where it was awaited (a scrape, a dashboard request).
    queue.on('error', () => undefined);
    this.queues.set(name, queue);
    for (const listener of this.listeners) listener(queue);
  }

  list(): Queue[] {
    return [...this.queues.values()];
  }

  /** Calls `listener` for every queue, present and future. */
  onQueue(listener: (queue: Queue) => void): void {
    this.listeners.push(listener);
    for (const queue of this.queues.values()) listener(queue);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
