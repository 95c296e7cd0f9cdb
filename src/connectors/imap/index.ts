export { ImapSource } from './imap-source.js';
export { ImapTarget } from './imap-target.js';
export type { ImapAccountOptions, ImapLogger, TlsMode } from './imap-options.js';
