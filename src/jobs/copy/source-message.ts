/** A source message as the engine stores it, whatever kind of source it came from. */
import { createHash } from 'node:crypto';

export interface SourceMessage {
  /** Its key in the folder's ledger: a UID, a UIDL or content key, an item id. */
  readonly key: string;
  readonly raw: Buffer;
  readonly size: number;
  /** SHA-256 of `raw`, hex: the identity recovery matches by. */
  readonly sha256: string;
  readonly flags: readonly string[];
  readonly internalDate: Date;
  /** The source could not give its exact bytes (see RawMessage.inexact): quarantined, never stored. */
  readonly inexact?: string;
}

/** Hex SHA-256 of exact message bytes: the content identity used for recovery and matching. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The marker a copy carries on targets that keep one: the source message's identity within its pair. */
export function copyMarker(pairId: string, folderId: string, sourceKey: string): string {
  return `mailferry:${pairId}:${folderId}:${sourceKey}`;
}
