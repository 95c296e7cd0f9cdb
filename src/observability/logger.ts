/**
 * pino JSON logs on stderr, with secrets redacted wherever they might appear in an
 * object. Log calls are object-first; untrusted objects go under a key, never top level.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', 'pass', '*.pass', 'auth', '*.auth', 'accessToken', '*.accessToken',
  'refreshToken', '*.refreshToken', 'authorization', '*.authorization', 'clientSecret', '*.clientSecret',
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  }, pino.destination({ fd: 2, sync: true }));
}
