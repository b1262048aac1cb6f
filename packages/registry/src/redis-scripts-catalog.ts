/**
 * Lua scripts for uploads and the dataset catalog (conventions in
 * redis-scripts-workers.ts). A dataset version is one hash `<ds>:v:<n>` with fields
 * `meta` (JSON: name, version, schema base64, shardCount, totalRows, totalBytes),
 * `createdAt`, `s:<shardId>` (JSON: id, index, rows, bytes, digest) and
 * `r:<shardId>` (replica worker ids, space-separated, sorted), so a reader gets a
 * whole version with one HGETALL and a commit writes it in one script.
 */

/** KEYS[1] dataset seq; ARGV base, encoded name, name, ttlMs, upload id -> OK, version, createdAt. */
export const BEGIN_UPLOAD = `
local base = ARGV[1]
local v = redis.call('INCR', KEYS[1])
local now = now_ms()
local e = now + tonumber(ARGV[4])
local uk = base .. 'up:' .. ARGV[5]
redis.call('HSET', uk, 'dataset', ARGV[3], 'enc', ARGV[2], 'version', v, 'createdAt', int(now), 'expiresAt', int(e))
redis.call('ZADD', base .. 'uploads', int(e), ARGV[5])
return {'OK', v, int(now), int(e)}
`;

/** Check the upload in KEYS[1] exists and has not expired; sets `up` and `now`. */
const PENDING = `
local up = redis.call('HMGET', KEYS[1], 'dataset', 'enc', 'version', 'expiresAt')
if not up[1] then return {'NOUPLOAD'} end
local now = now_ms()
if tonumber(up[4]) <= now then return {'EXPIRED', up[1]} end
`;

/** KEYS[1] upload hash; ARGV shard id, shard JSON -> OK | NOUPLOAD | EXPIRED. */
export const RECORD_UPLOAD_SHARD = `${PENDING}
redis.call('HSET', KEYS[1] .. ':shards', ARGV[1], ARGV[2])
return {'OK'}
`;

/** KEYS[1] upload hash; ARGV base, upload id, ttlMs -> OK, expiresAt | NOUPLOAD | EXPIRED. */
export const RENEW_UPLOAD = `${PENDING}
local e = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'expiresAt', int(e))
redis.call('ZADD', ARGV[1] .. 'uploads', int(e), ARGV[2])
return {'OK', int(e)}
`;

/** KEYS[1] upload hash; ARGV base, upload id, delete (0/1) -> OK, upload hash, shards hash (empty if none). */
export const GET_UPLOAD = `
local h = redis.call('HGETALL', KEYS[1])
local s = redis.call('HGETALL', KEYS[1] .. ':shards')
if ARGV[3] == '1' and #h > 0 then
  redis.call('DEL', KEYS[1], KEYS[1] .. ':shards')
  redis.call('ZREM', ARGV[1] .. 'uploads', ARGV[2])
end
return {'OK', h, s}
`;

/** KEYS[1] uploads zset; ARGV base, limit -> OK, [id, upload hash, shards hash, ...]. */
export const LIST_EXPIRED_UPLOADS = `
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[2]))) do
  local uk = ARGV[1] .. 'up:' .. id
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGETALL', uk)
  out[#out + 1] = redis.call('HGETALL', uk .. ':shards')
end
return {'OK', out}
`;

/**
 * Write a version hash and its shard locators. Expects locals: base, dk (dataset key
 * prefix), version (string), meta, created (number), n and the shard triples in ARGV
 * starting at index \`first\`: shard id, shard JSON, replicas.
 */
const WRITE_VERSION = `
local vk = dk .. ':v:' .. version
redis.call('DEL', vk)
redis.call('HSET', vk, 'meta', meta, 'createdAt', int(created))
for i = 0, n - 1 do
  local sid = ARGV[first + 3 * i]
  redis.call('HSET', vk, 's:' .. sid, ARGV[first + 3 * i + 1], 'r:' .. sid, ARGV[first + 3 * i + 2])
  redis.call('SET', base .. 'shard:' .. sid, vk)
end
redis.call('ZADD', dk .. ':versions', version, version)
redis.call('SADD', base .. 'datasets', enc)
`;

/** Return the owner of the first shard id in use, or nil. */
const SHARD_CONFLICT = `
local function conflict(base, first, n)
  for i = 0, n - 1 do
    local owner = redis.call('GET', base .. 'shard:' .. ARGV[first + 3 * i])
    if owner then return {'CONFLICT', ARGV[first + 3 * i], owner} end
  end
  return nil
end
`;

/**
 * KEYS[1] upload hash; ARGV base, upload id, version, meta, n, then n triples
 * -> OK, createdAt | NOUPLOAD | EXPIRED | SUPERSEDED, latest | CONFLICT, shard id, owner key.
 */
export const COMMIT_UPLOAD = `${SHARD_CONFLICT}${PENDING}
local base, version, meta, n, first = ARGV[1], ARGV[3], ARGV[4], tonumber(ARGV[5]), 6
if up[3] ~= version then return {'NOUPLOAD'} end
local enc = up[2]
local dk = base .. 'ds:' .. enc
local top = redis.call('ZREVRANGE', dk .. ':versions', 0, 0)
if top[1] and tonumber(top[1]) >= tonumber(version) then return {'SUPERSEDED', top[1]} end
local bad = conflict(base, first, n)
if bad then return bad end
local created = now
${WRITE_VERSION}
redis.call('DEL', KEYS[1], KEYS[1] .. ':shards')
redis.call('ZREM', base .. 'uploads', ARGV[2])
return {'OK', int(created)}
`;

/** KEYS[1] dataset versions zset; ARGV dataset key prefix, version or '' for latest -> OK, version hash (empty if none). */
export const GET_DATASET = `
local v = ARGV[2]
if v == '' then
  local top = redis.call('ZREVRANGE', KEYS[1], 0, 0)
  if not top[1] then return {'OK', {}} end
  v = top[1]
elseif not redis.call('ZSCORE', KEYS[1], v) then
  return {'OK', {}}
end
return {'OK', redis.call('HGETALL', ARGV[1] .. ':v:' .. v)}
`;

/** KEYS[1] datasets set; ARGV base -> OK, [meta, createdAt, ...] of each dataset's latest version. */
export const LIST_DATASETS = `
local out = {}
for _, enc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local dk = ARGV[1] .. 'ds:' .. enc
  local top = redis.call('ZREVRANGE', dk .. ':versions', 0, 0)
  if top[1] then
    local h = redis.call('HMGET', dk .. ':v:' .. top[1], 'meta', 'createdAt')
    out[#out + 1] = h[1]
    out[#out + 1] = h[2]
  end
end
return {'OK', out}
`;

/** KEYS[1] dataset versions zset; ARGV base, encoded name, version or '' for all -> OK, [version hash, ...]. */
export const DROP_DATASET = `
local base, enc = ARGV[1], ARGV[2]
local dk = base .. 'ds:' .. enc
local versions
if ARGV[3] == '' then
  versions = redis.call('ZRANGE', KEYS[1], 0, -1)
elseif redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  versions = {ARGV[3]}
else
  versions = {}
end
local out = {}
for _, v in ipairs(versions) do
  local vk = dk .. ':v:' .. v
  local h = redis.call('HGETALL', vk)
  for i = 1, #h, 2 do
    if string.sub(h[i], 1, 2) == 's:' then redis.call('DEL', base .. 'shard:' .. string.sub(h[i], 3)) end
  end
  redis.call('DEL', vk)
  redis.call('ZREM', KEYS[1], v)
  out[#out + 1] = h
end
if #versions > 0 and redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('SREM', base .. 'datasets', enc)
  local last = tonumber(versions[#versions])
  local dropped = tonumber(redis.call('GET', dk .. ':dropped') or '0')
  if last > dropped then redis.call('SET', dk .. ':dropped', int(last)) end
end
return {'OK', out}
`;

/** KEYS[1] shard locator; ARGV shard id -> OK, [meta, createdAt, shard JSON, replicas] | NOSHARD. */
export const GET_SHARD = `
local vk = redis.call('GET', KEYS[1])
if not vk then return {'NOSHARD'} end
return {'OK', redis.call('HMGET', vk, 'meta', 'createdAt', 's:' .. ARGV[1], 'r:' .. ARGV[1])}
`;

/** KEYS[1] shard locator; ARGV shard id, worker id, add (1) or remove (0) -> OK, replicas | NOSHARD. */
export const UPDATE_REPLICA = `
local vk = redis.call('GET', KEYS[1])
if not vk then return {'NOSHARD'} end
local field = 'r:' .. ARGV[1]
local seen, list = {}, {}
for w in string.gmatch(redis.call('HGET', vk, field) or '', '%S+') do
  if not seen[w] and (ARGV[3] == '1' or w ~= ARGV[2]) then
    seen[w] = true
    list[#list + 1] = w
  end
end
if ARGV[3] == '1' and not seen[ARGV[2]] then list[#list + 1] = ARGV[2] end
table.sort(list)
local joined = table.concat(list, ' ')
redis.call('HSET', vk, field, joined)
return {'OK', joined}
`;

/**
 * KEYS[1] dataset seq; ARGV base, encoded name, highest announced version, then either
 * '' (nothing restorable) or: version, meta, createdAt, n, n triples
 * -> OK | NONE | EXISTS | DROPPED | CONFLICT, shard id, owner key.
 */
export const RESTORE_DATASET = `${SHARD_CONFLICT}
local base, enc = ARGV[1], ARGV[2]
local dk = base .. 'ds:' .. enc
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
if seq < tonumber(ARGV[3]) then redis.call('SET', KEYS[1], ARGV[3]) end
if ARGV[4] == '' then return {'NONE'} end
local version, meta, created, n, first = ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), 8
if redis.call('ZCARD', dk .. ':versions') > 0 then return {'EXISTS'} end
if tonumber(redis.call('GET', dk .. ':dropped') or '0') >= tonumber(version) then return {'DROPPED'} end
local bad = conflict(base, first, n)
if bad then return bad end
if created < 0 then created = now_ms() end
${WRITE_VERSION}
return {'OK'}
`;
