/** Thrown at a page boundary when shutdown was asked for; the folder resumes from its checkpoint. */
export class InterruptedError extends Error {
  readonly code = 'INTERRUPTED';
  constructor() {
    super('interrupted at a page boundary; the next run resumes from the checkpoint');
    this.name = 'InterruptedError';
  }
}
