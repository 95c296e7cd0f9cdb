/**
 * Lua scripts for the multi-key updates that must be atomic and fenced by the folder
 * lease: a stale worker (stalled, then replaced) must not overwrite a newer checkpoint.
 */
import { Script } from './script.js';

/** KEYS: lease. ARGV: token, ttlMs. Renews only while we still own the lease. */
export const RENEW_LEASE = new Script('renew_lease', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`);

/** KEYS: lease. ARGV: token. Deletes only our own lease. */
export const RELEASE_LEASE = new Script('release_lease', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

/** KEYS: lease. ARGV: expected (dead) token, new token, ttlMs. Takes over a dead holder's lease. */
export const STEAL_LEASE = new Script('steal_lease', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`);

/** KEYS: lease, intents. ARGV: token, flat JSON array [srcUid, intentJson, ...]. */
export const WRITE_INTENTS = new Script('write_intents', `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('STALE_LEASE')
end
local items = cjson.decode(ARGV[2])
for i = 1, #items, 2 do
  redis.call('HSET', KEYS[2], items[i], items[i + 1])
end
return 1`);

/**
 * KEYS: lease, checkpoint, ledger, intents, quarantine, pairFolders.
 * ARGV: token, folderId, sourcePath, checkpoint fields JSON object,
 *       ledger flat JSON array [srcUid, tgtUid, ...], JSON array of intents to clear,
 *       quarantine flat JSON array [srcUid, recordJson, ...], JSON array of quarantine entries to clear.
 */
export const COMMIT_PAGE = new Script('commit_page', `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('STALE_LEASE')
end
-- Replace, not merge: a field the new checkpoint lacks must not survive from an old one.
redis.call('DEL', KEYS[2])
local checkpoint = cjson.decode(ARGV[4])
for field, value in pairs(checkpoint) do
  redis.call('HSET', KEYS[2], field, value)
end
local ledger = cjson.decode(ARGV[5])
for i = 1, #ledger, 2 do
  redis.call('HSET', KEYS[3], ledger[i], ledger[i + 1])
end
for _, uid in ipairs(cjson.decode(ARGV[6])) do
  redis.call('HDEL', KEYS[4], uid)
end
local quarantined = cjson.decode(ARGV[7])
for i = 1, #quarantined, 2 do
  redis.call('HSET', KEYS[5], quarantined[i], quarantined[i + 1])
end
for _, uid in ipairs(cjson.decode(ARGV[8])) do
  redis.call('HDEL', KEYS[5], uid)
end
redis.call('HSET', KEYS[6], ARGV[2], ARGV[3])
return 1`);

/**
 * KEYS: lease, then the keys to delete. ARGV: token.
 * Forgets a folder's state (IMAP: checkpoint, intents and quarantine after its source UIDVALIDITY changed;
 * the old ledger is keyed by the old UIDVALIDITY and simply no longer consulted).
 */
export const RESET_FOLDER = new Script('reset_folder', `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('STALE_LEASE')
end
redis.call('DEL', unpack(KEYS, 2))
return 1`);

/** KEYS: lease, hash. ARGV: token, fields JSON object. Replaces the hash (a small cursor) while we own the lease. */
export const REPLACE_HASH = new Script('replace_hash', `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('STALE_LEASE')
end
redis.call('DEL', KEYS[2])
for field, value in pairs(cjson.decode(ARGV[2])) do
  redis.call('HSET', KEYS[2], field, value)
end
return 1`);

/** KEYS: lease, then hashes. ARGV: token, JSON array of fields removed from every hash. */
export const HDEL_FIELDS = new Script('hdel_fields', `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('STALE_LEASE')
end
local fields = cjson.decode(ARGV[2])
for k = 2, #KEYS do
  for i = 1, #fields, 500 do
    redis.call('HDEL', KEYS[k], unpack(fields, i, math.min(i + 499, #fields)))
  end
end
return 1`);

/** KEYS: lease, hash. ARGV: token, value, JSON array of fields set to value unless they exist. */
export const HSETNX_FIELDS = new Script('hsetnx_fields', `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('STALE_LEASE')
end
for _, field in ipairs(cjson.decode(ARGV[3])) do
  redis.call('HSETNX', KEYS[2], field, ARGV[2])
end
return 1`);

/**
 * KEYS: old lease, new lease, checkpoint (new), pairFolders, then (from, to) key pairs.
 * ARGV: old token, new token, old fid, new fid, new source path, new target path.
 * Moves a folder's state to the folder's new source path (a rename on the source).
 */
export const MOVE_FOLDER = new Script('move_folder', `
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return redis.error_reply('STALE_LEASE')
end
for k = 5, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    redis.call('RENAME', KEYS[k], KEYS[k + 1])
  end
end
redis.call('HSET', KEYS[3], 'sourcePath', ARGV[5], 'targetPath', ARGV[6])
redis.call('HDEL', KEYS[4], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
return 1`);
