export { StateKeys, DEFAULT_PREFIX, folderId } from './keys.js';
export type {
  CopiedMessage, CopyCursor, CopyIntent, CopyPageCommit, CopyState, ItemSyncCursor, MaildropCursor, QuarantineEntry, SourceCursor, TargetCursor,
  UidCursor,
} from './copy-state.js';
export { FolderState, type FolderOverview, type UidCopyCursor } from './folder-state.js';
export { KeyedFolderState, type KeyedSourceKind } from './keyed-folder-state.js';
export { Lease, LeaseHeldError, LEASE_TTL_MS } from './lease.js';
export { RunStore, SHORT_RUN_RETENTION_SECONDS } from './run-store.js';
export type { RunRecord, RunState, RunWaiting, FolderResult, FolderOutcome, FolderProgress, MirrorTally, QuarantinedMessage } from './run-records.js';
export { checkRedisPolicy, RedisPolicyError } from './redis-policy.js';
export { embeddedRedisDir, ensureEmbeddedRedis, EmbeddedRedisError, stopEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';
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
export { pairFolderPaths } from './pair-folders.js';
export { PairRegistry, type RegisteredPair } from './pair-registry.js';
export { openStateRedis, RedisConnections, resolveRedis, type RedisConnection, type RedisTarget } from './redis-connections.js';
export { RunSlots, type TakenRequests } from './run-slots.js';
