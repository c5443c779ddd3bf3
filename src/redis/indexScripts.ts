// The Lua scripts over the index of live sessions: countActive, listActive and cleanupExpired. The index is
// one sorted set per shard (keys.ts indexKeys), each session id scored by its expiry in epoch ms; the
// session scripts (scripts.ts) move an id's score whenever they move its record's expiry. These scripts
// take every shard as KEYS on standalone Redis and one shard per call on a Cluster (fanout.ts), and read
// the time from the server (TIME), so every app instance agrees on what has expired.

import { cutoff, NOW } from './lua.js';

/**
 * countActive. KEYS[1..n] index shards (all of them on standalone Redis, one per call on a Cluster).
 * ARGV[1] optional cutoff in epoch ms (default: the server's now).
 * Reply: the number of index entries whose expiry lies after the cutoff.
 */
export const COUNT_LUA = `
-- ARGV[1], optional: the cutoff (epoch ms) to count from, so that several calls can share one instant.
${cutoff('ARGV[1]')}local total = 0
for i = 1, #KEYS do
  total = total + redis.call('ZCOUNT', KEYS[i], '(' .. cutoff, '+inf')
end
return total
`;

/**
 * listActive. KEYS[1..n] index shards in list order. ARGV[1] offset, ARGV[2] limit, ARGV[3] optional
 * cutoff in epoch ms (default: the server's now).
 * Reply: up to `limit` ids, after skipping `offset`, shard by shard in KEYS order and by expiry then id
 * inside a shard. An empty reply when offset passes the end.
 */
export const LIST_LUA = `
-- ARGV[3], optional: the cutoff (epoch ms), shared with the count round of a Cluster listActive.
${cutoff('ARGV[3]')}local after = '(' .. cutoff
local skip = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS do
  if want <= 0 then break end
  local n = redis.call('ZCOUNT', KEYS[i], after, '+inf')
  if skip >= n then
    skip = skip - n
  else
    local ids = redis.call('ZRANGE', KEYS[i], after, '+inf', 'BYSCORE', 'LIMIT', skip, want)
    for _, id in ipairs(ids) do out[#out + 1] = id end
    want = want - #ids
    skip = 0
  end
end
return out
`;

/**
 * cleanupExpired. KEYS[1..n] index shards. Reply: how many index entries had expired and were removed.
 * The session records themselves are already gone: Redis expires them at the same instant (PXAT/PEXPIREAT).
 */
export const CLEANUP_LUA = `${NOW}local total = 0
for i = 1, #KEYS do
  total = total + redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('%d', now))
end
return total
`;
