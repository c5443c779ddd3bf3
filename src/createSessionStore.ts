// createSessionStore: Redis when a URL (or a client, Cluster or Sentinel) is configured, else in-memory.
// Falling back to memory when Redis cannot be reached is opt-in and logged, never silent: instances that
// quietly keep separate state are a bug.
import { isSessionStoreConfigError, SessionStoreUnavailableError } from './errors/errors.js';
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
 * rejects with SessionStoreUnavailableError unless `fallbackToMemory` is true. A Redis that refuses the
 * configuration (credentials, ACL, TLS certificate) rejects with SessionStoreConfigError, fallback or not.
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
  // A real command rather than ping(): its error explains the failure and becomes the `cause`.
  let failure: unknown;
  try {
    await store.countActive();
    return store;
  } catch (error) {
    failure = error;
  }
  await store.close();
  // Credentials, ACL or certificate refused: a configuration to fix, not a Redis to fall back from.
  if (isSessionStoreConfigError(failure)) throw failure;
  const reason = failure instanceof Error ? failure.message : String(failure);
  if (fallbackToMemory) {
    const message = `Redis did not answer at startup (${reason}); falling back to an in-memory session store (fallbackToMemory). Each instance now keeps its own sessions.`;
    // Never silent: without a logger the warning goes to the process's warning channel.
    if (common.logger === undefined) {
      process.emitWarning(message, { code: 'AGENT_SESSION_STORE_FALLBACK' });
    } else {
      common.logger.warn(message, { storeType: 'memory' });
    }
    return new InMemorySessionStore({ ...common, ...memory });
  }
  throw new SessionStoreUnavailableError(
    `Redis did not answer when creating the session store (${reason}). Check the URL and that Redis is up, or ` +
      'pass fallbackToMemory: true to run on an in-memory store instead.',
    { cause: failure },
  );
}
