export { GraphSource } from './graph-source.js';
export { graphScope, type GraphAccountOptions } from './graph-options.js';
export { GraphDirectory, GroupNotFoundError, type DirectoryFilter, type MailUser } from './graph-directory.js';
