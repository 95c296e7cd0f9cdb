/**
 * The one error type of the mapping layer. Mapping errors are configuration problems
 * (a bad rename pattern, two folders landing on the same target path), never transient:
 * the message always says what to change so that the user can fix the config and re-run.
 */

export interface MappingErrorOptions {
  readonly cause?: unknown;
}

/** A folder rule or folder plan that cannot be applied; the message names what to fix. */
export class MappingError extends Error {
  /** Stable code for callers to branch on (never branch on message text). */
  readonly code = 'MAPPING' as const;

  constructor(message: string, options: MappingErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MappingError';
  }
}

/** True when `error` is a {@link MappingError}. */
export function isMappingError(error: unknown): error is MappingError {
  return error instanceof MappingError;
}
