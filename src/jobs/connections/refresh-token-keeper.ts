/**
 * Where a refresh token the token service rotates goes, by where the account's secret
 * lives: one read from a file is written back into that file (same format, atomically:
 * config/secret-file-rewrite.ts), so a daemon that runs for months and every restart use
 * the newest token. One from an environment variable cannot be updated; that is said once
 * per account and process, when the account's tokens are first needed, with what to do.
 *
 * Log lines name the account and the file, never a token or a secret.
 */
import type { Logger } from 'pino';
import { accountLabel, rewriteSecretFile, SecretFileWriteError, type ImapAccountSpec, type Pop3AccountSpec } from '../../config/index.js';
import { withRefreshToken } from '../../connectors/oauth/refresh-secret.js';
import type { RefreshTokenKeeper } from '../../connectors/oauth/refresh-token.js';

/** Accounts (label and variable) already warned about in this process. */
const warned = new Set<string>();

/** The keeper for the account's secret file, or undefined (after the warning) for a secret that cannot be written back. */
export function refreshTokenKeeper(account: ImapAccountSpec | Pop3AccountSpec, log: Logger): RefreshTokenKeeper | undefined {
  const label = accountLabel(account);
  if ('file' in account.secret) return fileKeeper(account.secret.file, label, log);
  const variable = account.secret.env;
  if (!warned.has(`${label}\0${variable}`)) {
    warned.add(`${label}\0${variable}`);
    log.warn({ account: label, variable },
      `account ${label}: its refresh token comes from the environment variable ${variable}, which mailferry cannot update: `
      + 'a refresh token the token service rotates (Microsoft does with every refresh) is kept in memory only, and the next start '
      + 'uses the stored one until it expires or is revoked. Put the refresh token in a file (password: { file: ... } in the config, '
      + '--source-password-file or --target-password-file on the command line) so rotated tokens are kept');
  }
  return undefined;
}

function fileKeeper(file: string, label: string, log: Logger): RefreshTokenKeeper {
  return {
    where: `file ${file}`,
    async keep(refreshToken) {
      try {
        const outcome = await rewriteSecretFile(file, (current) => withRefreshToken(current, refreshToken));
        log.debug({ account: label, file, outcome }, 'rotated refresh token written back to the secret file');
      } catch (error) {
        const why = error instanceof SecretFileWriteError
          ? `${error.message}; make the file and its directory writable for the user mailferry runs as (the file is replaced by a rename), e.g. chmod 600 ${file}`
          : `${file} no longer holds a refresh secret (${(error as Error).message}); store the refresh token in it again`;
        log.warn({ account: label, file, code: error instanceof SecretFileWriteError ? error.code : 'FORMAT' },
          `account ${label}: the rotated refresh token was not written back: ${why}. This process goes on with the new token in memory; `
          + 'a restart would use the one in the file, which the token service may refuse by then');
      }
    },
  };
}
