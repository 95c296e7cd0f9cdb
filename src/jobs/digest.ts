import { createHash } from 'node:crypto';

/** Hex SHA-256 of exact message bytes: the content identity used for recovery and matching. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
