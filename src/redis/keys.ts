// Key layout of RedisSessionStore. Every key carries a hash tag of our own bucket number, so a session
// and its index shard share one Cluster slot while sessions spread over BUCKETS slots; the user's id comes
// after the tag, so braces, colons or `*` in an id can neither move a key to another slot nor match a
// pattern.
import { randomBytes } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';

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

/**
 * `<prefix>{b<N>}:h:<id>`: the list of one session's history items (RPUSH order, oldest first). Same hash
 * tag as the session key: one slot, so one script reaches both; its expiry is always the record's.
 */
export function itemsKey(prefix: string, id: string, bucket = bucketOf(id)): string {
  return `${prefix}{b${bucket}}:h:${id}`;
}

/**
 * `<prefix>{b<N>}:o:<id>`: the hash of the operation ids a caller gave to one session's history writes,
 * each field `<expiresAt ms> <payload digest> <first length>`. Dropped with the items (clearItems, delete).
 */
export function operationIdsKey(prefix: string, id: string, bucket = bucketOf(id)): string {
  return `${prefix}{b${bucket}}:o:${id}`;
}

/** Every index shard, in the order listActive pages through them. */
export function allIndexKeys(prefix: string): string[] {
  return Array.from({ length: BUCKETS }, (_, bucket) => indexKey(prefix, bucket));
}

/** The Cluster slot of a bucket's keys: the slot of their hash tag `b<N>`, as Redis Cluster computes it. */
export function bucketSlot(bucket: number): number {
  return calculateSlot(`b${bucket}`);
}

/**
 * The keys one store uses under its prefix, built per call from strings prepared once (one per bucket),
 * and the operation ids of its writes when they carry them (see RedisConnection.mayResend).
 */
export class KeySpace {
  readonly prefix: string;
  /** Every index shard, by bucket. */
  readonly indexKeys: string[];
  /** Whether write calls carry an operation id. */
  readonly opIds: boolean;
  readonly #sessionPrefixes: string[];
  // Operation ids are this store's random prefix and a counter: unique among the stores sharing a Redis.
  readonly #opPrefix = randomBytes(9).toString('base64url');
  #opSeq = 0;

  constructor(prefix: string, opIds: boolean) {
    this.prefix = prefix;
    this.opIds = opIds;
    this.indexKeys = allIndexKeys(prefix);
    this.#sessionPrefixes = sessionKeyPrefixes(prefix);
  }

  /** The session's key and its index shard. */
  of(id: string): [string, string] {
    const bucket = bucketOf(id);
    return [(this.#sessionPrefixes[bucket] as string) + id, this.indexKeys[bucket] as string];
  }

  /** The session's key, its index shard and its items: the KEYS of get with touch, touch and getItems. */
  withItems(id: string): [string, string, string] {
    const bucket = bucketOf(id);
    return [
      (this.#sessionPrefixes[bucket] as string) + id,
      this.indexKeys[bucket] as string,
      itemsKey(this.prefix, id, bucket),
    ];
  }

  /**
   * The key count and KEYS of a write script: session, index shard, items, history operation ids and,
   * when used, a new internal operation id (KEYS[5]).
   */
  forWrite(id: string): (string | number)[] {
    const bucket = bucketOf(id);
    const keys = [...this.withItems(id), operationIdsKey(this.prefix, id, bucket)];
    if (!this.opIds) return [4, ...keys];
    this.#opSeq += 1;
    return [5, ...keys, opKey(this.prefix, bucket, `${this.#opPrefix}${this.#opSeq.toString(36)}`)];
  }
}
