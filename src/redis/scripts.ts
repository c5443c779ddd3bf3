// The Lua scripts behind RedisSessionStore: one per operation, each atomic and each one command on the
// wire. Time comes from the Redis server (TIME), so every app instance agrees on expiry. The scripts over
// the index of live sessions are in indexScripts.ts, those of the history in historyScripts.ts.
//
// A session is one string key; src/redis/record.ts describes the record: a fixed-width header (the tag,
// then version, TTL ms, createdAt, updatedAt, lastActivity, expiresAt, encoded size and messageCount as
// fixed-width integers, then `\n`; src/redis/layout.ts), four lines (userId, threadId, requestId JSON, escalated), then the
// metadata as JSON text with each entry written `\n<key JSON>\t:<value JSON>`. Lua never decodes JSON: it
// reads and rewrites header fields at fixed offsets, splits on `\n` and `\t` (bytes JSON.stringify never
// emits), and compares, measures and joins the texts as they are. Counters parse plain integer text only.
//
// A read without touch is a plain GET (no script). The scripts reply with the record itself (get with
// touch: the record as read and the two fields it rewrote), so Node parses the stored text as it is.
//
// Replies never carry a Lua boolean (RESP3 would turn `false` into 0): absent is the integer 0, and
// user-input problems are error replies starting with `SESS` that the store turns into typed errors. A
// record that does not decode raises `error('SESSDECODE <field>')` from wherever it is found: Redis puts
// its own prefix around a raised error (and Redis 6 cannot raise an error table), so the store looks for
// `SESSDECODE <field>` anywhere in the message.

import type { RedisClient } from './connection.js';
import { bindDurable, type Durability } from './durability.js';
import { CLEANUP_LUA, COUNT_LUA, LIST_LUA } from './indexScripts.js';
import { HEADER_LENGTH, TAG, WRITTEN_LENGTH } from './layout.js';
import {
  checkHeader,
  DATA_START,
  ENTRY,
  expiry,
  FMT,
  fieldFormats,
  fieldNumber,
  HEADER,
  HEADER_LAST,
  hnum,
  lua,
  luaEnd,
  MAX_SAFE,
  MOVE_EXPIRY,
  NOW,
  OP_DONE,
  rangeOffset,
  recordOutcome,
  slideAndReturn,
  storeRecord,
  writeNewAndReturn,
} from './lua.js';
import { Script, type ScriptFn } from './Script.js';

/**
 * get with touch (get without touch is a plain GET). KEYS[1] session key, KEYS[2] index shard, KEYS[3] items.
 * ARGV[1] session id, ARGV[2] max lifetime ms or ''.
 * Reply: 0 when absent, else { the record as it was read, lastActivity and expiresAt as written in its
 * place (layout.ts SLID_LENGTH characters) } (slideAndReturn).
 */
export const GET_LUA = `
local s = redis.call('GET', KEYS[1])
if not s then return 0 end
${NOW}${slideAndReturn('ARGV[2]')}`;

/**
 * set (create or replace). KEYS[1..4] session, index shard, items, operation ids; KEYS[5] op key (optional, OP_WINDOW_MS).
 * ARGV[1] id, ARGV[2] TTL ms or '' (keep the remembered one), ARGV[3] default TTL ms, ARGV[4] max lifetime
 * ms or '', ARGV[5] createdAt ms for a new session or '', ARGV[6] the encoded size for version 1 and that
 * createdAt (or now), ARGV[7] the rest of the record: messageCount as a header field, `\n`, then the data
 * (record.ts encodeInput).
 * Reply: the header fields before messageCount as written (the tag, version, TTL, createdAt, updatedAt, lastActivity,
 * expiresAt, encoded size), one string.
 * A previous record that does not parse (or a key of another type) is replaced, not reported: set is
 * also the way to repair one.
 */
export const SET_LUA = `${OP_DONE}if done then return done end
${NOW}local v, ttl, ca = 1, tonumber(ARGV[2]), nil
-- The previous record's version, TTL and createdAt. pcall: a key of another type is replaced too (its
-- error reply is a table, whose length is 0).
local old = redis.pcall('GETRANGE', KEYS[1], '0', '${luaEnd('createdAt') - 1}')
if #old == ${luaEnd('createdAt')} and string.sub(old, 1, ${TAG.length}) == '${TAG}' then
  v = (${fieldNumber('old', 'version')} or 0) + 1
  ttl = ttl or ${fieldNumber('old', 'ttl')}
  ca = ${fieldNumber('old', 'createdAt')}
end
ttl = ttl or tonumber(ARGV[3])
local assumed = tonumber(ARGV[5]) or now
ca = ca or assumed
${expiry('ttl', 'ca', 'ARGV[4]')}
-- Node computed the size for version 1 and createdAt = assumed. A replaced session counts its version up
-- and keeps its createdAt: add the version's extra digits, and the 3 bytes by which a Date's JSON text
-- outside the years 0 to 9999 (\`+YYYYYY\`) is longer.
local size = tonumber(ARGV[6])
if v >= 10 then size = size + #string.format('%d', v) - 1 end
if ca ~= assumed then
  if ca < -62167219200000 or ca >= 253402300800000 then size = size + 3 end
  if assumed < -62167219200000 or assumed >= 253402300800000 then size = size - 3 end
end
${writeNewAndReturn('v', 'ttl', 'ca', 'size')}`;

/**
 * getOrCreate. KEYS[1..4] session, index shard, items, operation ids; KEYS[5] op key (optional, OP_WINDOW_MS).
 * ARGV[1] id, ARGV[2] TTL ms or '', ARGV[3] default TTL ms, ARGV[4] max lifetime ms or '',
 * ARGV[5] createdAt ms or '', ARGV[6] and ARGV[7] the encoded size and the rest of the record for a new
 * session (as for set), ARGV[8] '1' to touch an existing session / '0'.
 * Reply: existing → its whole record, or with touch { record as read, the slid fields written } (as get
 * with touch replies); created → the first seven header fields written (as set replies).
 */
export const GET_OR_CREATE_LUA = `${OP_DONE}if done then return done end
local s = redis.call('GET', KEYS[1])
${NOW}if s then
  if ARGV[8] == '1' then${slideAndReturn('ARGV[4]')}  end
  -- Every record is longer than its header; anything as short as a created reply is no record.
  if #s <= ${HEADER_LENGTH} then error('SESSDECODE (record)') end
  return s
end
local ttl = tonumber(ARGV[2]) or tonumber(ARGV[3])
local ca = tonumber(ARGV[5]) or now
${expiry('ttl', 'ca', 'ARGV[4]')}${writeNewAndReturn('1', 'ttl', 'ca', 'ARGV[6]')}`;

/**
 * update. KEYS[1..4] session, index shard, items, operation ids; KEYS[5] op key (optional, OP_WINDOW_MS).
 * ARGV[1] id, ARGV[2] expected version or '', ARGV[3] maxSessionBytes, ARGV[4] max lifetime ms or '',
 * ARGV[5..8] new JSON text of userId, threadId, requestId and escalated, '' to keep; ARGV[9] new
 * messageCount or ''; ARGV[10] S = number of metadata sets, then S pairs (key JSON, value JSON); then
 * R = number of metadata removals, then R key JSON texts. The size field stays the exact encoded size
 * (see ENTRY) without Lua ever decoding JSON.
 * Reply: 0 when absent, else the record after the write.
 * Errors: `SESSCONFLICT <actual>` for a stale version, `SESSSIZE <bytes>` over the cap; nothing written.
 */
export const UPDATE_LUA = `${lua(ENTRY, FMT, HEADER)}
local LINE_FIELDS = { 'userId', 'threadId', 'requestId', 'escalated' }
local s = redis.call('GET', KEYS[1])
-- Already applied by an earlier send of this call: the session as it is now.
${OP_DONE}if done then return s or 0 end
if not s then return 0 end
${checkHeader('s')}local v = ${hnum('s', 'version')}
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= v then
  return redis.error_reply('SESSCONFLICT ' .. fmt(v))
end
local ttl, ca, sz, mc = ${hnum('s', 'ttl')}, ${hnum('s', 'createdAt')}, ${hnum('s', 'size')} + version_bytes(v), ${hnum('s', 'messageCount')}
local lines, at = {}, ${DATA_START}
for i = 1, 4 do
  local e = string.find(s, '\\n', at, true)
  if not e then error('SESSDECODE ' .. LINE_FIELDS[i]) end
  lines[i] = string.sub(s, at, e - 1)
  at = e + 1
  local new = ARGV[4 + i]
  if new ~= '' then
    sz = sz + #new - #lines[i]
    lines[i] = new
  end
end
if ARGV[9] ~= '' then
  local count = tonumber(ARGV[9])
  sz = sz + #fmt(count) - #fmt(mc)
  mc = count
end
local meta = string.sub(s, at)
local i = 10
local sets = tonumber(ARGV[i])
local removes = tonumber(ARGV[i + 2 * sets + 1])
if sets + removes > 0 then
  if string.sub(meta, 1, 1) ~= '{' or string.sub(meta, -1) ~= '}' then error('SESSDECODE metadata') end
  -- The entries in record order: key JSON and value JSON texts, and each key's position.
  local keys, values, index, n = {}, {}, {}, 0
  local p = string.find(meta, '\\n', 1, true)
  while p do
    local q = string.find(meta, '\\n', p + 1, true)
    local stop = q and q - 2 or #meta - 1
    local t = string.find(meta, '\\t', p + 1, true)
    if not t or t > stop then error('SESSDECODE metadata') end
    n = n + 1
    keys[n] = string.sub(meta, p + 1, t - 1)
    values[n] = string.sub(meta, t + 2, stop)
    index[keys[n]] = n
    p = q
  end
  -- Entries before the patch; live: entries after it (for the commas between them).
  local before, live = n, n
  for _ = 1, sets do
    local key, value = ARGV[i + 1], ARGV[i + 2]
    local j = index[key]
    if j then
      sz = sz + #value - #values[j]
      values[j] = value
    else
      n = n + 1
      live = live + 1
      keys[n], values[n], index[key] = key, value, n
      sz = sz + #value + #key + 1
    end
    i = i + 2
  end
  i = i + 1
  for _ = 1, removes do
    local key = ARGV[i + 1]
    local j = index[key]
    if j then
      sz = sz - #values[j] - #key - 1
      live = live - 1
      values[j] = false
      index[key] = nil
    end
    i = i + 1
  end
  sz = sz + commas(live) - commas(before)
  local parts = {}
  for j = 1, n do
    if values[j] then parts[#parts + 1] = '\\n' .. keys[j] .. '\\t:' .. values[j] end
  end
  meta = '{' .. table.concat(parts, ',') .. '}'
end
if sz > tonumber(ARGV[3]) then return redis.error_reply('SESSSIZE ' .. fmt(sz)) end
${NOW}${expiry('ttl', 'ca', 'ARGV[4]')}
local out = string.format(HDR, v + 1, ttl, ca, now, now, ex, sz, mc) .. table.concat(lines, '\\n') .. '\\n' .. meta
${recordOutcome("'1'")}${storeRecord('out')}return out
`;

/**
 * incrementCounter. KEYS[1..4] session, index shard, items, operation ids; KEYS[5] op key (optional, OP_WINDOW_MS).
 * ARGV[1] id, ARGV[2] '' for messageCount or the metadata key's JSON text, ARGV[3] delta (safe integer),
 * ARGV[4] max lifetime ms or '', ARGV[5] maxSessionBytes.
 * messageCount lives in the header: it is read and rewritten with GETRANGE/SETRANGE, the data untouched.
 * Reply: 0 when absent, else { 1, new value as decimal text }.
 * Errors: `SESSNOTINT` when the field holds anything but integer text, `SESSRANGE <value>` when the result
 * leaves the safe range or messageCount would go negative, `SESSSIZE <bytes>` when a new counter key or an
 * extra digit takes the session over the cap; nothing written.
 */
// The longest integer text a counter may hold: `-` and the digits of the largest safe integer.
const SAFE_DIGITS = String(Number.MIN_SAFE_INTEGER).length;

export const INCREMENT_LUA = `${lua(ENTRY, MAX_SAFE, FMT, HEADER)}${OP_DONE}if done then return { 1, done } end
local key, field, delta = KEYS[1], ARGV[2], tonumber(ARGV[3])
local function range_error(n)
  return redis.error_reply('SESSRANGE ' .. string.format('%.17g', n))
end
if field == '' then
  local h = redis.call('GETRANGE', key, '0', ${HEADER_LAST})
  if h == '' and absent(key) then return 0 end
  ${checkHeader('h')}  local mc = ${hnum('h', 'messageCount')}
  local nextv = mc + delta
  if nextv > MAX_SAFE or nextv < 0 then return range_error(nextv) end
  local out = fmt(nextv)
  local sz = ${hnum('h', 'size')} + #out - #fmt(mc) + version_bytes(${hnum('h', 'version')})
  if sz > tonumber(ARGV[5]) then return redis.error_reply('SESSSIZE ' .. fmt(sz)) end
  local ttl, ca = ${hnum('h', 'ttl')}, ${hnum('h', 'createdAt')}
  ${NOW}${expiry('ttl', 'ca', 'ARGV[4]')}${recordOutcome('out')}
  redis.call('SETRANGE', key, '0', string.format(HDR, ${hnum('h', 'version')} + 1, ttl, ca, now, now, ex, sz, nextv))
  ${MOVE_EXPIRY}  return { 1, out }
end
local s = redis.call('GET', key)
if not s then return 0 end
${checkHeader('s')}if string.sub(s, -1) ~= '}' then error('SESSDECODE metadata') end
-- The entry \\n<key JSON>\\t: and its value, up to the next entry or the closing brace.
local marker = '\\n' .. field .. '\\t:'
local p = string.find(s, marker, ${DATA_START}, true)
local first, last, text = nil, nil, nil
if p then
  first = p + #marker
  local q = string.find(s, '\\n', first, true)
  last = q and q - 2 or #s - 1
  text = string.sub(s, first, last)
end
local current = 0
if text then
  if not string.match(text, '^%-?%d+$') or #text > ${SAFE_DIGITS} then return redis.error_reply('SESSNOTINT counter') end
  current = tonumber(text)
  if current > MAX_SAFE or current < -MAX_SAFE then return redis.error_reply('SESSNOTINT counter') end
end
local nextv = current + delta
if nextv > MAX_SAFE or nextv < -MAX_SAFE then return range_error(nextv) end
local out = fmt(nextv)
local sz = ${hnum('s', 'size')} + version_bytes(${hnum('s', 'version')})
local body
if text then
  sz = sz + #out - #text
  body = string.sub(s, ${DATA_START}, first - 1) .. out .. string.sub(s, last + 1)
else
  local sep = string.sub(s, -2) == '{}' and '' or ','
  sz = sz + #out + #field + 1 + #sep
  body = string.sub(s, ${DATA_START}, #s - 1) .. sep .. marker .. out .. '}'
end
if sz > tonumber(ARGV[5]) then return redis.error_reply('SESSSIZE ' .. fmt(sz)) end
local ttl, ca = ${hnum('s', 'ttl')}, ${hnum('s', 'createdAt')}
${NOW}${expiry('ttl', 'ca', 'ARGV[4]')}${recordOutcome('out')}${storeRecord(
  `string.format(HDR, ${hnum('s', 'version')} + 1, ttl, ca, now, now, ex, sz, ${hnum('s', 'messageCount')}) .. body`,
)}return { 1, out }
`;

/**
 * touch. KEYS[1] session key, KEYS[2] index shard, KEYS[3] items (they slide together).
 * ARGV[1] id, ARGV[2] new TTL ms or '' (keep the remembered one), ARGV[3] max lifetime ms or ''.
 * Reply: 1 touched, 0 absent. Only the header is read and rewritten.
 */
export const TOUCH_LUA = `${HEADER}
local raw = redis.call('GETRANGE', KEYS[1], '0', ${HEADER_LAST})
if raw == '' and absent(KEYS[1]) then return 0 end
${checkHeader('raw')}local ttl = ${hnum('raw', 'ttl')}
if ARGV[2] ~= '' then
  ttl = tonumber(ARGV[2])
  redis.call('SETRANGE', KEYS[1], ${rangeOffset('ttl')}, string.format('${fieldFormats(1)}', ttl))
end
${NOW}${expiry('ttl', hnum('raw', 'createdAt'), 'ARGV[3]')}
redis.call('SETRANGE', KEYS[1], ${rangeOffset('lastActivity')}, string.format('${fieldFormats(2)}', now, ex))
${MOVE_EXPIRY}return 1
`;

/**
 * delete. KEYS[1..4] session, index shard, items, operation ids; KEYS[5] op key (optional, OP_WINDOW_MS).
 * ARGV[1] id.
 * Reply: 1 when a live session was deleted, else 0. The index entry goes either way. A second send of the
 * same call replies as the first did (also 0: a session created again in between is not deleted).
 */
export const DELETE_LUA = `${OP_DONE}if done then return tonumber(done) end
-- The outcome is recorded after the DEL, unlike the other writes (see recordOutcome): a full Redis refuses a
-- script at its first command that may grow memory, and DEL frees memory, so deleting works under
-- maxmemory (noeviction), and once the script has written, the record's SET is let through.
local n = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[1])
${recordOutcome("n == 1 and '1' or '0'")}return n
`;

/** A reply that is not the integer 0 (0 is "absent": nothing was written). */
const changed = (reply: unknown): boolean => reply !== 0;

/**
 * Every script the store runs, by operation. get and touch take a fixed 3 keys; the writes take 4 keys, or
 * 5 with an operation id, and the index scripts one key per shard: those calls pass the key count first.
 * `write` marks the calls whose change a user would miss after a failover (durability.ts confirms them);
 * a get with touch and a getOrCreate that finds the session only slide the expiry and count as reads.
 */
export const SCRIPTS = {
  get: new Script(GET_LUA, 3),
  set: new Script(SET_LUA, undefined, { write: true }),
  getOrCreate: new Script(GET_OR_CREATE_LUA, undefined, {
    // Created: the written header fields; found: the record (or, touched, the record and its slide).
    write: (reply) => typeof reply === 'string' && reply.length === WRITTEN_LENGTH,
  }),
  update: new Script(UPDATE_LUA, undefined, { write: changed }),
  increment: new Script(INCREMENT_LUA, undefined, { write: changed }),
  touch: new Script(TOUCH_LUA, 3, { write: changed }),
  delete: new Script(DELETE_LUA, undefined, { write: changed }),
  count: new Script(COUNT_LUA),
  list: new Script(LIST_LUA),
  cleanup: new Script(CLEANUP_LUA),
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/**
 * Every script of `scripts` as a function on `client` (Script.bind); with `durability`, the writes go
 * through `writer` instead and wait for replicas (durability.ts bindDurable).
 */
export function bindScripts<N extends string>(
  scripts: Record<N, Script>,
  client: RedisClient,
  durability?: Durability,
  writer: RedisClient = client,
): Record<N, ScriptFn> {
  const bound = {} as Record<N, ScriptFn>;
  for (const op of Object.keys(scripts) as N[]) {
    const script = scripts[op];
    bound[op] =
      durability !== undefined && script.wrote !== undefined
        ? bindDurable(script, writer, durability)
        : script.bind(client);
  }
  return bound;
}
