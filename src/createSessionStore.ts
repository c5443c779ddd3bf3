// createSessionStore: Redis when a URL (or a client, Cluster or Sentinel) is configured, else in-memory.
// Falling back to memory when Redis cannot be reached is opt-in and logged, never silent: instances that
// quietly keep separate state are a bug.
import { SessionStoreUnavailableError } from './errors/errors.js';
import { InMemorySessionStore, type InMemorySessionStoreOptions } from './memory/InMemorySessionStore.js';
import { RedisSessionStore } from './redis/RedisSessionStore.js';
import type { SessionStore, SessionStoreOptions } from './store/SessionStore.js';

export interface CreateSessionStoreConfig extends SessionStoreOptions {
  /** Redis connection and options. Its `url` wins over the top-level `url` and over `REDIS_URL`. */
  redis?: Omit<RedisSessionStore.Options, keyof SessionStoreOptions>;
  /** Shorthand for `redis.url`. */
  url?: string;
  /** In-memory store options, used when no Redis is configured (or on fallback). */
  memory?: Omit<InMemorySessionStoreOptions, keyof SessionStoreOptions>;
  /**
   * When Redis is configured but does not answer a PING at creation, use an in-memory store instead
   * (with a warning through `logger`) rather than reject. Each instance then keeps its own sessions, so
   * leave this off wherever several instances serve one conversation. Default false.
   */
  fallbackToMemory?: boolean;
  /** Where `REDIS_URL` is read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * A ready SessionStore. Redis is used when `redis.url`, `url`, `REDIS_URL`, or a `redis.client`,
 * `redis.cluster` or `redis.sentinel` is given, after one PING proves it reachable; an unreachable Redis
 * rejects with SessionStoreUnavailableError unless `fallbackToMemory` is true.
 */
export async function createSessionStore(config: CreateSessionStoreConfig = {}): Promise<SessionStore> {
  const { redis, url, memory, fallbackToMemory = false, env = process.env, ...common } = config;
  const redisUrl = redis?.url ?? url ?? (env.REDIS_URL === '' ? undefined : env.REDIS_URL);
  const hasConnection =
    redisUrl !== undefined ||
    redis?.client !== undefined ||
    redis?.cluster !== undefined ||
    redis?.sentinel !== undefined;
  if (!hasConnection) return new InMemorySessionStore({ ...common, ...memory });

  const connection = redis?.client ?? redis?.cluster ?? redis?.sentinel;
  const store = new RedisSessionStore({
    ...common,
    ...redis,
    ...(connection === undefined ? { url: redisUrl } : {}),
  });
  if (await store.ping()) return store;
  await store.close();
  if (fallbackToMemory) {
    common.logger?.warn(
      'Redis did not answer at startup; falling back to an in-memory session store (fallbackToMemory)',
      { storeType: 'memory' },
    );
    return new InMemorySessionStore({ ...common, ...memory });
  }
  throw new SessionStoreUnavailableError(
    'Redis did not answer PING when creating the session store. Check the URL and that Redis is up, or ' +
      'pass fallbackToMemory: true to run on an in-memory store instead.',
  );
}
