/** Which account kinds may meet in a pair, and which pair options need which kind. */
import type { AccountSpec } from './account-spec.js';
import { ConfigError } from './config-error.js';

/**
 * @param what - where the pair was given ("--target", "config.yaml: pairs.alice"), for the message.
 * @param pop3Options - names of POP3-only options the user set, refused for other sources.
 */
export function checkPairKinds(source: AccountSpec, target: AccountSpec, what: string, pop3Options: readonly string[] = []): void {
  if (target.kind === 'pop3') {
    throw new ConfigError(`${what}: the target is a POP3 account, but POP3 can only be a source (the target must be imaps:// or imap://)`);
  }
  if (source.kind !== 'pop3' && pop3Options.length > 0) {
    throw new ConfigError(`${what}: ${pop3Options.join(', ')} only apply to a POP3 source (pop3s:// or pop3://)`);
  }
}
