// SessionStore on Redis (standalone, Cluster or Sentinel) through ioredis. Every single-session method is
// one Lua script — one command on the wire, atomic, timed by the server clock — and every call is bounded
// by a client-side deadline, so "Redis is down" surfaces as SessionStoreUnavailableError, never as a hang
// or as null.
import { createHash, randomBytes } from 'node:crypto';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { SessionData } from '../codec/SessionData.js';
import {
  isSessionStoreError,
  SessionConflictError,
  SessionDecodeError,
  SessionStoreError,
  SessionStoreUnavailableError,
  SessionValidationError,
} from '../errors/errors.js';
import { type GetOrCreateResult, SessionStore, type SessionStoreOptions } from '../store/SessionStore.js';
import type { NormalizedInput, NormalizedPatch } from '../store/validation.js';
import { allIndexKeys, BUCKETS, bucketOf, bucketSlot, opKey, sessionKeyPrefixes } from './keys.js';
import {
  completeWritten,
  decodeRecord,
  decodeTouched,
  encodeInput,
  keyText,
  WRITTEN_LENGTH,
  writtenSession,
} from './record.js';
import {
  CLEANUP_LUA,
  COUNT_LUA,
  DELETE_LUA,
  GET_LUA,
  GET_OR_CREATE_LUA,
  INCREMENT_LUA,
  LIST_LUA,
  SET_LUA,
  TOUCH_LUA,
  UPDATE_LUA,
} from './scripts.js';

// Replies that mean a Cluster slot is between masters (failover, or a node down with full coverage).
const CLUSTER_FAILOVER = /CLUSTERDOWN|Too many Cluster redirections|TRYAGAIN|Failed to refresh slots cache/i;

/** A Redis or Cluster client from ioredis. */
export type RedisClient = Redis | Cluster;

export declare namespace RedisSessionStore {
  /** Where to connect: give exactly one of `url`, `client`, `cluster` or `sentinel`. */
  interface Options extends SessionStoreOptions {
    /** `redis://` or `rediss://` (TLS) URL, with user, password and database number if needed. */
    url?: string;
    /**
     * An ioredis `Redis` or `Cluster` you created. It stays yours: the store defines its scripts on it
     * under namespaced names, never changes its settings, and `close()` does not quit it.
     */
    client?: RedisClient;
    /** A Redis Cluster: seed nodes and ioredis Cluster options (merged over the store's settings). */
    cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
    /**
     * A Sentinel-managed primary: `sentinels` and the primary group `name`, plus any ioredis options
     * (e.g. `password`, `sentinelPassword`, `tls`), merged over the store's settings.
     */
    sentinel?: RedisOptions & { sentinels: Array<{ host: string; port: number }>; name: string };
    /** Extra ioredis options for a `url` connection (TLS, ACL user, …), merged over the store's settings. */
    redisOptions?: RedisOptions;
    /** Prefix of every key; must not contain `{` or `}` (the store owns the hash tags). Default `session:`. */
    keyPrefix?: string;
    /**
     * Upper bound on one call, in milliseconds, waiting for a connection included; past it the call
     * rejects with SessionStoreUnavailableError. Applies to clients you pass in too. Default 2000.
     */
    commandTimeoutMs?: number;
    /** Time allowed to open one TCP/TLS connection, in milliseconds (connections the store creates). Default 2000. */
    connectTimeoutMs?: number;
    /** Longest wait between reconnect attempts, in milliseconds (connections the store creates). Default 1000. */
    maxReconnectDelayMs?: number;
  }
}

type Mode = 'standalone' | 'cluster' | 'sentinel';

/** A call waiting for its reply under its deadline (monotonic ms, performance.now()), linked in deadline order. */
interface Waiting {
  deadline: number;
  reject: (error: unknown) => void;
  prev: Waiting | undefined;
  next: Waiting | undefined;
  linked: boolean;
}
type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 1000;
const CLOSE_TIMEOUT_MS = 1000;

// Script names on the client. Namespaced and versioned: they must not clash with a user's own commands
// on a shared client, and a script whose arguments, reply or results change gets a new name (two copies
// of the library sharing one client then each run their own).
const SCRIPTS = {
  get: ['agentSessionStoreGetV4', GET_LUA, 2],
  // Writes take 2 keys, or 3 with an operation id (#writeKeys): the first argument is the number of keys.
  set: ['agentSessionStoreSetV4', SET_LUA, undefined],
  getOrCreate: ['agentSessionStoreGetOrCreateV4', GET_OR_CREATE_LUA, undefined],
  update: ['agentSessionStoreUpdateV4', UPDATE_LUA, undefined],
  increment: ['agentSessionStoreIncrementV4', INCREMENT_LUA, undefined],
  touch: ['agentSessionStoreTouchV3', TOUCH_LUA, 2],
  delete: ['agentSessionStoreDeleteV2', DELETE_LUA, undefined],
  // Variable key count: the first argument is the number of keys.
  count: ['agentSessionStoreCountV2', COUNT_LUA, undefined],
  list: ['agentSessionStoreListV2', LIST_LUA, undefined],
  cleanup: ['agentSessionStoreCleanupV2', CLEANUP_LUA, undefined],
} as const satisfies Record<string, readonly [string, string, number | undefined]>;

type ScriptName = keyof typeof SCRIPTS;

// SHA1 of the scripts run on individual Cluster nodes through pipelines (EVALSHA, EVAL on NOSCRIPT).
const SCRIPT_SHAS = {
  count: createHash('sha1').update(COUNT_LUA).digest('hex'),
  cleanup: createHash('sha1').update(CLEANUP_LUA).digest('hex'),
};

function fail(option: string, message: string): never {
  throw new SessionValidationError(`Invalid RedisSessionStore option ${option}: ${message}`, {
    field: option,
  });
}

function positiveMs(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(option, 'expected a positive number of milliseconds');
  }
  return value;
}

/**
 * The ioredis settings for connections the store creates; docs/redis.md explains each. The user's own
 * options are merged over them.
 */
function baseRedisOptions(connectTimeoutMs: number, maxDelayMs: number) {
  return {
    // A command sent while disconnected fails at once instead of waiting in a queue with no bound; the
    // store itself waits (bounded) for the connection to come back.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops fail at the first reconnect attempt.
    maxRetriesPerRequest: 0,
    // A command that was sent but not answered is never re-sent after a reconnect: a write whose
    // caller already saw a timeout must not be applied later behind its back.
    autoResendUnfulfilledCommands: false,
    // No ioredis commandTimeout: it would arm and clear a timer per command, and the store's own deadline
    // (one timer for all calls in flight, #bounded) already bounds every call at commandTimeoutMs.
    connectTimeout: connectTimeoutMs,
    // Keep reconnecting forever, with capped exponential backoff.
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelayMs),
    // RESP2: no Lua reply of ours needs RESP3, and RESP2 replies are the simpler ones to parse.
    protocol: 2 as const,
    // Off: measured no faster with 64 calls in flight and far costlier per call one at a time (each batch
    // builds an ioredis Pipeline); on a Cluster it would also surface MOVED during resharding (docs/redis.md).
    enableAutoPipelining: false,
  } satisfies RedisOptions;
}

export class RedisSessionStore extends SessionStore {
  readonly storeType = 'redis';
  readonly #client: RedisClient;
  readonly #owned: boolean;
  readonly #mode: Mode;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #indexKeys: string[];
  // Session keys are built per call from these (one per bucket) and the id.
  readonly #keyPrefixes: string[];
  readonly #scripts: Record<ScriptName, ScriptFn>;
  readonly #maxLifetime: string;
  /** Whether writes carry an operation id (see #writeKeys); the ids are this prefix and a counter. */
  readonly #opIds: boolean;
  readonly #opPrefix = randomBytes(9).toString('base64url');
  #opSeq = 0;
  // Calls waiting for a reply, oldest (earliest deadline) first, and the one timer over them (#bounded).
  #head: Waiting | undefined;
  #tail: Waiting | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** When #timer fires (monotonic ms). */
  #timerAt = 0;
  #timerRefed = false;
  #readyWait: Promise<void> | undefined;
  #readyListener: (() => void) | undefined;
  /** When the connection was last seen going down; undefined while it is (or may soon be) up. */
  #downSince: number | undefined;
  // The last connection error of a client we own: the `cause` of the rejections it explains.
  #lastError: Error | undefined;
  readonly #onReady = () => {
    this.#downSince = undefined;
    this.#lastError = undefined;
  };
  readonly #onDown = () => {
    this.#downSince ??= performance.now();
  };
  // ioredis emits 'error' on every failed reconnect; without a listener Node would throw it.
  readonly #onError = (error: unknown) => {
    if (error instanceof Error) this.#lastError = error;
    this.logger.debug('redis connection error', { error });
  };

  constructor(options: RedisSessionStore.Options) {
    if (typeof options !== 'object' || options === null) {
      throw new SessionValidationError('RedisSessionStore needs an options object', { field: 'options' });
    }
    super(options);
    const { url, client, cluster, sentinel, redisOptions, keyPrefix = 'session:' } = options;
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
    this.#prefix = keyPrefix;
    this.#timeoutMs = positiveMs(options.commandTimeoutMs, 'commandTimeoutMs', DEFAULT_COMMAND_TIMEOUT_MS);
    const connectMs = positiveMs(options.connectTimeoutMs, 'connectTimeoutMs', DEFAULT_CONNECT_TIMEOUT_MS);
    const maxDelay = positiveMs(
      options.maxReconnectDelayMs,
      'maxReconnectDelayMs',
      DEFAULT_MAX_RECONNECT_DELAY_MS,
    );
    const base = baseRedisOptions(connectMs, maxDelay);
    this.#maxLifetime = this.options.maxLifetimeMs === undefined ? '' : String(this.options.maxLifetimeMs);
    this.#indexKeys = allIndexKeys(keyPrefix);
    this.#keyPrefixes = sessionKeyPrefixes(keyPrefix);

    if (client !== undefined) {
      if (!(client instanceof Redis) && !(client instanceof Cluster)) {
        const looksLikeIoredis = typeof (client as { defineCommand?: unknown }).defineCommand === 'function';
        if (!looksLikeIoredis) fail('client', 'expected an ioredis Redis or Cluster instance');
      }
      this.#client = client;
      this.#owned = false;
      this.#mode = (client as { isCluster?: boolean }).isCluster === true ? 'cluster' : 'standalone';
    } else if (url !== undefined) {
      if (typeof url !== 'string' || !/^rediss?:\/\//i.test(url)) {
        fail('url', 'expected a redis:// or rediss:// URL');
      }
      this.#client = new Redis(url, { ...base, ...redisOptions });
      this.#owned = true;
      this.#mode = 'standalone';
    } else if (cluster !== undefined) {
      if (typeof cluster !== 'object' || cluster === null || !Array.isArray(cluster.nodes)) {
        fail('cluster', 'expected { nodes: [{ host, port }, …], options? }');
      }
      if (cluster.nodes.length === 0) fail('cluster', 'nodes must list at least one node');
      const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...perNode } = base;
      const userOptions = cluster.options ?? {};
      this.#client = new Cluster(cluster.nodes, {
        enableOfflineQueue,
        // No autopipelining: batched script writes surface MOVED errors during resharding.
        enableAutoPipelining,
        clusterRetryStrategy: retryStrategy,
        retryDelayOnClusterDown: 100,
        // ioredis rejects a node's queued commands with one "Connection is closed" error whether or not
        // they were written, and re-sends them after this delay. At 0 nothing is re-sent, but ordinary
        // connection churn (slot refreshes, failover) then fails commands that never reached Redis. We
        // keep the retry: a command in flight when its node connection drops may then be sent twice,
        // and the operation ids of the writes (#opIds) make the second send a no-op.
        retryDelayOnFailover: 100,
        ...userOptions,
        redisOptions: { ...perNode, ...userOptions.redisOptions },
      });
      this.#owned = true;
      this.#mode = 'cluster';
    } else {
      const s = sentinel as NonNullable<RedisSessionStore.Options['sentinel']>;
      if (typeof s !== 'object' || s === null || !Array.isArray(s.sentinels) || typeof s.name !== 'string') {
        fail('sentinel', 'expected { sentinels: [{ host, port }, …], name }');
      }
      this.#client = new Redis({ ...base, ...s });
      this.#owned = true;
      this.#mode = 'sentinel';
    }

    const target = this.#client as unknown as Record<string, ScriptFn>;
    const scripts = {} as Record<ScriptName, ScriptFn>;
    for (const op of Object.keys(SCRIPTS) as ScriptName[]) {
      const [name, lua, numberOfKeys] = SCRIPTS[op];
      if (typeof target[name] !== 'function') {
        this.#client.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
      }
      const fn = target[name] as ScriptFn;
      scripts[op] = (...args) => fn.apply(this.#client, args);
    }
    this.#scripts = scripts;
    // A connection drop can make ioredis send a write twice: a Cluster re-sends the commands queued on a
    // node whose connection closed (written or not), and a client with autoResendUnfulfilledCommands (the
    // ioredis default) re-sends unanswered commands after a reconnect. Then each write carries an
    // operation id, and a second send of it is not applied again (docs/redis.md). Connections the store
    // creates on standalone Redis and Sentinel never re-send, and skip that cost.
    const clientOptions = (this.#client as { options?: RedisOptions }).options;
    this.#opIds =
      this.#mode === 'cluster' || (!this.#owned && clientOptions?.autoResendUnfulfilledCommands !== false);
    this.#client.on('ready', this.#onReady);
    this.#client.on('close', this.#onDown);
    this.#client.on('end', this.#onDown);
    if (this.#owned) this.#client.on('error', this.#onError);
  }

  /** The ioredis client the store talks through (yours when you passed one). */
  get client(): RedisClient {
    return this.#client;
  }

  // ---- plumbing ----

  /** Resolves once the client is ready, or rejects when it will not be before `deadline`. */
  async #whenReady(deadline: number): Promise<void> {
    const client = this.#client;
    if (client.status === 'ready') return;
    if (client.status === 'end') throw this.#unavailable('the connection is closed');
    // Down for longer than one call may take: fail now rather than make every caller wait out the deadline.
    if (this.#downSince !== undefined && performance.now() - this.#downSince > this.#timeoutMs) {
      throw this.#connectionFailure(`the connection is down (status ${client.status})`);
    }
    if (client.status === 'wait') client.connect().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#nextReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                this.#connectionFailure(
                  `no connection within ${this.#timeoutMs} ms (status ${client.status})`,
                ),
              ),
            Math.max(0, deadline - performance.now()),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One shared promise for the next 'ready' event, however many calls wait on it. */
  #nextReady(): Promise<void> {
    this.#readyWait ??= new Promise<void>((resolve) => {
      this.#readyListener = () => {
        this.#readyWait = undefined;
        this.#readyListener = undefined;
        resolve();
      };
      this.#client.once('ready', this.#readyListener);
    });
    return this.#readyWait;
  }

  /** A failure to connect, explained by the client's last connection error when there is one. */
  #connectionFailure(reason: string): SessionStoreUnavailableError {
    const last = this.#lastError;
    const detail = last === undefined ? '' : ` (last error: ${last.message})`;
    const hint =
      last !== undefined && /WRONGPASS|NOAUTH|NOPERM|invalid (username|password)/i.test(last.message)
        ? 'Check the username and password (in the URL or redisOptions) and the ACL rules'
        : 'Check that Redis is running and reachable at the configured address';
    return this.#unavailable(`${reason}${detail}`, last, hint);
  }

  /** `hint` says what the user can do about it, when there is something specific to say. */
  #unavailable(reason: string, cause?: unknown, hint?: string): SessionStoreUnavailableError {
    return new SessionStoreUnavailableError(`Redis is unavailable: ${reason}${hint ? `. ${hint}` : ''}`, {
      cause,
    });
  }

  /**
   * Runs one Redis call under the store's deadline and maps every failure: Redis and ioredis errors become
   * SessionStoreUnavailableError, our own SESS* replies the typed errors, WRONGTYPE a SessionDecodeError.
   */
  #run<T>(
    id: string | undefined,
    call: () => Promise<T>,
    replyError?: (message: string) => Error | undefined,
  ): Promise<T> {
    const deadline = performance.now() + this.#timeoutMs;
    // Never throws: a replyError that throws (assertSize does) gives the error it threw.
    const mapError = (error: unknown): unknown => {
      const message = error instanceof Error ? error.message : '';
      try {
        return (message.startsWith('SESS') ? replyError?.(message) : undefined) ?? this.#mapError(id, error);
      } catch (thrown) {
        return thrown;
      }
    };
    if (this.#client.status !== 'ready') {
      return this.#whenReady(deadline).then(
        () => this.#send(call, deadline, mapError),
        (error: unknown) => Promise.reject(mapError(error)),
      );
    }
    // The common case without an async frame of its own: one promise between the caller and ioredis.
    return this.#send(call, deadline, mapError);
  }

  #send<T>(call: () => Promise<T>, deadline: number, mapError: (error: unknown) => unknown): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      return Promise.reject(mapError(error));
    }
    return this.#bounded(pending, deadline, mapError);
  }

  /**
   * `pending`, or a timeout rejection at `deadline`, whichever comes first. Calls wait in one list in
   * deadline order (every call gets the same timeout, so arrival order is nearly always deadline order) under one shared
   * timer for the earliest deadline: no timer per call, and still each call rejects at its own deadline.
   * A rejection of `pending` goes through `mapError` on its way to the caller.
   */
  #bounded<T>(pending: Promise<T>, deadline: number, mapError: (error: unknown) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = { deadline, reject, prev: undefined, next: undefined, linked: true };
      // Nearly always the latest deadline, appended; a call that first waited for the connection carries
      // an earlier one and goes in its place.
      let before = this.#tail;
      while (before !== undefined && before.deadline > deadline) before = before.prev;
      entry.prev = before;
      entry.next = before === undefined ? this.#head : before.next;
      if (before === undefined) this.#head = entry;
      else before.next = entry;
      if (entry.next === undefined) this.#tail = entry;
      else entry.next.prev = entry;
      if (this.#timer === undefined || deadline < this.#timerAt) {
        clearTimeout(this.#timer);
        this.#armTimer(deadline);
      } else if (!this.#timerRefed) {
        // A pending call keeps the process alive, as its own timer would.
        this.#timer.ref();
        this.#timerRefed = true;
      }
      // A late reply or rejection after the deadline finds the promise settled and nobody waiting.
      pending.then(
        (value) => {
          this.#unlink(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#unlink(entry);
          reject(mapError(error));
        },
      );
    });
  }

  #unlink(entry: Waiting): void {
    if (!entry.linked) return;
    entry.linked = false;
    if (entry.prev === undefined) this.#head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.#tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
    // Nothing waits: the timer may stay armed (cheaper than clearing and re-creating it per call) but must
    // not keep the process alive on its own.
    if (this.#head === undefined && this.#timer !== undefined && this.#timerRefed) {
      this.#timer.unref();
      this.#timerRefed = false;
    }
  }

  /** Arms the shared timer for `at` (monotonic ms, performance.now()). */
  #armTimer(at: number): void {
    // Timers may fire up to a millisecond early; #onDeadline then finds nothing due and re-arms.
    this.#timer = setTimeout(this.#onDeadline, Math.max(1, at - performance.now()));
    this.#timerAt = at;
    this.#timerRefed = true;
  }

  readonly #onDeadline = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head !== undefined && this.#head.deadline <= now) {
      const entry = this.#head;
      this.#unlink(entry);
      entry.reject(
        this.#unavailable(
          `no reply within ${this.#timeoutMs} ms`,
          undefined,
          'Raise commandTimeoutMs if the server is just slow; the outcome of a write is unknown',
        ),
      );
    }
    if (this.#head !== undefined) this.#armTimer(this.#head.deadline);
  };

  #mapError(id: string | undefined, error: unknown): unknown {
    if (isSessionStoreError(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    const label = JSON.stringify((id ?? '').slice(0, 64));
    const decode = /SESSDECODE (\S+)/.exec(message);
    if (decode) {
      const field = decode[1] as string;
      const problem =
        field === '(record)'
          ? 'the record does not start with a well-formed header (format A1)'
          : `field "${field}" is malformed`;
      return new SessionDecodeError(`Cannot decode session ${label} from Redis: ${problem}`, {
        field,
        cause: error,
      });
    }
    if (message.startsWith('WRONGTYPE')) {
      return new SessionDecodeError(`Cannot decode session ${label} from Redis: the key holds another type`, {
        field: '(record)',
        cause: error,
      });
    }
    if (/max retries per request/i.test(message)) {
      // We set maxRetriesPerRequest to 0 on purpose (no re-sends): this means the connection dropped.
      return this.#unavailable(
        'the connection was lost while the command was in flight; its outcome is unknown',
        error,
      );
    }
    if (CLUSTER_FAILOVER.test(message)) {
      return this.#unavailable(
        message,
        error,
        'A Redis Cluster slot has no reachable master, usually while a failover runs; it resumes once a replica is promoted (see cluster-node-timeout)',
      );
    }
    return this.#unavailable(message, error);
  }

  #keys(id: string): [string, string] {
    const bucket = bucketOf(id);
    return [(this.#keyPrefixes[bucket] as string) + id, this.#indexKeys[bucket] as string];
  }

  /** The key count and KEYS of a write script: session, index shard and, when used, a new operation id. */
  #writeKeys(id: string): (string | number)[] {
    const [key, index] = this.#keys(id);
    if (!this.#opIds) return [2, key, index];
    this.#opSeq += 1;
    return [3, key, index, opKey(this.#prefix, bucketOf(id), `${this.#opPrefix}${this.#opSeq.toString(36)}`)];
  }

  /** KEYS and the leading ARGV that set and getOrCreate share: id, TTL, default TTL, cap, createdAt. */
  #writeArgs(id: string, input: NormalizedInput, ttlMs: number | undefined): (string | number)[] {
    return [
      ...this.#writeKeys(id),
      id,
      ttlMs ?? '',
      this.options.defaultTtlMs,
      this.#maxLifetime,
      input.createdAt?.getTime() ?? '',
    ];
  }

  // ---- storage hooks ----

  protected async doGet(id: string, touch: boolean): Promise<SessionData | null> {
    const [key, index] = this.#keys(id);
    // Without touch a read changes nothing: a plain GET of the record, no script.
    if (touch) {
      const reply = await this.#run(id, () => this.#scripts.get(key, index, id, this.#maxLifetime));
      return reply === 0 ? null : decodeTouched(id, reply);
    }
    const reply = await this.#run(id, () => this.#client.get(key));
    return reply === null ? null : decodeRecord(id, reply);
  }

  protected async doSet(id: string, input: NormalizedInput, ttlMs: number | undefined): Promise<SessionData> {
    const { rest, size } = encodeInput(id, input);
    this.assertSize(size, id);
    const pending = this.#run(id, () => this.#scripts.set(...this.#writeArgs(id, input, ttlMs), size, rest));
    // Built while Redis works: only the reply's times and version are left for after it.
    let session: SessionData;
    try {
      session = writtenSession(id, input);
    } catch (error) {
      // The copy reads the caller's metadata once more (a getter may throw): the command's own outcome
      // must not then become an unhandled rejection.
      pending.catch(() => {});
      throw error;
    }
    return completeWritten(id, session, await pending);
  }

  protected async doGetOrCreate(
    id: string,
    input: NormalizedInput,
    ttlMs: number | undefined,
  ): Promise<GetOrCreateResult> {
    const { rest, size } = encodeInput(id, input);
    if (size > this.options.maxSessionBytes) {
      // An init too big to store only matters if it would create the session: an existing one is
      // returned as it is (one read, still one command), an absent one is refused.
      const existing = await this.doGet(id, this.options.touchOnGet);
      if (existing !== null) return { session: existing, created: false };
      this.assertSize(size, id);
    }
    const reply = await this.#run(id, () =>
      this.#scripts.getOrCreate(
        ...this.#writeArgs(id, input, ttlMs),
        size,
        rest,
        this.options.touchOnGet ? '1' : '0',
      ),
    );
    if (typeof reply === 'string' && reply.length === WRITTEN_LENGTH) {
      return { session: completeWritten(id, writtenSession(id, input), reply), created: true };
    }
    // An existing session: touched (the record and the fields the slide wrote) or as stored.
    const session = Array.isArray(reply) ? decodeTouched(id, reply) : decodeRecord(id, reply);
    return { session, created: false };
  }

  protected async doUpdate(
    id: string,
    patch: NormalizedPatch,
    expectedVersion: number | undefined,
  ): Promise<SessionData | null> {
    const metaKeys = Object.keys(patch.metadata);
    const args: (string | number)[] = [
      id,
      expectedVersion ?? '',
      this.options.maxSessionBytes,
      this.#maxLifetime,
      patch.userId === undefined ? '' : JSON.stringify(patch.userId),
      patch.threadId === undefined ? '' : JSON.stringify(patch.threadId),
      patch.requestId === undefined ? '' : JSON.stringify(patch.requestId),
      patch.escalated === undefined ? '' : String(patch.escalated),
      patch.messageCount ?? '',
      metaKeys.length,
    ];
    for (const key of metaKeys) {
      args.push(keyText(key), JSON.stringify(patch.metadata[key]));
    }
    args.push(patch.removeKeys.length);
    for (const key of patch.removeKeys) args.push(keyText(key));
    const reply = await this.#run(
      id,
      () => this.#scripts.update(...this.#writeKeys(id), ...args),
      (message) => {
        const conflict = /^SESSCONFLICT (\d+)/.exec(message);
        if (conflict) return new SessionConflictError(id, expectedVersion ?? -1, Number(conflict[1]));
        const size = /^SESSSIZE (\d+)/.exec(message);
        if (size) this.assertSize(Number(size[1]), id);
        return undefined;
      },
    );
    return reply === 0 ? null : decodeRecord(id, reply);
  }

  protected async doIncrementCounter(id: string, field: string, delta: number): Promise<number | null> {
    const isCount = field === 'messageCount';
    const label = isCount ? 'messageCount' : `metadata[${JSON.stringify(field)}]`;
    const reply = await this.#run(
      id,
      () =>
        this.#scripts.increment(
          ...this.#writeKeys(id),
          id,
          isCount ? '' : keyText(field),
          delta,
          this.#maxLifetime,
          this.options.maxSessionBytes,
        ),
      (message) => {
        const size = /^SESSSIZE (\d+)/.exec(message);
        if (size) this.assertSize(Number(size[1]), id);
        if (message.startsWith('SESSNOTINT')) {
          return new SessionValidationError(`Cannot increment ${label}: it does not hold a safe integer`, {
            field: label,
          });
        }
        const range = /^SESSRANGE (\S+)/.exec(message);
        if (range) {
          return new SessionValidationError(
            `Cannot increment ${label} by ${delta}: the result ${range[1]} is out of range`,
            { field: label },
          );
        }
        return undefined;
      },
    );
    if (reply === 0) return null;
    const value = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    if (!Number.isSafeInteger(value)) throw new SessionDecodeError(`Unexpected counter reply from Redis`);
    return value;
  }

  protected async doTouch(id: string, ttlMs: number | undefined): Promise<boolean> {
    const reply = await this.#run(id, () =>
      this.#scripts.touch(...this.#keys(id), id, ttlMs ?? '', this.#maxLifetime),
    );
    return reply === 1;
  }

  protected async doDelete(id: string): Promise<boolean> {
    const reply = await this.#run(id, () => this.#scripts.delete(...this.#writeKeys(id), id));
    return reply === 1;
  }

  protected async doExists(id: string): Promise<boolean> {
    const [key] = this.#keys(id);
    return (await this.#run(id, () => this.#client.exists(key))) === 1;
  }

  protected async doListActive(limit: number, offset: number): Promise<string[]> {
    if (this.#mode !== 'cluster') {
      const ids = await this.#run(undefined, () =>
        this.#scripts.list(BUCKETS, ...this.#indexKeys, offset, limit),
      );
      return this.#strings(ids);
    }
    // A Cluster script may only touch one slot: count every shard, then read only the shards the page
    // falls in. Both rounds run the shards in parallel, under one deadline, and count from one instant
    // of the server clock, so that a session expiring between the rounds cannot shift the page.
    return this.#run(undefined, async () => {
      const [seconds, micros] = await (this.#client as Cluster).time();
      const cutoff = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const counts = await this.#shardIntegers('count', cutoff);
      const reads: Promise<string[]>[] = [];
      let skip = offset;
      let want = limit;
      for (const [bucket, count] of counts.entries()) {
        if (want <= 0) break;
        if (skip >= count) {
          skip -= count;
          continue;
        }
        const take = Math.min(want, count - skip);
        const key = this.#indexKeys[bucket] as string;
        reads.push(this.#scripts.list(1, key, skip, take, cutoff).then((r) => this.#strings(r)));
        want -= take;
        skip = 0;
      }
      return (await Promise.all(reads)).flat().slice(0, limit);
    });
  }

  protected doCountActive(): Promise<number> {
    return this.#indexTotal('count');
  }

  protected doCleanupExpired(): Promise<number> {
    return this.#indexTotal('cleanup');
  }

  /** The sum of an index script over every shard: one script call on standalone Redis, one per shard on a Cluster. */
  async #indexTotal(op: 'count' | 'cleanup'): Promise<number> {
    if (this.#mode !== 'cluster') {
      return this.#integer(await this.#run(undefined, () => this.#scripts[op](BUCKETS, ...this.#indexKeys)));
    }
    const perShard = await this.#run(undefined, () => this.#shardIntegers(op));
    return perShard.reduce((a, b) => a + b, 0);
  }

  /**
   * Runs a single-key index script (count or cleanup) on every shard of a Cluster and returns one
   * integer per shard, in shard order. Shards are grouped by the master that owns their slot and sent as
   * one pipeline per master: one round trip per master. When the slot map is not known yet, or a node
   * answers with a redirection (resharding), the shards concerned go through the Cluster client one by one.
   */
  async #shardIntegers(op: 'count' | 'cleanup', ...args: (string | number)[]): Promise<number[]> {
    const cluster = this.#client as Cluster;
    const results: (number | undefined)[] = new Array(BUCKETS).fill(undefined);
    const masters = new Map<string, Redis>();
    for (const node of cluster.nodes('master')) {
      masters.set(`${node.options.host}:${node.options.port}`, node);
    }
    const groups = new Map<Redis, number[]>();
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const owner = cluster.slots[bucketSlot(bucket)]?.[0];
      const node = owner === undefined ? undefined : masters.get(owner);
      if (node === undefined) continue;
      const list = groups.get(node) ?? [];
      list.push(bucket);
      groups.set(node, list);
    }
    const [, lua] = SCRIPTS[op];
    const sha = SCRIPT_SHAS[op];
    const sendGroup = async (node: Redis, buckets: number[]) => {
      const send = async (withSource: boolean) => {
        const pipeline = node.pipeline();
        for (const bucket of buckets) {
          const key = this.#indexKeys[bucket] as string;
          if (withSource) pipeline.eval(lua, 1, key, ...args);
          else pipeline.evalsha(sha, 1, key, ...args);
        }
        return (await pipeline.exec()) ?? [];
      };
      let replies = await send(false);
      // The script is not cached on that node yet (first use, restart, SCRIPT FLUSH): send its source.
      if (replies.some(([error]) => error?.message.startsWith('NOSCRIPT'))) replies = await send(true);
      for (const [i, [error, value]] of replies.entries()) {
        if (error === null && typeof value === 'number') results[buckets[i] as number] = value;
      }
    };
    // Callers run this under one #run deadline, which bounds both phases.
    await Promise.all([...groups].map(([node, buckets]) => sendGroup(node, buckets)));
    // Whatever the grouped path could not settle: one call per shard through the Cluster client.
    const unsettled = results.filter((value) => value === undefined).length;
    if (unsettled > 0) this.logger.debug('redis index shards read one by one', { op, shards: unsettled });
    await Promise.all(
      results.map(async (value, bucket) => {
        if (value !== undefined) return;
        results[bucket] = this.#integer(
          await this.#scripts[op](1, this.#indexKeys[bucket] as string, ...args),
        );
      }),
    );
    return results as number[];
  }

  protected async doStats(): Promise<Record<string, unknown>> {
    return {
      mode: this.#mode,
      keyPrefix: this.#prefix,
      buckets: BUCKETS,
      commandTimeoutMs: this.#timeoutMs,
      connection: this.#client.status,
      ownsClient: this.#owned,
      operationIds: this.#opIds,
    };
  }

  // History is not implemented on Redis yet (its scripts come in a later change): every history method
  // rejects, rather than pretending to store anything.
  protected async doAppendItems(): Promise<number> {
    throw historyUnavailable();
  }

  protected async doGetItems(): Promise<string[]> {
    throw historyUnavailable();
  }

  protected async doPopItem(): Promise<string | null> {
    throw historyUnavailable();
  }

  protected async doReplaceItems(): Promise<number> {
    throw historyUnavailable();
  }

  protected async doClearItems(): Promise<number> {
    throw historyUnavailable();
  }

  protected async doPing(): Promise<boolean> {
    return (await this.#run(undefined, () => this.#client.ping())) === 'PONG';
  }

  protected async doClose(): Promise<void> {
    const client = this.#client;
    client.off('ready', this.#onReady);
    client.off('close', this.#onDown);
    client.off('end', this.#onDown);
    if (this.#readyListener !== undefined) client.off('ready', this.#readyListener);
    // Calls still waiting keep their deadlines; with none left the shared timer has nothing to do.
    if (this.#head === undefined && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#owned) return;
    // QUIT lets the server finish what it was sent; bounded, then the socket is dropped regardless.
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve) => {
      if (client.status === 'end') resolve();
      else client.once('end', () => resolve());
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    if (client.status === 'ready') client.quit().catch(() => {});
    else client.disconnect();
    await ended;
    clearTimeout(timer);
    if (client.status !== 'end') client.disconnect();
    client.off('error', this.#onError);
    // Late socket errors during teardown must not crash the process.
    client.on('error', () => {});
  }

  // ---- reply checks ----

  #integer(reply: unknown): number {
    if (typeof reply !== 'number' || !Number.isSafeInteger(reply)) {
      throw new SessionStoreUnavailableError(`Unexpected reply from Redis: ${String(reply).slice(0, 40)}`);
    }
    return reply;
  }

  #strings(reply: unknown): string[] {
    if (!Array.isArray(reply) || !reply.every((v) => typeof v === 'string')) {
      throw new SessionStoreUnavailableError('Unexpected reply from Redis to a listActive script');
    }
    return reply as string[];
  }
}

function historyUnavailable(): SessionStoreError {
  return new SessionStoreError('Conversation history is not available on RedisSessionStore yet');
}
