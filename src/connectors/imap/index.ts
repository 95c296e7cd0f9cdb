export { ImapSource } from './imap-source.js';
export { ImapTarget } from './imap-target.js';
export { ImapWatcher } from './imap-watcher.js';
export type { ImapAccountOptions, ImapLogger, TlsMode } from './imap-options.js';
