// RedisSessionStore's options: what each means, its default, and the one place they are checked. A bad
// option throws SessionValidationError whose `field` names it, before any connection is opened.
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { SessionValidationError } from '../errors/errors.js';
import { SESSION_STORE_OPTION_NAMES } from '../store/options.js';
import type { SessionStoreOptions } from '../store/SessionStore.js';
import { rejectUnknownOptions } from '../store/validation.js';
import type { RedisClient } from './connection.js';
import { type Durability, type DurabilityOptions, resolveDurability } from './durability.js';

/** Where to connect: give exactly one of `url`, `client`, `cluster` or `sentinel`. */
export interface RedisStoreOptions extends SessionStoreOptions {
  /**
   * `redis://` or `rediss://` (TLS) URL, with user, password and database number if needed. Not read from
   * `REDIS_URL` here: createSessionStore() does that.
   * @default undefined
   */
  url?: string;
  /**
   * An ioredis `Redis` or `Cluster` you created. It stays yours: the store sends its scripts on it as
   * commands of their own (outside any auto-pipeline), never changes its settings, never closes it when
   * it answers nothing (it logs a warning), and `close()` does not quit it.
   * @default undefined
   */
  client?: RedisClient;
  /**
   * A Redis Cluster: seed nodes and ioredis Cluster options (merged over the store's settings).
   * @default undefined
   */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /**
   * A Sentinel-managed primary: `sentinels` and the primary group `name`, plus any ioredis options
   * (e.g. `password`, `sentinelPassword`, `tls`), merged over the store's settings.
   * @default undefined
   */
  sentinel?: RedisOptions & { sentinels: Array<{ host: string; port: number }>; name: string };
  /**
   * Extra ioredis options for a `url` connection (TLS, ACL user, …), merged over the store's settings.
   * @default {}
   */
  redisOptions?: RedisOptions;
  /**
   * Prefix of every key. Must not contain `{` or `}`: the store owns the hash tags that keep a session and
   * its index shard in one Cluster slot.
   * @default 'session:'
   */
  keyPrefix?: string;
  /**
   * Upper bound on one call, in milliseconds, waiting for a connection included; past it the call
   * rejects with SessionStoreUnavailableError (the outcome of a write is then unknown). Applies to clients
   * you pass in too. Also how long a PING sent after such a timeout may take before the connection is
   * taken for dead and replaced (docs/operations.md, "A lost route"). Must be positive.
   * @default 2000
   */
  commandTimeoutMs?: number;
  /**
   * Time allowed to open one TCP/TLS connection, in milliseconds, and then again for its handshake (ready
   * check, AUTH, SELECT) to be answered; a connection past either is dropped and opened anew. Only for
   * connections the store creates; must be positive.
   * @default 2000
   */
  connectTimeoutMs?: number;
  /**
   * Longest wait between reconnect attempts, in milliseconds (the backoff doubles from 100 ms up to it).
   * Only for connections the store creates; must be positive.
   * @default 1000
   */
  maxReconnectDelayMs?: number;
  /**
   * Durable writes: a write (set, getOrCreate when it creates, update, incrementCounter, touch, delete,
   * and the history writes) resolves only once `replicas` replicas acknowledged it, checked with `WAIT`
   * in the same round trip as the write; otherwise it rejects with SessionNotDurableError after
   * `timeoutMs` (default 1000, must be below `commandTimeoutMs`). The write is then applied on the master
   * but not confirmed. Reads never wait. `WAIT` is not consensus: see docs/operations.md, "Durable writes".
   * @default undefined (writes resolve once the master applied them)
   */
  durability?: DurabilityOptions;
}

/** The defaults of the options that have one. */
export const REDIS_STORE_DEFAULTS = {
  keyPrefix: 'session:',
  commandTimeoutMs: 2000,
  connectTimeoutMs: 2000,
  maxReconnectDelayMs: 1000,
} as const;

/** The one connection the options ask for. */
export type ConnectionTarget =
  | {
      mode: 'client';
      client: RedisClient;
      /** The store made this client (a duplicate of yours, for durable writes) and so closes it. */
      owned?: boolean;
    }
  | { mode: 'url'; url: string; redisOptions: RedisOptions | undefined }
  | { mode: 'cluster'; nodes: ClusterNode[]; options: ClusterOptions | undefined }
  | { mode: 'sentinel'; sentinel: NonNullable<RedisStoreOptions['sentinel']> };

/** Options after validation, every default applied. */
export interface ResolvedRedisStoreOptions {
  target: ConnectionTarget;
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  maxReconnectDelayMs: number;
  durability: Durability | undefined;
}

function fail(option: string, message: string): never {
  throw new SessionValidationError(`Invalid RedisSessionStore option ${option}: ${message}`, {
    field: option,
  });
}

function positiveMs(value: unknown, option: keyof typeof REDIS_STORE_DEFAULTS): number {
  if (value === undefined) return REDIS_STORE_DEFAULTS[option] as number;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(option, 'expected a positive number of milliseconds');
  }
  return value;
}

/** An ioredis Redis or Cluster, or one from another copy of ioredis (it has defineCommand). */
function isClient(value: unknown): value is RedisClient {
  if (value instanceof Redis || value instanceof Cluster) return true;
  return typeof (value as { defineCommand?: unknown } | null)?.defineCommand === 'function';
}

/** The Redis options by name; a Record over the interface's keys, so none can be missed. */
const REDIS_OPTIONS: Record<Exclude<keyof RedisStoreOptions, keyof SessionStoreOptions>, true> = {
  url: true,
  client: true,
  cluster: true,
  sentinel: true,
  redisOptions: true,
  keyPrefix: true,
  commandTimeoutMs: true,
  connectTimeoutMs: true,
  maxReconnectDelayMs: true,
  durability: true,
};

/** Every option RedisSessionStore accepts. */
const KNOWN_OPTIONS = [...SESSION_STORE_OPTION_NAMES, ...Object.keys(REDIS_OPTIONS)];

/**
 * `options` itself, checked to be an object with no unknown option (a misspelt `durability` would
 * otherwise protect nothing) before SessionStore reads the common options from it.
 */
export function optionsObject(options: RedisStoreOptions): RedisStoreOptions {
  if (typeof options !== 'object' || options === null) {
    throw new SessionValidationError('RedisSessionStore needs an options object', { field: 'options' });
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'RedisSessionStore');
  return options;
}

/**
 * Checks the Redis options (SessionStore checks the common ones) in a fixed order, so one options object
 * always reports the same first problem.
 */
export function resolveRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  const {
    url,
    client,
    cluster,
    sentinel,
    redisOptions,
    keyPrefix = REDIS_STORE_DEFAULTS.keyPrefix,
  } = options;
  const given = [url, client, cluster, sentinel].filter((v) => v !== undefined).length;
  if (given !== 1) {
    const unsetUrl =
      given === 0 && 'url' in options
        ? '; url is undefined (this constructor does not read REDIS_URL: createSessionStore() does)'
        : '';
    fail(
      'url/client/cluster/sentinel',
      `pass exactly one of url, client, cluster or sentinel (got ${given})${unsetUrl}`,
    );
  }
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    fail('keyPrefix', 'expected a string without { or } (the store adds its own hash tags)');
  }
  const resolved = {
    keyPrefix,
    commandTimeoutMs: positiveMs(options.commandTimeoutMs, 'commandTimeoutMs'),
    connectTimeoutMs: positiveMs(options.connectTimeoutMs, 'connectTimeoutMs'),
    maxReconnectDelayMs: positiveMs(options.maxReconnectDelayMs, 'maxReconnectDelayMs'),
  };
  const durability = resolveDurability(options.durability, resolved.commandTimeoutMs);

  let target: ConnectionTarget;
  if (client !== undefined) {
    if (!isClient(client)) {
      fail('client', 'expected an ioredis Redis or Cluster instance');
    }
    target = { mode: 'client', client };
  } else if (url !== undefined) {
    if (typeof url !== 'string' || !/^rediss?:\/\//i.test(url)) {
      fail('url', 'expected a redis:// or rediss:// URL');
    }
    target = { mode: 'url', url, redisOptions };
  } else if (cluster !== undefined) {
    if (typeof cluster !== 'object' || cluster === null || !Array.isArray(cluster.nodes)) {
      fail('cluster', 'expected { nodes: [{ host, port }, …], options? }');
    }
    if (cluster.nodes.length === 0) fail('cluster', 'nodes must list at least one node');
    target = { mode: 'cluster', nodes: cluster.nodes, options: cluster.options };
  } else {
    const s = sentinel as NonNullable<RedisStoreOptions['sentinel']>;
    if (typeof s !== 'object' || s === null || !Array.isArray(s.sentinels) || typeof s.name !== 'string') {
      fail('sentinel', 'expected { sentinels: [{ host, port }, …], name }');
    }
    target = { mode: 'sentinel', sentinel: s };
  }
  return { ...resolved, durability, target };
}
