// The Lua the scripts of scripts.ts are built from: helper functions a script defines, and the steps the
// writes share as inline statements. Every header offset, width and format here is computed from
// layout.ts, so the scripts read and write the same header the TypeScript codec does.
import {
  FIELD_WIDTH,
  fieldEnd,
  fieldIndex,
  fieldOffset,
  HEADER_FIELDS,
  HEADER_LENGTH,
  HEADER_LUA_PATTERN,
  type HeaderField,
  LUA_FIELD_FORMAT,
  SLID_START,
  TAG,
} from './layout.js';

// Numbers passed to redis.call are written as strings ('0', the offsets below): Redis formats a Lua number
// argument with %.17g on every call. Likewise TIME's fields are converted once each (a string used in
// arithmetic is converted again on every use).

/** A header field's first character as a Lua string index (1-based). */
export const luaStart = (field: HeaderField): number => fieldOffset(field) + 1;
/** A header field's last character as a Lua string index (1-based, inclusive). */
export const luaEnd = (field: HeaderField): number => fieldEnd(field);
/** A header field's 0-based offset as a redis.call argument (GETRANGE, SETRANGE). */
export const rangeOffset = (field: HeaderField): string => `'${fieldOffset(field)}'`;
/** The Lua index of the record's first data byte (the line after the header). */
export const DATA_START = HEADER_LENGTH + 1;
/** GETRANGE's inclusive end offset of the whole header. */
export const HEADER_LAST = `'${HEADER_LENGTH - 1}'`;
/** The Lua expression of a header field of the checked record in `text`, as a number (HEADER's hnum). */
export const hnum = (text: string, field: HeaderField): string => `hnum(${text}, ${fieldIndex(field) + 1})`;
/** The Lua expression of a header field read by position, for text not checked against the whole header. */
export const fieldNumber = (text: string, field: HeaderField): string =>
  `tonumber(string.sub(${text}, ${luaStart(field)}, ${luaEnd(field)}))`;
/** `count` zero-padded fields as one string.format format. */
export const fieldFormats = (count: number): string => LUA_FIELD_FORMAT.repeat(count);

export const MAX_SAFE = `
local MAX_SAFE = 9007199254740991
`;
export const FMT = `
local function fmt(n)
  return string.format('%d', n)
end
`;
export const HEADER = `
-- The record header (src/redis/layout.ts): the tag, one format per field (${HEADER_FIELDS.map((f, i) => `${i + 1} ${f}`).join(', ')}), then the newline.
local HDR = '${TAG}${fieldFormats(HEADER_FIELDS.length)}\\n'
-- Header field i (1-based, in the layout's order) of a checked record, as a number.
local function hnum(s, i)
  return tonumber(string.sub(s, ${FIELD_WIDTH} * i - ${FIELD_WIDTH - TAG.length - 1}, ${FIELD_WIDTH} * i + ${TAG.length}))
end
-- For a key that GETRANGE found empty: true when absent; an empty string is no record.
local function absent(key)
  if redis.call('EXISTS', key) == 0 then return true end
  error('SESSDECODE (record)')
end
`;
// The size field is the whole-session JSON's byte length (src/redis/record.ts, encodeInput), kept exact
// by every write: a metadata entry adds its key's and value's JSON texts and a colon, and n entries are
// separated by n - 1 commas; a version that gains a digit adds a byte.
export const ENTRY = `
local function commas(n)
  if n > 1 then return n - 1 end
  return 0
end
local function version_bytes(v)
  return #string.format('%d', v + 1) - #string.format('%d', v)
end
`;

/** The helpers `parts` (in dependency order) as one script prefix. */
export const lua = (...parts: string[]): string => parts.join('');

// The steps the writes share, as inline Lua: statements spliced into each script where they run, not
// helper functions, because a helper defined in a script is a closure created on every call. They follow
// every script's conventions: KEYS[1] the session key, KEYS[2] its index shard, KEYS[3] its history items
// (keys.ts itemsKey), and for writes KEYS[4] its history operation ids and KEYS[5] the operation id key
// when the call carries one; ARGV[1] the session id.

/** The server clock in epoch ms, as the local `now`. */
export const NOW = `
local t = redis.call('TIME')
local us = tonumber(t[2])
local now = tonumber(t[1]) * 1000 + (us - us % 1000) / 1000
`;

/** The local `cutoff`: the epoch ms text in the Lua expression `given`, or the server clock's when it is absent or ''. */
export const cutoff = (given: string): string => `
local cutoff = ${given}
if not cutoff or cutoff == '' then${NOW}  cutoff = string.format('%d', now)
end
`;

/**
 * Raises a decode error unless the string in the Lua variable `text` (a record, or its header alone)
 * starts with a well-formed header. Every script checks the header before it writes: a broken record is
 * reported, never written over or slid.
 */
export const checkHeader = (text: string): string => `
if not string.find(${text}, '${HEADER_LUA_PATTERN}') then error('SESSDECODE (record)') end
`;

// Writes that a connection drop can make ioredis send twice (a Cluster re-sends a node's queued commands;
// a client with autoResendUnfulfilledCommands re-sends after a reconnect) carry an operation id: KEYS[5],
// a key in the session's slot. The first run records its outcome there for OP_WINDOW_MS; a later run with
// the same id finds it and replies as the first did, writing nothing. Without KEYS[5] nothing changes.
const OP_WINDOW_MS = 60_000;
/** The local `done`: the outcome an earlier send of this call recorded, or a false value. */
export const OP_DONE = `
local done = KEYS[5] and redis.call('GET', KEYS[5])
`;
/**
 * Records this call's outcome (a Lua string expression). Run before the first write, so that under
 * maxmemory (noeviction) a refused script writes nothing.
 */
export const recordOutcome = (outcome: string): string => `
if KEYS[5] then redis.call('SET', KEYS[5], ${outcome}, 'PX', '${OP_WINDOW_MS}') end
`;

/** The local `ex`: `now` plus the TTL, capped at createdAt plus the max lifetime (ms, or '' for none). */
export const expiry = (ttl: string, createdAt: string, maxLifetime: string): string => `
local ex = now + ${ttl}
if ${maxLifetime} ~= '' then
  local cap = ${createdAt} + tonumber(${maxLifetime})
  if cap < ex then ex = cap end
end
`;

/**
 * Moves the expiry of the record and of its items, and its index entry, to `ex`, for a record whose
 * header already says so. PEXPIREAT of an absent items key is a no-op: no EXISTS first. The expiry is
 * formatted once here: a Lua number argument would be formatted twice, by Redis with %.17g.
 */
export const MOVE_EXPIRY = `
local exs = string.format('%d', ex)
redis.call('PEXPIREAT', KEYS[1], exs)
redis.call('PEXPIREAT', KEYS[3], exs)
redis.call('ZADD', KEYS[2], exs, ARGV[1])
`;

/**
 * Stores a whole record (a Lua expression) with expiry `ex` and its index entry. The index entry first:
 * Redis refuses a script under maxmemory (noeviction) at its first write that may grow memory and lets
 * later ones through, so a record is never written without its index entry. A record whose expiry is not
 * after the epoch (a createdAt before 1970 under a lifetime cap) has already expired: it is removed, as
 * Redis would remove it, rather than written (SET refuses such an expiry).
 */
export const storeRecord = (record: string, fresh = 'false'): string => `
if ex <= 0 then
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  local exs = string.format('%d', ex)
  redis.call('ZADD', KEYS[2], exs, ARGV[1])
  redis.call('SET', KEYS[1], ${record}, 'PXAT', exs)
  -- The items take the record's expiry. A new session starts with none: items and operation ids that
  -- outlived an evicted record are dropped.
  if ${fresh} then redis.call('DEL', KEYS[3], KEYS[4]) else redis.call('PEXPIREAT', KEYS[3], exs) end
end
`;

/**
 * Writes a new or replaced session (set, and getOrCreate when it creates): the tag and the header fields
 * before messageCount (version, TTL, createdAt, updatedAt, lastActivity, expiresAt at `ex`, encoded size)
 * formatted here, then ARGV[7], which Node formatted (messageCount, the header's newline, the data).
 * Returns those fields as one string (layout.ts WRITTEN_LENGTH), also the outcome an operation id records.
 */
export const writeNewAndReturn = (version: string, ttl: string, createdAt: string, size: string): string => `
local head = string.format('${TAG}${fieldFormats(fieldIndex('messageCount'))}', ${version}, ${ttl}, ${createdAt}, now, now, ex, ${size})
${recordOutcome('head')}${storeRecord('head .. ARGV[7]', `${version} == 1`)}return head
`;

/**
 * Slides the session whose record was just read into the local `s`, at `now` (`maxLifetime` the Lua
 * expression of the lifetime cap in ms or ''), and returns { s, the characters written }: lastActivity
 * and expiresAt rewritten in place (SETRANGE), the key's expiry and the index entry moved. Node puts the
 * two together (record.ts decodeTouched), so no second copy of the record is built here. The header is
 * checked first. It ends with `return`, so it closes the block it is spliced into.
 */
export const slideAndReturn = (maxLifetime: string): string => `${checkHeader('s')}${expiry(
  fieldNumber('s', 'ttl'),
  fieldNumber('s', 'createdAt'),
  maxLifetime,
)}
local slid = string.format('${fieldFormats(2)}', now, ex)
redis.call('SETRANGE', KEYS[1], '${SLID_START}', slid)
${MOVE_EXPIRY}return { s, slid }
`;
