/**
 * Lua scripts of the connection governor. Times come from the Redis server's clock
 * (TIME), so worker processes on hosts with skewed clocks still agree on expiries and
 * on the login window. Holder sets are sorted sets of holder id -> expiry: a crashed
 * process's slots drop out once their expiry passes, with nobody having to clean up.
 */
import { Script } from './script.js';

/** Shared helpers: the server clock in ms, and a key expiry that only ever grows. */
const PRELUDE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
-- Another process may use a longer TTL on the same key: only lengthen its expiry.
local function keep(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end`;

/**
 * KEYS: per claim 5 keys: server holders, account holders, server logins, server peak, account peak.
 * ARGV: slotTtlMs, loginWindowMs, then per claim: holder id, server limit, account limit, login limit.
 * Returns {'ok', 0, 0} with every slot taken, or {limit, claim index (0-based), retry in ms} with none.
 * Claims may share keys (source and target on one server): those already counted in this
 * call count against the limit too.
 */
export const ACQUIRE_SLOTS = new Script('acquire_slots', `${PRELUDE}
local ttl = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local claims = #KEYS / 5
local taking = {}
local function take(key)
  taking[key] = (taking[key] or 0) + 1
  return redis.call('ZCARD', key) + taking[key]
end
-- Every check first, then every write: all slots are taken or none.
for i = 0, claims - 1 do
  local server, account, logins = KEYS[i * 5 + 1], KEYS[i * 5 + 2], KEYS[i * 5 + 3]
  redis.call('ZREMRANGEBYSCORE', server, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', account, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', logins, '-inf', now - window)
  if take(server) > tonumber(ARGV[i * 4 + 4]) then return {'server', i, 0} end
  if take(account) > tonumber(ARGV[i * 4 + 5]) then return {'account', i, 0} end
  if take(logins) > tonumber(ARGV[i * 4 + 6]) then
    local oldest = redis.call('ZRANGE', logins, 0, 0, 'WITHSCORES')
    local wait = window
    if oldest[2] then wait = tonumber(oldest[2]) + window - now + 1 end
    return {'logins', i, wait}
  end
end
local function raisePeak(peakKey, holdersKey)
  local count = redis.call('ZCARD', holdersKey)
  if count > tonumber(redis.call('GET', peakKey) or '0') then redis.call('SET', peakKey, count) end
end
for i = 0, claims - 1 do
  local server, account, logins = KEYS[i * 5 + 1], KEYS[i * 5 + 2], KEYS[i * 5 + 3]
  local holder = ARGV[i * 4 + 3]
  redis.call('ZADD', server, now + ttl, holder)
  redis.call('ZADD', account, now + ttl, holder)
  redis.call('ZADD', logins, now, holder)
  keep(server, ttl)
  keep(account, ttl)
  keep(logins, window)
  raisePeak(KEYS[i * 5 + 4], server)
  raisePeak(KEYS[i * 5 + 5], account)
end
return {'ok', 0, 0}`);

/**
 * KEYS: server holders, account holders, for each slot. ARGV: slotTtlMs, then each slot's holder id.
 * Pushes the slots' expiry out by a TTL. A slot that had already expired is added back:
 * its connection is still open, so it still counts against the server's limit.
 */
export const REFRESH_SLOTS = new Script('refresh_slots', `${PRELUDE}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do
  for _, key in ipairs({KEYS[i * 2 - 3], KEYS[i * 2 - 2]}) do
    redis.call('ZADD', key, now + ttl, ARGV[i])
    keep(key, ttl)
  end
end
return 1`);

/** KEYS: server holders, account holders. ARGV: holder id. The login stays in the login window. */
export const RELEASE_SLOT = new Script('release_slot', `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`);

/** KEYS: holders. Counts the slots that have not expired. */
export const COUNT_HOLDERS = new Script('count_holders', `${PRELUDE}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`);

/**
 * KEYS: the account's back-off key. ARGV: window in ms. Opens or lengthens the window:
 * a shorter hint never cuts one already open short.
 */
export const BACK_OFF = new Script('back_off', `
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ms)
end
return 1`);
