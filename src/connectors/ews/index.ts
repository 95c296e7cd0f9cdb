export { EwsSource } from './ews-source.js';
export { EwsTarget } from './ews-target.js';
export type { EwsAccountOptions, EwsAuth, EwsLogger } from './ews-options.js';
export { CATEGORY_PREFIX, categoryToKeyword, keywordToCategory } from '../exchange/category-keywords.js';
