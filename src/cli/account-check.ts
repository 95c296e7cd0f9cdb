/** Fails early, before anything is queued, when a secret or CA file of a pair cannot be read. */
import { accountLabel, readCaFile, resolveSecret, type RunSpec } from '../config/index.js';

export function checkReadable(specs: readonly RunSpec[]): void {
  for (const spec of specs) {
    for (const [role, account] of [['source', spec.source], ['target', spec.target]] as const) {
      // A Maildir is a local directory: no secret, no CA.
      if (account.kind === 'maildir') continue;
      const what = `${role} ${accountLabel(account)}`;
      resolveSecret(account.secret, what);
      if (account.caFile) readCaFile(account.caFile, what);
    }
  }
}
