// Key layout of RedisSessionStore. Every key carries a hash tag of our own bucket number, so a session
// and its index shard share one Cluster slot while sessions spread over BUCKETS slots; the user's id comes
// after the tag, so braces, colons or `*` in an id can neither move a key to another slot nor match a
// pattern.

/**
 * Index shards (and hash-tag buckets). 64 spreads sessions over 64 slots — about 21 per master on a
 * 3-master Cluster, so no node holds a hot index alone — while the whole-store operations (countActive,
 * listActive, cleanupExpired) stay at 64 cheap sorted-set calls inside one script on standalone Redis.
 * Changing it moves every key: it is part of the stored format.
 */
export const BUCKETS = 64;

/** FNV-1a (32-bit) over the UTF-8 bytes of `id`, modulo BUCKETS: stable across processes and versions. */
export function bucketOf(id: string): number {
  let hash = 0x811c9dc5;
  // ASCII ids (the common case) are their own UTF-8 bytes: no Buffer per call.
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code >= 0x80) return bucketOfBytes(id);
    hash ^= code;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % BUCKETS;
}

function bucketOfBytes(id: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % BUCKETS;
}

/** `<prefix>{b<N>}:s:<id>`: the string holding one session's record (src/redis/record.ts). */
export function sessionKey(prefix: string, id: string, bucket = bucketOf(id)): string {
  return `${sessionKeyPrefix(prefix, bucket)}${id}`;
}

/** What every session key of bucket N starts with: `<prefix>{b<N>}:s:`. */
function sessionKeyPrefix(prefix: string, bucket: number): string {
  return `${prefix}{b${bucket}}:s:`;
}

/** `sessionKeyPrefix` of every bucket, by bucket: a session key is `prefixes[bucket] + id`. */
export function sessionKeyPrefixes(prefix: string): string[] {
  return Array.from({ length: BUCKETS }, (_, bucket) => sessionKeyPrefix(prefix, bucket));
}

/** `<prefix>{b<N>}:idx`: the sorted set of that bucket's session ids, scored by expiry in epoch ms. */
export function indexKey(prefix: string, bucket: number): string {
  return `${prefix}{b${bucket}}:idx`;
}

/**
 * `<prefix>{b<N>}:op:<opId>`: the short-lived record that one write call (operation id `opId`) on a
 * session of bucket N has run, so that a second send of the same call is not applied again.
 */
export function opKey(prefix: string, bucket: number, opId: string): string {
  return `${prefix}{b${bucket}}:op:${opId}`;
}

/** Every index shard, in the order listActive pages through them. */
export function allIndexKeys(prefix: string): string[] {
  return Array.from({ length: BUCKETS }, (_, bucket) => indexKey(prefix, bucket));
}

/** CRC16/XMODEM, the checksum Redis Cluster maps keys to slots with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** The Cluster slot of a bucket's keys: the slot of its hash tag `b<N>` (16384 slots). */
export function bucketSlot(bucket: number): number {
  return crc16(Buffer.from(`b${bucket}`, 'utf8')) % 16384;
}
