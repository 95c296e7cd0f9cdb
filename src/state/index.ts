export { StateKeys, DEFAULT_PREFIX, folderId } from './keys.js';
export { FolderState, type PageCommit } from './folder-state.js';
export type { FolderCheckpoint, AppendIntent, QuarantineRecord } from './folder-checkpoint.js';
export { Lease, LeaseHeldError, LEASE_TTL_MS } from './lease.js';
export { RunStore, SHORT_RUN_RETENTION_SECONDS } from './run-store.js';
export type { RunRecord, RunState, FolderResult, FolderOutcome, FolderProgress, MirrorTally, QuarantinedMessage } from './run-records.js';
export { checkRedisPolicy, RedisPolicyError } from './redis-policy.js';
export { ensureEmbeddedRedis, EmbeddedRedisError, type EmbeddedRedis } from './embedded-redis.js';
export {
  KeyedFolderState,
  type KeyedCheckpoint, type KeyedCopy, type KeyedIntent, type KeyedPageCommit, type KeyedQuarantine,
} from './keyed-folder-state.js';
export { MirrorState, type MirrorCursor } from './mirror-state.js';
export {
  Governor, GovernorTimeoutError, governorHash, GOVERNOR_SLOT_TTL_MS, GOVERNOR_LOGIN_WINDOW_MS,
  type AcquireOptions, type GovernorAttempt, type GovernorOptions, type GovernorScope, type GovernorSlot,
} from './governor.js';
export {
  DEFAULT_GOVERNOR_LIMITS, withAccountCap,
  type Claim, type GovernorBlock, type GovernorLimitName, type GovernorLimits,
} from './governor-limits.js';
export { moveFolderState, type FolderMove } from './folder-move.js';
