/**
 * File system errors as ConnectorErrors. A Maildir has no login, so a permission refusal
 * is its "bad credentials": AUTH_FAILED, for the whole account, never retried. A full
 * disk or quota is OVER_QUOTA for the account: every further write would fail too.
 */
import { ConnectorError } from '../connector-error.js';

export const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/** @param what - what was being done, for the message ("append to /x/.Sent"). */
export function fsError(error: unknown, what: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const code = errnoOf(error);
  const detail = `${what}: ${(error as Error)?.message ?? String(error)}`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new ConnectorError(`permission denied: ${detail}`, { code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: error });
    case 'ENOSPC':
    case 'EDQUOT':
      return new ConnectorError(`no space left: ${detail}`, { code: 'OVER_QUOTA', scope: 'account', retry: 'never', cause: error });
    case 'EROFS':
      return new ConnectorError(`read-only file system: ${detail}`, { code: 'FOLDER_FAILED', scope: 'account', retry: 'never', cause: error });
    case 'ENOENT':
    case 'ENOTDIR':
      return new ConnectorError(`not found: ${detail}`, { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never', cause: error });
    case undefined:
      // Not the file system's: our own refusal (an impossible folder name, a uidlist we cannot read).
      return new ConnectorError(detail, { code: 'FOLDER_FAILED', scope: 'folder', retry: 'never', cause: error });
    default:
      return new ConnectorError(detail, { code: 'FOLDER_FAILED', scope: 'folder', retry: 'now', cause: error });
  }
}

export function folderNotFound(path: string, dir: string): ConnectorError {
  return new ConnectorError(`folder "${path}" does not exist (no Maildir at ${dir})`, { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never' });
}

export function rootNotFound(root: string): ConnectorError {
  return new ConnectorError(`Maildir root ${root} does not exist or is not a Maildir (no cur/ directory)`, {
    code: 'FOLDER_NOT_FOUND', scope: 'account', retry: 'never',
  });
}
