export { Pop3Source } from './pop3-source.js';
export type { Pop3AccountOptions, Pop3Auth, Pop3Logger, Pop3TlsMode } from './pop3-options.js';
