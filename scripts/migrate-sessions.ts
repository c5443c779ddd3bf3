// Moves sessions written in an older format into the current RedisSessionStore format (docs/migration.md).
//
//   --from 0.1.0   RedisSessionStore 0.1.0 kept each session as a Redis hash at the same key the current
//                  store uses (`<prefix>{b<N>}:s:<id>`); 0.2.0 keeps one string record there and reads an old
//                  hash as SessionDecodeError. The ids come from the store's own index (listActive), so
//                  nothing scans the keyspace.
//   --from python  The Python service kept each session as JSON text at `agent:session:<id>` (snake_case
//                  fields, naive UTC timestamps, a TTL on the key); its keyspace has no index, so the keys
//                  are found with SCAN on the source server (a one-off migration, not a request path).
//
// Both read records with ioredis and decode them with the public SessionCodec, then write with the public
// `store.set`, which keeps `createdAt` and assigns fresh `updatedAt`, `lastActivity`, `expiresAt` and
// `version` (1). Run it while no 0.1.0 or Python instance writes sessions: a write landing between the read
// and the `set` of one session would be overwritten.
//
//   npx tsx scripts/migrate-sessions.ts --from 0.1.0 --url redis://127.0.0.1:6379 [--key-prefix session:]
//   npx tsx scripts/migrate-sessions.ts --from python --source redis://old:6379 --url redis://new:6379 \
//       [--ttl-seconds 1800] [--match 'agent:session:*'] [--key-prefix session:]
//   add --dry-run to read and decode everything without writing.
//
// Exit code 0 when every record was migrated or skipped for a stated reason, 1 when one could not be read.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Cluster, Redis } from 'ioredis';
import {
  type JsonValue,
  RedisSessionStore,
  SessionCodec,
  type SessionData,
  type SessionStore,
} from '../src/index.js';
import { BUCKETS as REDIS_BUCKETS } from '../src/redis/keys.js';

export interface MigrationReport {
  /** Ids written in the current format (or, with dryRun, that would have been). */
  migrated: string[];
  /** Ids left alone, with the reason: already in the current format, or expired/absent. */
  skipped: { id: string; reason: string }[];
  /** Ids whose old record could not be read; nothing was written for them. */
  failed: { id: string; error: string }[];
}

const newReport = (): MigrationReport => ({ migrated: [], skipped: [], failed: [] });

/**
 * The bucket of an id in the stored key layout (docs/redis.md, "Key layout"): FNV-1a, 32 bits, over the
 * id's UTF-8 bytes, modulo the number of buckets. Unchanged since 0.1.0.
 */
export function bucketOf(id: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % REDIS_BUCKETS;
}

/** `<prefix>{b<N>}:s:<id>`: where both 0.1.0 and the current store keep session `id`. */
export function sessionKey(keyPrefix: string, id: string): string {
  return `${keyPrefix}{b${bucketOf(id)}}:s:${id}`;
}

/** Every id in the store's index, read page by page before anything is rewritten (a write reorders it). */
async function allIndexedIds(store: SessionStore): Promise<string[]> {
  const ids: string[] = [];
  const limit = 1000;
  for (let offset = 0; ; offset += limit) {
    const page = await store.listActive({ limit, offset });
    ids.push(...page);
    if (page.length < limit) return ids;
  }
}

/** Parses one JSON-text field of a 0.1.0 hash; a missing field is an error naming it. */
function jsonField(hash: Record<string, string>, field: string): JsonValue {
  const raw = hash[field];
  if (raw === undefined) throw new Error(`field "${field}" is missing`);
  return JSON.parse(raw) as JsonValue;
}

/** Epoch milliseconds in a 0.1.0 hash field, as the ISO text SessionCodec.fromPlain reads. */
function msField(hash: Record<string, string>, field: string): string {
  const raw = hash[field];
  const ms = raw === undefined ? Number.NaN : Number(raw);
  if (!Number.isSafeInteger(ms)) throw new Error(`field "${field}" is not epoch milliseconds: ${raw}`);
  return new Date(ms).toISOString();
}

/**
 * A session from the fields of a 0.1.0 hash: `uid` `tid` `rid` `mc` `esc` hold the JSON text of userId,
 * threadId, requestId, messageCount and escalated; `ca` `ua` `la` `ex` epoch ms; `v` the version;
 * `ttl` the remembered TTL in ms; each `m:<JSON of a key>` the JSON text of one metadata value. The result
 * goes through SessionCodec.fromPlain, so a corrupt record is a SessionDecodeError naming the field.
 */
export function decodeV010Hash(
  id: string,
  hash: Record<string, string>,
): { session: SessionData; ttlMs: number } {
  const metadata: Record<string, JsonValue> = {};
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('m:')) continue;
    const key = JSON.parse(field.slice(2)) as unknown;
    if (typeof key !== 'string') throw new Error(`metadata field ${field} is not a JSON string key`);
    // defineProperty: a key such as __proto__ stays plain data.
    Object.defineProperty(metadata, key, {
      value: JSON.parse(value) as JsonValue,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const session = SessionCodec.fromPlain({
    sessionId: id,
    userId: jsonField(hash, 'uid'),
    threadId: jsonField(hash, 'tid'),
    requestId: jsonField(hash, 'rid'),
    messageCount: jsonField(hash, 'mc'),
    escalated: jsonField(hash, 'esc'),
    metadata,
    createdAt: msField(hash, 'ca'),
    updatedAt: msField(hash, 'ua'),
    lastActivity: msField(hash, 'la'),
    expiresAt: msField(hash, 'ex'),
    version: Number(hash.v),
  });
  const ttlMs = Number(hash.ttl);
  if (!(ttlMs > 0)) throw new Error(`field "ttl" is not a positive number of milliseconds: ${hash.ttl}`);
  return { session, ttlMs };
}

/** What `store.set` takes from a decoded session: everything but the times and version it assigns. */
function inputOf(session: SessionData) {
  return {
    userId: session.userId,
    threadId: session.threadId,
    messageCount: session.messageCount,
    escalated: session.escalated,
    metadata: session.metadata,
    requestId: session.requestId,
    createdAt: session.createdAt,
  };
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export interface MigrateV010Options {
  /** The current store, on the Redis (and key prefix) the 0.1.0 instances used. */
  store: RedisSessionStore;
  /** A plain ioredis connection to the same Redis, for reading the old hashes. */
  redis: Redis | Cluster;
  /** The store's keyPrefix (default `session:`, as in 0.1.0). */
  keyPrefix?: string;
  dryRun?: boolean;
}

/**
 * Rewrites every 0.1.0 session hash in the current format. Each session keeps its data, `createdAt` and
 * remembered TTL; its expiry slides by that TTL from the migration (as a touch would), `version` restarts
 * at 1. Idempotent: a session already in the current format (a string key) is skipped.
 */
export async function migrateFromV010(options: MigrateV010Options): Promise<MigrationReport> {
  const { store, redis, keyPrefix = 'session:', dryRun = false } = options;
  const report = newReport();
  for (const id of await allIndexedIds(store)) {
    const key = sessionKey(keyPrefix, id);
    const type = await redis.type(key);
    if (type === 'string') {
      report.skipped.push({ id, reason: 'already in the current format' });
      continue;
    }
    if (type !== 'hash') {
      report.skipped.push({ id, reason: type === 'none' ? 'expired or deleted' : `key is a ${type}` });
      continue;
    }
    let decoded: { session: SessionData; ttlMs: number };
    try {
      decoded = decodeV010Hash(id, await redis.hgetall(key));
    } catch (error) {
      report.failed.push({ id, error: message(error) });
      continue;
    }
    if (!dryRun) await store.set(id, inputOf(decoded.session), { ttlSeconds: decoded.ttlMs / 1000 });
    report.migrated.push(id);
  }
  return report;
}

export interface MigratePythonOptions {
  /** The store to write to (any SessionStore: Redis in production, memory in a test). */
  store: SessionStore;
  /** A plain ioredis connection to the Python service's Redis. */
  source: Redis;
  /** Keys to move. Default `agent:session:*`, the Python service's layout (`agent:session:<id>`). */
  match?: string;
  /**
   * TTL each migrated session gets and remembers, in seconds: the Python service's session TTL. Default:
   * the store's `defaultTtlSeconds`.
   */
  ttlSeconds?: number;
  dryRun?: boolean;
}

/**
 * Copies every Python-service session into `store`. The Python records carry no expiry or version: a key
 * whose Redis TTL has run out is gone and is not copied; every other session gets `ttlSeconds` from the
 * migration. The source keys are left in place (delete them once the new service runs).
 */
export async function migrateFromPython(options: MigratePythonOptions): Promise<MigrationReport> {
  const { store, source, match = 'agent:session:*', ttlSeconds, dryRun = false } = options;
  const report = newReport();
  let cursor = '0';
  do {
    const [next, keys] = await source.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const text = await source.get(key).catch(() => null);
      if (text === null) {
        report.skipped.push({ id: key, reason: 'expired, deleted or not a string' });
        continue;
      }
      let session: SessionData;
      try {
        session = SessionCodec.fromJSON(text);
      } catch (error) {
        report.failed.push({ id: key, error: message(error) });
        continue;
      }
      const keyId = key.slice(match.endsWith('*') ? match.length - 1 : 0);
      if (match.endsWith('*') && keyId !== session.sessionId) {
        report.failed.push({ id: key, error: `key names ${keyId} but the record is ${session.sessionId}` });
        continue;
      }
      if (!dryRun) {
        await store.set(session.sessionId, inputOf(session), ttlSeconds === undefined ? {} : { ttlSeconds });
      }
      report.migrated.push(session.sessionId);
    }
  } while (cursor !== '0');
  return report;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      url: { type: 'string', default: process.env.REDIS_URL },
      source: { type: 'string' },
      'key-prefix': { type: 'string', default: 'session:' },
      'ttl-seconds': { type: 'string' },
      match: { type: 'string', default: 'agent:session:*' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if ((values.from !== '0.1.0' && values.from !== 'python') || !values.url) {
    console.error(
      'Usage: tsx scripts/migrate-sessions.ts --from 0.1.0|python --url redis://host:port (or REDIS_URL) ' +
        '[--source redis://python-redis] [--key-prefix session:] [--ttl-seconds N] [--dry-run]',
    );
    return 2;
  }
  const keyPrefix = values['key-prefix'];
  const dryRun = values['dry-run'];
  const store = new RedisSessionStore({ url: values.url, keyPrefix });
  const reader = new Redis(values.from === 'python' ? (values.source ?? values.url) : values.url, {
    maxRetriesPerRequest: 1,
  });
  // A refused connection rejects the command that needed it; the event itself adds nothing to report.
  reader.on('error', () => {});
  try {
    const report =
      values.from === '0.1.0'
        ? await migrateFromV010({ store, redis: reader, keyPrefix, dryRun })
        : await migrateFromPython({
            store,
            source: reader,
            match: values.match,
            ttlSeconds: values['ttl-seconds'] === undefined ? undefined : Number(values['ttl-seconds']),
            dryRun,
          });
    console.log(
      `${dryRun ? 'would migrate' : 'migrated'} ${report.migrated.length}, skipped ${report.skipped.length}, ` +
        `failed ${report.failed.length}`,
    );
    for (const { id, reason } of report.skipped) console.log(`skipped ${JSON.stringify(id)}: ${reason}`);
    for (const { id, error } of report.failed) console.error(`FAILED ${JSON.stringify(id)}: ${error}`);
    return report.failed.length === 0 ? 0 : 1;
  } finally {
    reader.disconnect();
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`Migration stopped: ${message(error)}`);
      process.exitCode = 1;
    },
  );
}
