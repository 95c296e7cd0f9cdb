/** Exit codes scripts can rely on (documented in the README and `--help`). */
export const EXIT = {
  /** Every selected message is on the target. */
  OK: 0,
  /** The run finished, but some messages are not on the target (quarantined) or a folder failed. */
  INCOMPLETE: 1,
  /** Bad input: usage, config file, secrets, Redis policy. Nothing was copied. */
  USAGE: 2,
  /** An account could not be used: authentication, TLS or connection failure. */
  ACCOUNT: 3,
  /** Interrupted by SIGINT / SIGTERM; a re-run resumes from the checkpoint. */
  SIGINT: 130,
  SIGTERM: 143,
} as const;
