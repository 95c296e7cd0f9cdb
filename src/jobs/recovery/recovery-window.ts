/** Where copies made before an interruption are looked for, whatever the target's recovery strategy. */

/** A source message as recovery sees it. */
export interface WindowCandidate {
  readonly key: string;
  readonly marker: string;
  readonly size: number;
  readonly sha256: string;
  /** Its bytes: a copy the target rewrote is recognised by what survives (rewrite-identity.ts). */
  readonly raw: Buffer;
}

export interface RecoveryWindow {
  /** Messages that may be in it (for the log line). */
  readonly size: number;
  /** The candidates already on the target: key -> target UID (0 when the target has none). Each target message is claimed once. */
  claim(messages: readonly WindowCandidate[]): Promise<Map<string, number>>;
  /** Claimed copies that the target had stored other than sent: key -> how (rewrite-identity.ts). */
  readonly rewritten: ReadonlyMap<string, string>;
}
