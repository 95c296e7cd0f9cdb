/** Which account kinds may meet in a pair, and which pair options need which kind. */
import type { AccountSpec } from './account-spec.js';
import { ConfigError } from './config-error.js';
import type { PairMode } from './sync-modes.js';

/**
 * @param what - where the pair was given ("--target", "config.yaml: pairs.alice"), for the message.
 * @param pop3Options - names of POP3-only options the user set, refused for other sources.
 */
export function checkPairKinds(source: AccountSpec, target: AccountSpec, what: string, pop3Options: readonly string[] = []): void {
  if (target.kind === 'pop3') {
    throw new ConfigError(`${what}: the target is a POP3 account, but POP3 can only be a source (the target must be imaps:// or imap://)`);
  }
  if (target.kind === 'graph') {
    throw new ConfigError(`${what}: the target is a graph:// account, but Graph can only be a source: mail stored through Graph becomes a draft. To write to Exchange Online use IMAP with OAuth (imaps://USER@outlook.office365.com?auth=oauth&tenant=...&client=...), which keeps bytes, flags and dates`);
  }
  if (source.kind !== 'pop3' && pop3Options.length > 0) {
    throw new ConfigError(`${what}: ${pop3Options.join(', ')} only apply to a POP3 source (pop3s:// or pop3://)`);
  }
}

/**
 * A mirror reads flags and deletions from the source (IMAP by UID, Graph by delta query
 * and listing) and writes them back by UID: it needs an IMAP or Graph source and an IMAP
 * or Maildir target. A backup needs a target that keeps what it gets.
 */
export function checkModeKinds(mode: PairMode, source: AccountSpec, target: AccountSpec, what: string): void {
  if (mode === 'mirror' && source.kind !== 'imap' && source.kind !== 'graph') {
    throw new ConfigError(`${what}: mode mirror needs an IMAP or Graph source (imaps://, imap:// or graph://); for a ${source.kind} source use mode: migrate or backup`);
  }
  if (mode === 'mirror' && target.kind !== 'imap' && target.kind !== 'maildir') {
    throw new ConfigError(`${what}: mode mirror needs an IMAP or Maildir target; an ${target.kind} target can take mode: migrate or backup`);
  }
}
