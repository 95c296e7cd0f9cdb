export { MaildirSource } from './maildir-source.js';
export { MaildirTarget } from './maildir-target.js';
export type { MaildirOptions } from './maildir-options.js';
