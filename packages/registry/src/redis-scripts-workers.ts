/**
 * Lua scripts for workers, announcements, tickets and locks. Each runs atomically
 * in Redis. Conventions (shared with redis-scripts-catalog.ts): KEYS[1] is a key of
 * the slot the script works in; ARGV[1] is the `{c}` key base when the script
 * derives further keys; the reply is a table whose first element is `OK` or an
 * error tag. Times come from Redis `TIME`, in ms.
 */

/** Helpers prepended to every script. */
export const LUA_PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function int(x) return string.format('%.0f', x) end
local function fence(base, id, epoch)
  local cur = redis.call('GET', base .. 'worker:' .. id .. ':epoch')
  if cur and tonumber(cur) > tonumber(epoch) then return {'STALE', cur} end
  local e = redis.call('HGET', base .. 'worker:' .. id, 'epoch')
  if not e or tonumber(e) ~= tonumber(epoch) then return {'GONE'} end
  return nil
end
`;

/** KEYS[1] worker hash; ARGV base, id, locations JSON, zone, capacity, load, ttlMs -> OK, epoch. */
export const REGISTER_WORKER = `
local base, id, wk = ARGV[1], ARGV[2], KEYS[1]
local us = now_us()
local now = math.floor(us / 1000)
local cur = tonumber(redis.call('GET', wk .. ':epoch') or '0')
local epoch = math.max(cur + 1, us)
redis.call('SET', wk .. ':epoch', int(epoch))
redis.call('DEL', wk)
redis.call('HSET', wk, 'id', id, 'epoch', int(epoch), 'locations', ARGV[3], 'zone', ARGV[4], 'capacity', ARGV[5],
  'load', ARGV[6], 'ttlMs', ARGV[7], 'startedAt', int(now), 'lastSeenAt', int(now))
redis.call('PEXPIREAT', wk, int(now + tonumber(ARGV[7])))
redis.call('ZADD', base .. 'workers', int(now), id)
return {'OK', redis.call('HGETALL', wk)}
`;

/** KEYS[1] worker hash; ARGV base, id, epoch, load -> OK, announced (0/1), worker hash | STALE | GONE. */
export const HEARTBEAT = `
local base, id, wk = ARGV[1], ARGV[2], KEYS[1]
local bad = fence(base, id, ARGV[3])
if bad then return bad end
local now = now_ms()
local ttl = tonumber(redis.call('HGET', wk, 'ttlMs'))
redis.call('HSET', wk, 'load', ARGV[4], 'lastSeenAt', int(now))
redis.call('PEXPIREAT', wk, int(now + ttl))
redis.call('ZADD', base .. 'workers', int(now), id)
local ae = redis.call('HGET', base .. 'ann:' .. id, 'epoch')
local announced = 0
if ae and tonumber(ae) == tonumber(ARGV[3]) then announced = 1 end
return {'OK', announced, redis.call('HGETALL', wk)}
`;

/** KEYS[1] worker hash; ARGV base, id, epoch -> OK | STALE. */
export const DEREGISTER_WORKER = `
local base, id, wk = ARGV[1], ARGV[2], KEYS[1]
local cur = redis.call('GET', wk .. ':epoch')
if cur and tonumber(cur) > tonumber(ARGV[3]) then return {'STALE', cur} end
redis.call('DEL', wk)
redis.call('ZREM', base .. 'workers', id)
return {'OK'}
`;

/** KEYS[1] workers zset; ARGV base -> OK, [worker hash...] of live workers. */
export const LIST_WORKERS = `
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local h = redis.call('HGETALL', ARGV[1] .. 'worker:' .. id)
  if #h > 0 then out[#out + 1] = h end
end
return {'OK', out}
`;

/** KEYS[1] workers zset; ARGV base -> OK, [id, lastSeenAt, ...] of lapsed registrations. */
export const LIST_LOST_WORKERS = `
local out = {}
local flat = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #flat, 2 do
  if redis.call('EXISTS', ARGV[1] .. 'worker:' .. flat[i]) == 0 then
    out[#out + 1] = flat[i]
    out[#out + 1] = flat[i + 1]
  end
end
return {'OK', out}
`;

/** KEYS[1] workers zset; ARGV base, id, lastSeenAt -> OK, 0/1. */
export const FORGET_WORKER = `
local base, id = ARGV[1], ARGV[2]
if redis.call('EXISTS', base .. 'worker:' .. id) == 1 then return {'OK', 0} end
local s = redis.call('ZSCORE', KEYS[1], id)
if not s or tonumber(s) ~= tonumber(ARGV[3]) then return {'OK', 0} end
redis.call('ZREM', KEYS[1], id)
redis.call('DEL', base .. 'ann:' .. id)
redis.call('SREM', base .. 'anns', id)
return {'OK', 1}
`;

/** KEYS[1] worker hash; ARGV base, id, epoch, shards JSON -> OK | STALE | GONE. */
export const ANNOUNCE_SHARDS = `
local base, id = ARGV[1], ARGV[2]
local bad = fence(base, id, ARGV[3])
if bad then return bad end
local ak = base .. 'ann:' .. id
redis.call('DEL', ak)
redis.call('HSET', ak, 'epoch', ARGV[3], 'announcedAt', int(now_ms()), 'shards', ARGV[4])
redis.call('SADD', base .. 'anns', id)
return {'OK'}
`;

/** KEYS[1] announcements set; ARGV base -> OK, [id, hash, ...]. */
export const LIST_ANNOUNCEMENTS = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = redis.call('HGETALL', ARGV[1] .. 'ann:' .. id)
  if #h > 0 then
    out[#out + 1] = id
    out[#out + 1] = h
  end
end
return {'OK', out}
`;

/** KEYS[1] ticket or lock hash; ARGV value field, value, ttlMs, only-if-absent (0/1) -> OK, expiresAt | HELD. */
export const PUT_EXPIRING = `
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return {'HELD'} end
local e = now_ms() + tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'e', int(e))
redis.call('PEXPIREAT', KEYS[1], int(e))
return {'OK', int(e)}
`;

/**
 * KEYS ticket hashes (standalone or Sentinel only: not one slot on a Cluster); ARGV
 * ttlMs, then one payload JSON per key -> OK, expiresAt (the same for every ticket).
 */
export const PUT_EXPIRING_MANY = `
local e = now_ms() + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('DEL', key)
  redis.call('HSET', key, 'p', ARGV[i + 1], 'e', int(e))
  redis.call('PEXPIREAT', key, int(e))
end
return {'OK', int(e)}
`;

/**
 * KEYS[1] ticket or lock hash; ARGV ttlMs, owner field, owner value (both '' to skip the
 * owner check) -> OK, expiresAt | MISSING.
 */
export const RENEW_EXPIRING = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING'} end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], ARGV[2]) ~= ARGV[3] then return {'MISSING'} end
local e = now_ms() + tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'e', int(e))
redis.call('PEXPIREAT', KEYS[1], int(e))
return {'OK', int(e)}
`;

/** KEYS[1] lock hash; ARGV token -> OK, 0/1. */
export const RELEASE_LOCK = `
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return {'OK', 0} end
redis.call('DEL', KEYS[1])
return {'OK', 1}
`;
