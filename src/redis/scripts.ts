// The Lua scripts behind RedisSessionStore: one per operation, each atomic and each one command on the
// wire. Time comes from the Redis server (TIME), so every app instance agrees on expiry.
//
// Session hash fields (all text): `ttl` remembered TTL ms · `ca` createdAt ms · `ua` updatedAt ms ·
// `la` lastActivity ms · `ex` expiresAt ms · `v` version · `sz` running encoded size in bytes ·
// `uid` `tid` `rid` `mc` `esc` the JSON text of userId, threadId, requestId, messageCount, escalated ·
// `m:<JSON of the key>` the JSON text of one metadata value. Lua never decodes JSON: it only stores,
// measures, joins and (for counters) parses plain integer text.
//
// A session goes back to Node as ONE string (see SESSION_TEXT): the core values one per line, then the
// metadata as a JSON object that Lua assembles by concatenation (`{` key `:` value `,` … `}`). Keys are
// stored JSON-encoded for exactly that reason. One bulk reply and one JSON.parse measured about twice as
// fast as an HGETALL reply parsed field by field (docs/redis.md).
//
// Replies never carry a Lua boolean (RESP3 would turn `false` into 0): absent is the integer 0, and
// user-input problems are error replies starting with `SESS` that the store turns into typed errors.

// Lua helpers. Each script includes only the ones it calls: every helper defined is a closure created on
// every call (the whole set cost about 1 µs per call, measured).
const MAX_SAFE = `
local MAX_SAFE = 9007199254740991
`;
const NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;
const FMT = `
local function fmt(n)
  return string.format('%d', n)
end
`;
const NUM = `
local function num(value, field)
  local n = tonumber(value)
  if n == nil then error({ err = 'SESSDECODE ' .. field }) end
  return n
end
`;
const EXPIRY = `
local function expiry(now, ttl, ca, maxlife)
  local ex = now + ttl
  if maxlife ~= '' then
    local cap = ca + tonumber(maxlife)
    if cap < ex then ex = cap end
  end
  return ex
end
`;
const HSET_PAIRS = `
-- HSET in chunks: unpack() of thousands of values overflows the Lua C stack.
local function hset_pairs(key, list, first)
  local chunk = {}
  for i = first, #list do
    chunk[#chunk + 1] = list[i]
    if #chunk == 1000 then
      redis.call('HSET', key, unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then redis.call('HSET', key, unpack(chunk)) end
end
`;
const WRITE_NEW = `
-- A new session hash in one HSET: the bookkeeping pairs in \`head\`, then ARGV[first..] (the data pairs).
-- Only a session with very many metadata keys takes more than one HSET (unpack() of thousands of values
-- overflows the Lua C stack).
local function write_new(key, first, head)
  if #ARGV - first < 1000 then
    local n = #head
    for i = first, #ARGV do
      n = n + 1
      head[n] = ARGV[i]
    end
    redis.call('HSET', key, unpack(head))
  else
    redis.call('HSET', key, unpack(head))
    hset_pairs(key, ARGV, first)
  end
end
`;
const READ = `
-- The session as one string: uid, tid, rid, mc, esc, ca, ua, la, ex, v on one line each (a missing field
-- is an empty line, which Node reports as a decode error), then '{' metadata '}'.
local CORE = { 'uid', 'tid', 'rid', 'mc', 'esc', 'ca', 'ua', 'la', 'ex', 'v' }
-- The session hash read once (HGETALL: crossing the reply into Lua is most of a script's cost, so no
-- script reads it twice): core and bookkeeping fields by name, metadata entries already as \`key:value\`
-- text in hash order. nil when the key does not exist (HGETALL of a missing key is empty).
local function read(key)
  local h = redis.call('HGETALL', key)
  if #h == 0 then return nil end
  local fields, meta = {}, {}
  for i = 1, #h, 2 do
    local name = h[i]
    if string.sub(name, 1, 2) == 'm:' then
      meta[#meta + 1] = string.sub(name, 3) .. ':' .. h[i + 1]
    else
      fields[name] = h[i + 1]
    end
  end
  return fields, meta
end
local function text_of(fields, meta)
  local out = {}
  for i = 1, #CORE do out[i] = fields[CORE[i]] or '' end
  out[#CORE + 1] = '{' .. table.concat(meta, ',') .. '}'
  return table.concat(out, '\\n')
end
local function session_text(key)
  local fields, meta = read(key)
  if fields == nil then return 0 end
  return text_of(fields, meta)
end
`;
const EXPIRE_AT = `
-- Index and key expiry for a session whose hash fields 'la' and 'ex' the caller writes itself.
local function expire_at(key, idx, id, ex)
  redis.call('PEXPIREAT', key, ex)
  redis.call('ZADD', idx, ex, id)
end
`;
const SLIDE = `
local function slide(key, idx, id, now, ttl, ca, maxlife)
  local ex = expiry(now, ttl, ca, maxlife)
  redis.call('HSET', key, 'la', fmt(now), 'ex', fmt(ex))
  redis.call('PEXPIREAT', key, fmt(ex))
  redis.call('ZADD', idx, fmt(ex), id)
  return ex
end
`;
const TOUCH = `
-- Slides an existing session by its remembered TTL (or a new one); false when the session is absent.
local function touch(key, idx, id, ttl_arg, maxlife, now)
  local m = redis.call('HMGET', key, 'ttl', 'ca')
  -- Both missing: absent, or a broken record that the EXISTS below tells apart (rare, so paid only then).
  if not m[1] and not m[2] and redis.call('EXISTS', key) == 0 then return false end
  local ttl = num(m[1], 'ttl')
  if ttl_arg ~= '' then
    ttl = tonumber(ttl_arg)
    redis.call('HSET', key, 'ttl', ttl_arg)
  end
  slide(key, idx, id, now, ttl, num(m[2], 'createdAt'), maxlife)
  return true
end
`;
const READ_TOUCHED = `
-- Read, slide and return the session in one pass: one HGETALL, one HSET, then the text from what was read
-- with the new la/ex. 0 when absent.
local function read_touched(key, idx, id, maxlife, now)
  local fields, meta = read(key)
  if fields == nil then return 0 end
  local ttl = num(fields.ttl, 'ttl')
  local ex = fmt(expiry(now, ttl, num(fields.ca, 'createdAt'), maxlife))
  local la = fmt(now)
  redis.call('HSET', key, 'la', la, 'ex', ex)
  expire_at(key, idx, id, ex)
  fields.la = la
  fields.ex = ex
  return text_of(fields, meta)
end
`;

/** The helpers `parts` (in dependency order) as one script prefix. */
const lua = (...parts: string[]): string => parts.join('');

/**
 * get. KEYS[1] session hash, KEYS[2] index shard.
 * ARGV[1] session id, ARGV[2] '1' to touch / '0', ARGV[3] max lifetime ms or ''.
 * Reply: 0 when absent, else the session text.
 */
export const GET_LUA = `${lua(NOW_MS, FMT, NUM, EXPIRY, READ, EXPIRE_AT, READ_TOUCHED)}
if ARGV[2] == '1' then return read_touched(KEYS[1], KEYS[2], ARGV[1], ARGV[3], now_ms()) end
return session_text(KEYS[1])
`;

/**
 * set (create or replace). KEYS[1] session hash, KEYS[2] index shard.
 * ARGV[1] id, ARGV[2] TTL ms or '' (keep the remembered one), ARGV[3] default TTL ms, ARGV[4] max lifetime
 * ms or '', ARGV[5] createdAt ms for a new session or '', ARGV[6] encoded size in bytes,
 * ARGV[7..] field/value pairs (core JSON fields and `m:` metadata fields).
 * Reply: { now, createdAt, version, expiresAt } (integers).
 * A previous record that does not parse is replaced, not reported: set is also the way to repair one.
 */
export const SET_LUA = `${lua(NOW_MS, FMT, EXPIRY, HSET_PAIRS, WRITE_NEW)}
local now = now_ms()
local old = redis.call('HMGET', KEYS[1], 'ttl', 'ca', 'v')
local ttl = tonumber(ARGV[2]) or tonumber(old[1]) or tonumber(ARGV[3])
local ca = tonumber(old[2]) or tonumber(ARGV[5]) or now
local v = (tonumber(old[3]) or 0) + 1
local ex = expiry(now, ttl, ca, ARGV[4])
local exs, nows = fmt(ex), fmt(now)
-- The index entry first: Redis refuses a script under maxmemory (noeviction) at its first write that may
-- grow memory, and lets later ones through. Starting with DEL would let a full Redis accept the session.
redis.call('ZADD', KEYS[2], exs, ARGV[1])
redis.call('DEL', KEYS[1])
write_new(KEYS[1], 7, { 'ttl', fmt(ttl), 'ca', fmt(ca), 'ua', nows, 'la', nows, 'ex', exs, 'v', fmt(v), 'sz', ARGV[6] })
redis.call('PEXPIREAT', KEYS[1], exs)
return { now, ca, v, ex }
`;

/**
 * getOrCreate. KEYS[1] session hash, KEYS[2] index shard.
 * ARGV[1] id, ARGV[2] TTL ms or '', ARGV[3] default TTL ms, ARGV[4] max lifetime ms or '',
 * ARGV[5] createdAt ms or '', ARGV[6] encoded size, ARGV[7] '1' to touch an existing session / '0',
 * ARGV[8..] field/value pairs for a new session.
 * Reply: existing → the session text (a string); created → { now, createdAt, expiresAt } (integers).
 */
export const GET_OR_CREATE_LUA = `${lua(NOW_MS, FMT, NUM, EXPIRY, HSET_PAIRS, WRITE_NEW, READ, EXPIRE_AT, READ_TOUCHED)}
local now = now_ms()
if ARGV[7] == '1' then
  local text = read_touched(KEYS[1], KEYS[2], ARGV[1], ARGV[4], now)
  if text ~= 0 then return text end
else
  local text = session_text(KEYS[1])
  if text ~= 0 then return text end
end
local ttl = tonumber(ARGV[2]) or tonumber(ARGV[3])
local ca = tonumber(ARGV[5]) or now
local ex = expiry(now, ttl, ca, ARGV[4])
local exs, nows = fmt(ex), fmt(now)
write_new(KEYS[1], 8, { 'ttl', fmt(ttl), 'ca', fmt(ca), 'ua', nows, 'la', nows, 'ex', exs, 'v', '1', 'sz', ARGV[6] })
expire_at(KEYS[1], KEYS[2], ARGV[1], exs)
return { now, ca, ex }
`;

/**
 * update. KEYS[1] session hash, KEYS[2] index shard.
 * ARGV[1] id, ARGV[2] expected version or '', ARGV[3] maxSessionBytes, ARGV[4] max lifetime ms or '',
 * ARGV[5] C = number of core pairs, then C pairs (field, JSON text);
 * then S = number of metadata sets, then S triples (`m:` field, JSON text, entry overhead bytes);
 * then R = number of metadata removals, then R pairs (`m:` field, entry overhead bytes).
 * Entry overhead is the bytes a key adds around its value in the whole-session JSON (quoted key, colon,
 * comma), so `sz` stays the encoded size without Lua ever decoding JSON.
 * Reply: 0 when absent, else the session text after the write.
 * Errors: `SESSCONFLICT <actual>` for a stale version, `SESSSIZE <bytes>` over the cap; nothing written.
 */
export const UPDATE_LUA = `${lua(NOW_MS, FMT, NUM, EXPIRY, HSET_PAIRS, READ, SLIDE)}
local m = redis.call('HMGET', KEYS[1], 'v', 'sz', 'ttl', 'ca')
-- EXISTS only when no bookkeeping field is there: absent, or a broken record (reported below).
if not m[1] and not m[2] and not m[3] and not m[4] and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local v = num(m[1], 'version')
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= v then
  return redis.error_reply('SESSCONFLICT ' .. fmt(v))
end
local sz = num(m[2], 'size')
local ttl = num(m[3], 'ttl')
local ca = num(m[4], 'createdAt')
local i = 5
local core = tonumber(ARGV[i])
local writes = {}
for _ = 1, core do
  local field, value = ARGV[i + 1], ARGV[i + 2]
  local old = redis.call('HGET', KEYS[1], field)
  sz = sz + #value - (old and #old or 0)
  writes[#writes + 1] = field
  writes[#writes + 1] = value
  i = i + 2
end
i = i + 1
local sets = tonumber(ARGV[i])
for _ = 1, sets do
  local field, value, overhead = ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local old = redis.call('HGET', KEYS[1], field)
  if old then sz = sz - #old else sz = sz + overhead end
  sz = sz + #value
  writes[#writes + 1] = field
  writes[#writes + 1] = value
  i = i + 3
end
i = i + 1
local removes = tonumber(ARGV[i])
local dels = {}
for _ = 1, removes do
  local field, overhead = ARGV[i + 1], tonumber(ARGV[i + 2])
  local old = redis.call('HGET', KEYS[1], field)
  if old then
    sz = sz - #old - overhead
    dels[#dels + 1] = field
  end
  i = i + 2
end
if sz > tonumber(ARGV[3]) then return redis.error_reply('SESSSIZE ' .. fmt(sz)) end
local now = now_ms()
if #dels > 0 then
  for j = 1, #dels, 1000 do
    redis.call('HDEL', KEYS[1], unpack(dels, j, math.min(j + 999, #dels)))
  end
end
writes[#writes + 1] = 'v'
writes[#writes + 1] = fmt(v + 1)
writes[#writes + 1] = 'ua'
writes[#writes + 1] = fmt(now)
writes[#writes + 1] = 'sz'
writes[#writes + 1] = fmt(sz)
hset_pairs(KEYS[1], writes, 1)
slide(KEYS[1], KEYS[2], ARGV[1], now, ttl, ca, ARGV[4])
return session_text(KEYS[1])
`;

/**
 * incrementCounter. KEYS[1] session hash, KEYS[2] index shard.
 * ARGV[1] id, ARGV[2] hash field (`mc` or `m:<JSON of the key>`), ARGV[3] delta (safe integer),
 * ARGV[4] entry overhead bytes for a new metadata key, ARGV[5] max lifetime ms or '', ARGV[6] maxSessionBytes.
 * Reply: 0 when absent, else { 1, new value as decimal text }.
 * Errors: `SESSNOTINT` when the field holds anything but integer text, `SESSRANGE <value>` when the result
 * leaves the safe range or messageCount would go negative, `SESSSIZE <bytes>` when a new counter key or an
 * extra digit takes the session over the cap; nothing written.
 */
export const INCREMENT_LUA = `${lua(MAX_SAFE, NOW_MS, FMT, NUM, EXPIRY, SLIDE)}
local field = ARGV[2]
local m = redis.call('HMGET', KEYS[1], field, 'v', 'sz', 'ttl', 'ca')
-- EXISTS only when nothing was found: absent, or a broken record (reported below).
if not m[1] and not m[2] and not m[3] and not m[4] and not m[5] and redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local text = m[1]
local current = 0
if text then
  if not string.match(text, '^%-?%d+$') or #text > 17 then return redis.error_reply('SESSNOTINT counter') end
  current = tonumber(text)
  if current > MAX_SAFE or current < -MAX_SAFE then return redis.error_reply('SESSNOTINT counter') end
elseif field == 'mc' then
  return redis.error_reply('SESSDECODE messageCount')
end
local nextv = current + tonumber(ARGV[3])
if nextv > MAX_SAFE or nextv < -MAX_SAFE or (field == 'mc' and nextv < 0) then
  return redis.error_reply('SESSRANGE ' .. string.format('%.17g', nextv))
end
local v = num(m[2], 'version')
local sz = num(m[3], 'size')
local ttl = num(m[4], 'ttl')
local ca = num(m[5], 'createdAt')
local out = fmt(nextv)
if text then sz = sz + #out - #text else sz = sz + #out + tonumber(ARGV[4]) end
if sz > tonumber(ARGV[6]) then return redis.error_reply('SESSSIZE ' .. fmt(sz)) end
local now = now_ms()
redis.call('HSET', KEYS[1], field, out, 'v', fmt(v + 1), 'ua', fmt(now), 'sz', fmt(sz))
slide(KEYS[1], KEYS[2], ARGV[1], now, ttl, ca, ARGV[5])
return { 1, out }
`;

/**
 * touch. KEYS[1] session hash, KEYS[2] index shard.
 * ARGV[1] id, ARGV[2] new TTL ms or '' (keep the remembered one), ARGV[3] max lifetime ms or ''.
 * Reply: 1 touched, 0 absent.
 */
export const TOUCH_LUA = `${lua(NOW_MS, FMT, NUM, EXPIRY, SLIDE, TOUCH)}
if touch(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], now_ms()) then return 1 end
return 0
`;

/**
 * delete. KEYS[1] session hash, KEYS[2] index shard. ARGV[1] id.
 * Reply: 1 when a live session was deleted, else 0. The index entry goes either way.
 */
export const DELETE_LUA = `
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
`;

/**
 * countActive. KEYS[1..n] index shards (all of them on standalone Redis, one per call on a Cluster).
 * ARGV[1] optional cutoff in epoch ms (default: the server's now).
 * Reply: the number of index entries whose expiry lies after the cutoff.
 */
export const COUNT_LUA = `${lua(NOW_MS, FMT)}
-- ARGV[1], optional: the cutoff (epoch ms) to count from, so that several calls can share one instant.
local now = '(' .. ((ARGV[1] and ARGV[1] ~= '') and ARGV[1] or fmt(now_ms()))
local total = 0
for i = 1, #KEYS do
  total = total + redis.call('ZCOUNT', KEYS[i], now, '+inf')
end
return total
`;

/**
 * listActive. KEYS[1..n] index shards in list order. ARGV[1] offset, ARGV[2] limit, ARGV[3] optional
 * cutoff in epoch ms (default: the server's now).
 * Reply: up to `limit` ids, after skipping `offset`, shard by shard in KEYS order and by expiry then id
 * inside a shard. An empty reply when offset passes the end.
 */
export const LIST_LUA = `${lua(NOW_MS, FMT)}
-- ARGV[3], optional: the cutoff (epoch ms), shared with the count round of a Cluster listActive.
local now = '(' .. ((ARGV[3] and ARGV[3] ~= '') and ARGV[3] or fmt(now_ms()))
local skip = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS do
  if want <= 0 then break end
  local n = redis.call('ZCOUNT', KEYS[i], now, '+inf')
  if skip >= n then
    skip = skip - n
  else
    local ids = redis.call('ZRANGE', KEYS[i], now, '+inf', 'BYSCORE', 'LIMIT', skip, want)
    for _, id in ipairs(ids) do out[#out + 1] = id end
    want = want - #ids
    skip = 0
  end
end
return out
`;

/**
 * cleanupExpired. KEYS[1..n] index shards. Reply: how many index entries had expired and were removed.
 * The session hashes themselves are already gone: Redis expires them at the same instant (PEXPIREAT).
 */
export const CLEANUP_LUA = `${lua(NOW_MS, FMT)}
local now = fmt(now_ms())
local total = 0
for i = 1, #KEYS do
  total = total + redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
end
return total
`;
