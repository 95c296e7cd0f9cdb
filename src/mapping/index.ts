/**
 * Folder and flag mapping: pure functions from what the source and target servers list,
 * plus the user's rules, to what the migration does. No I/O, no clock, no logging.
 */

export { MappingError, isMappingError, type MappingErrorOptions } from './mapping-error.js';
export {
  DEFAULT_ESCAPE,
  NORMALIZED_DELIMITER,
  canonicalizeInbox,
  fromNormalized,
  fromSegments,
  isInbox,
  namespaceFor,
  toNormalized,
  toSegments,
  type TargetPath,
} from './folder-path.js';
export { globToRegExp } from './glob.js';
export {
  DEFAULT_FOLDER_RULES,
  compileFolderRules,
  type CompiledFolderRules,
  type FilterReason,
  type FolderRename,
  type FolderRules,
} from './folder-rules.js';
export {
  DEFAULT_SPECIAL_USE_NAMES,
  SPECIAL_USE_NAMES,
  detectSpecialUse,
  findTargetSpecialFolders,
  isNamedSpecialUse,
  pickSpecialFolders,
  type NamedSpecialUse,
  type SegmentedFolder,
} from './special-use.js';
export {
  planFolders,
  type ExcludedFolder,
  type FolderPlan,
  type PlanFoldersInput,
  type PlannedFolder,
} from './folder-plan.js';
export { SYSTEM_FLAGS, isValidKeyword, mapFlags, type MappedFlags } from './flags.js';
export { DATE_SOURCES, messageDate, parseDate, type DateSource } from './message-date.js';
