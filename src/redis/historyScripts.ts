// The Lua scripts behind the history methods and beginTurn of RedisSessionStore: one per method, each
// atomic and one command on the wire (DESIGN §9).
//
// A session's items are a list beside its record, in the same hash slot (keys.ts itemsKey): RPUSH order is
// the order of arrival at Redis, never a client clock, and the items of one call are pushed by one script,
// so they stay contiguous whatever other writers do. The list always carries the record's expiry: every
// script that moves one moves the other to the same PEXPIREAT (lua.ts MOVE_EXPIRY, storeRecord), so both
// expire at the same instant. Items are canonical JSON text (src/store/items.ts): a suffix compares as
// strings.
//
// The write scripts take KEYS[1] record, KEYS[2] index shard, KEYS[3] items, KEYS[4] operation ids (a hash
// of `operationId` → `<expiresAt ms> <digest> <first length>`, keys.ts operationIdsKey) and, when the
// connection may re-send, KEYS[5] the internal operation id key (lua.ts OP_DONE). History writes rewrite
// only lastActivity and expiresAt in the header (and the TTL when the call gives one): version and
// updatedAt stay. Errors are `SESS…` replies (history.ts maps them); nothing is written before them.
import { fieldIndex, SLID_START, TAG } from './layout.js';
import {
  checkHeader,
  ENTRY,
  expiry,
  FMT,
  fieldFormats,
  HEADER,
  HEADER_LAST,
  hnum,
  lua,
  MAX_SAFE,
  MOVE_EXPIRY,
  NOW,
  OP_DONE,
  rangeOffset,
  recordOutcome,
  storeRecord,
} from './lua.js';
import { Script } from './Script.js';

/** The header of the session (local `h`), `exists` false when there is none. Checked when present. */
const READ_HEADER = `
local h = redis.call('GETRANGE', KEYS[1], '0', ${HEADER_LAST})
local exists = h ~= '' or not absent(KEYS[1])
if exists then${checkHeader('h')}end
`;

/**
 * Slides the existing session read into `h` at `now`: the TTL in the Lua expression `ttl` ('' keeps the
 * remembered one) is written when given, then lastActivity and expiresAt, then the expiry of record and
 * items and the index entry move (MOVE_EXPIRY).
 */
const slide = (ttl: string, maxLifetime: string): string => `
local ttl = ${hnum('h', 'ttl')}
if ${ttl} ~= '' then
  ttl = tonumber(${ttl})
  redis.call('SETRANGE', KEYS[1], ${rangeOffset('ttl')}, string.format('${fieldFormats(1)}', ttl))
end
${expiry('ttl', hnum('h', 'createdAt'), maxLifetime)}
redis.call('SETRANGE', KEYS[1], '${SLID_START}', string.format('${fieldFormats(2)}', now, ex))
${MOVE_EXPIRY}`;

/** The Lua format of a new record's header fields before messageCount (ARGV[7] brings the rest). */
const NEW_HEAD = `'${TAG}${fieldFormats(fieldIndex('messageCount'))}'`;

// ARGV of appendItems and replaceItems: 1 id, 2 TTL ms or '', 3 default TTL ms, 4 max lifetime ms or '',
// 5 '' (createdAt: now), 6 and 7 the encoded size and the rest of the record to create when absent (as
// for getOrCreate), 8 operationId or '', 9 its payload digest, 10 operationIdTtlSeconds in ms, 11 maxItems,
// 12 '1' for itemsOverflow 'trimOldest', then the script's own arguments from 13.
const HISTORY_WRITE = `${HEADER}${OP_DONE}if done then return tonumber(done) end
${READ_HEADER}${NOW}local opid = ARGV[8]
-- A remembered operation id: the first outcome, or a conflict when the payload differs. Ids left by a
-- session that is gone (evicted record) are not its.
if exists and opid ~= '' then
  local seen = redis.call('HGET', KEYS[4], opid)
  local at, digest, first
  if seen then at, digest, first = string.match(seen, '^(%d+) (%S+) (%d+)$') end
  if at and tonumber(at) > now then
    if digest ~= ARGV[9] then return redis.error_reply('SESSOPCONFLICT operationId') end
    return tonumber(first)
  end
end
`;

/** Checks `total` (the length the write would leave) against maxItems: the local `result` and `trim`. */
const LIMIT = `
local trim, max = 0, tonumber(ARGV[11])
if total > max then
  if ARGV[12] ~= '1' then return redis.error_reply('SESSMAXITEMS ' .. string.format('%d', total)) end
  trim = total - max
end
local result = total - trim
`;

/**
 * Before the first write: the outcome for a re-send (first, for maxmemory), leftovers of an evicted
 * record dropped, the operation id remembered. The hash expires with its newest id; stale ids are pruned
 * when it has doubled since the last pruning (field '' holds that size), so pruning costs O(1) a write.
 */
const BEFORE_WRITES = `${recordOutcome("string.format('%d', result)")}
if not exists and redis.call('EXISTS', KEYS[3], KEYS[4]) > 0 then redis.call('DEL', KEYS[3], KEYS[4]) end
if opid ~= '' then
  local opex = string.format('%d', now + tonumber(ARGV[10]))
  redis.call('HSET', KEYS[4], opid, opex .. ' ' .. ARGV[9] .. ' ' .. string.format('%d', result))
  redis.call('PEXPIREAT', KEYS[4], opex)
  local n = redis.call('HLEN', KEYS[4])
  if n > (tonumber(redis.call('HGET', KEYS[4], '')) or 64) then
    local all, dead = redis.call('HGETALL', KEYS[4]), {}
    for i = 1, #all, 2 do
      local at = tonumber(string.match(all[i + 1], '^(%d+) '))
      if at and at <= now then dead[#dead + 1] = all[i] end
    end
    for i = 1, #dead, 1000 do redis.call('HDEL', KEYS[4], unpack(dead, i, math.min(i + 999, #dead))) end
    redis.call('HSET', KEYS[4], '', string.format('%d', math.max(64, 2 * (n - #dead))))
  end
end
`;

/** RPUSH of ARGV[first..#ARGV], in chunks (Lua's unpack has a stack limit), then the trim. */
const push = (first: string): string => `
for i = ${first}, #ARGV, 1000 do redis.call('RPUSH', KEYS[3], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
if trim > 0 then redis.call('LTRIM', KEYS[3], string.format('%d', trim), '-1') end
`;

/** After the items: slide the existing session, or create it (as getOrCreate would); items take its expiry. */
const ENVELOPE = `
if exists then${slide('ARGV[2]', 'ARGV[4]')}else
  local ttl = tonumber(ARGV[2]) or tonumber(ARGV[3])
  ${expiry('ttl', 'now', 'ARGV[4]')}${storeRecord(`string.format(${NEW_HEAD}, 1, ttl, now, now, now, ex, tonumber(ARGV[6])) .. ARGV[7]`)}end
return result
`;

/** appendItems. ARGV as HISTORY_WRITE, the items from ARGV[13]. Reply: the length after. */
export const APPEND_ITEMS_LUA = `${HISTORY_WRITE}
local total = #ARGV - 12
if exists then total = total + redis.call('LLEN', KEYS[3]) end
${LIMIT}${BEFORE_WRITES}${push('13')}${ENVELOPE}`;

/**
 * replaceItems. ARGV as HISTORY_WRITE, then ARGV[13] the suffix length k ('' for the whole log), the k
 * suffix items, then the replacement. Reply: the length after. `SESSSUFFIX <stored length>` when the log
 * does not end with the suffix (an absent session is an empty log).
 */
export const REPLACE_ITEMS_LUA = `${HISTORY_WRITE}
local len = exists and redis.call('LLEN', KEYS[3]) or 0
local k = tonumber(ARGV[13])
local kept = 0
if k then
  local stale = redis.error_reply('SESSSUFFIX ' .. string.format('%d', len))
  if k > len then return stale end
  if k > 0 then
    local tail = redis.call('LRANGE', KEYS[3], string.format('%d', -k), '-1')
    for i = 1, k do
      if tail[i] ~= ARGV[13 + i] then return stale end
    end
  end
  kept = len - k
end
local first = 14 + (k or 0)
local total = kept + #ARGV - first + 1
${LIMIT}${BEFORE_WRITES}
if kept == 0 then
  redis.call('DEL', KEYS[3])
elseif kept < len then
  redis.call('LTRIM', KEYS[3], '0', string.format('%d', kept - 1))
end
${push('first')}${ENVELOPE}`;

// popItem, clearItems and getItems: ARGV[1] id, ARGV[2] max lifetime ms or ''. An absent session changes
// nothing and creates nothing.

/** popItem. Reply: the newest item's text, or 0 when the log is empty or the session absent. */
export const POP_ITEM_LUA = `${HEADER}${OP_DONE}if done then
  if done == '0' then return 0 end
  return string.sub(done, 2)
end
${READ_HEADER}if not exists then return 0 end
-- RPOP frees memory: it runs before the outcome is recorded, so popping works under maxmemory.
local item = redis.call('RPOP', KEYS[3])
${recordOutcome("item and '1' .. item or '0'")}${NOW}${slide("''", 'ARGV[2]')}return item or 0
`;

/** clearItems: the items and the operation ids go. Reply: how many items were removed (0 when absent). */
export const CLEAR_ITEMS_LUA = `${HEADER}${OP_DONE}if done then return tonumber(done) end
${READ_HEADER}if not exists then return 0 end
local n = redis.call('LLEN', KEYS[3])
redis.call('DEL', KEYS[3], KEYS[4])
${recordOutcome("string.format('%d', n)")}${NOW}${slide("''", 'ARGV[2]')}return n
`;

/**
 * getItems with touch (without, history.ts sends a plain LRANGE). KEYS[1] record, KEYS[2] index shard,
 * KEYS[3] items. ARGV[3] limit or '' (all). Slides as get with touch does. Reply: the items' texts, oldest
 * first; none when the session is absent.
 */
export const GET_ITEMS_LUA = `${HEADER}${READ_HEADER}if not exists then return {} end
${NOW}${slide("''", 'ARGV[2]')}if ARGV[3] == '0' then return {} end
return redis.call('LRANGE', KEYS[3], ARGV[3] == '' and '0' or '-' .. ARGV[3], '-1')
`;

/**
 * beginTurn: getOrCreate, messageCount + 1 and the recent items in one step. ARGV 1 to 7 as for
 * getOrCreate (the rest of a new record already counts the message), ARGV[8] maxSessionBytes, ARGV[9]
 * the history limit. Reply: { created 1/0, header, record, items }:
 * - existing: the header as rewritten (version + 1, updatedAt and lastActivity now, the count), the
 *   record as read (its data unchanged), the most recent items;
 * - created: the header fields before messageCount as written (version 2: created, then counted, as
 *   getOrCreate then incrementCounter would leave it), '', no items;
 * - re-sent after the first send ran: '', the record as it now is, the items.
 * Errors as incrementCounter's for messageCount: `SESSRANGE`, `SESSSIZE`.
 */
export const BEGIN_TURN_LUA = `${lua(ENTRY, MAX_SAFE, FMT, HEADER)}
local function recent()
  if ARGV[9] == '0' then return {} end
  return redis.call('LRANGE', KEYS[3], '-' .. ARGV[9], '-1')
end
${OP_DONE}if done then return { tonumber(done), '', redis.call('GET', KEYS[1]) or '', recent() } end
local s = redis.call('GET', KEYS[1])
${NOW}if s then${checkHeader('s')}
  local v, mc = ${hnum('s', 'version')}, ${hnum('s', 'messageCount')}
  if mc + 1 > MAX_SAFE then return redis.error_reply('SESSRANGE ' .. string.format('%.17g', mc + 1)) end
  local sz = ${hnum('s', 'size')} + #fmt(mc + 1) - #fmt(mc) + version_bytes(v)
  if sz > tonumber(ARGV[8]) then return redis.error_reply('SESSSIZE ' .. fmt(sz)) end
  local ttl, ca = ${hnum('s', 'ttl')}, ${hnum('s', 'createdAt')}
  ${expiry('ttl', 'ca', 'ARGV[4]')}${recordOutcome("'0'")}
  local head = string.format(HDR, v + 1, ttl, ca, now, now, ex, sz, mc + 1)
  redis.call('SETRANGE', KEYS[1], '0', head)
  ${MOVE_EXPIRY}  return { 0, head, s, recent() }
end
local ttl = tonumber(ARGV[2]) or tonumber(ARGV[3])
local ca = tonumber(ARGV[5]) or now
${expiry('ttl', 'ca', 'ARGV[4]')}
local head = string.format(${NEW_HEAD}, 2, ttl, ca, now, now, ex, tonumber(ARGV[6]))
${recordOutcome("'1'")}${storeRecord('head .. ARGV[7]', 'true')}return { 1, head, '', {} }
`;

/**
 * The history scripts by method. getItems takes a fixed 3 keys; the writes pass their key count first.
 * `write` marks what the `durability` option confirms with replicas: every history write, and beginTurn
 * (it counts the message); getItems only reads and slides.
 */
export const HISTORY_SCRIPTS = {
  appendItems: new Script(APPEND_ITEMS_LUA, undefined, { write: true }),
  getItems: new Script(GET_ITEMS_LUA, 3),
  popItem: new Script(POP_ITEM_LUA, undefined, { write: true }),
  replaceItems: new Script(REPLACE_ITEMS_LUA, undefined, { write: true }),
  clearItems: new Script(CLEAR_ITEMS_LUA, undefined, { write: true }),
  beginTurn: new Script(BEGIN_TURN_LUA, undefined, { write: true }),
} as const;

export type HistoryScriptName = keyof typeof HISTORY_SCRIPTS;
