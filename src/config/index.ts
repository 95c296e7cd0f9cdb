export type {
  AccountSpec, EwsAccountSpec, EwsAuth, EwsOAuthSpec, GraphAccountSpec, ImapAccountSpec, MaildirAccountSpec, NetworkAccountSpec, Pop3AccountSpec, Pop3Auth, SecretRef, TlsMode,
} from './account-spec.js';
export { accountIdentity, accountLabel } from './account-spec.js';
export { parseAccountUrl } from './account-url.js';
export { DEFAULT_GRAPH_ENDPOINT } from './graph-url.js';
export { ConfigError } from './config-error.js';
export { loadConfigFile, type ConnectionLimitsGiven, type LoadedConfig } from './config-file.js';
export { parsePort, readEnvironment, SOURCE_PASSWORD_ENV, TARGET_PASSWORD_ENV, type Environment } from './environment.js';
export { DEFAULT_COPY_OPTIONS, pairIdOf, type CopyOptions, type RunSpec } from './run-spec.js';
export { readCaFile, resolveSecret } from './secrets.js';
export { rewriteSecretFile, SecretFileWriteError } from './secret-file-rewrite.js';
export {
  DEFAULT_POP3_OPTIONS, DELETION_FORMS, describeDeletion, parseDeletion, type Pop3Options, type SourceDeletion,
} from './pop3-options.js';
export { checkModeKinds, checkPairKinds } from './pair-kinds.js';
export { DEFAULT_DELETE_CAP, PAIR_MODES, allowedDeletions, type BackupOptions, type DeleteCap, type MirrorOptions, type PairMode } from './sync-modes.js';
export { DEFAULT_BACKUP_SCHEDULE, DEFAULT_MIRROR_POLL_SECONDS, DEFAULT_MIRROR_WATCH, checkCron, pairService, type PairService } from './pair-service.js';
