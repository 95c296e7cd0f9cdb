export { GraphSource } from './graph-source.js';
export { graphScope, type GraphAccountOptions } from './graph-options.js';
