// The store's connection: the ioredis client for each mode (a client you pass, a URL, a Cluster, a
// Sentinel-managed primary), the watch over its readiness that lets calls wait for it (bounded) or fail
// fast, and closing it. A connection that stays open but answers nothing (a lost route) is detected and
// replaced by liveness.ts.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { SessionStoreConfigError } from '../errors/errors.js';
import type { Logger } from '../logger.js';
import { configRefusal } from './connect-errors.js';
import type { ResolvedRedisStoreOptions } from './options.js';
import { connectionFailure, unavailable } from './replies.js';

/** A Redis or Cluster client from ioredis. */
export type RedisClient = Redis | Cluster;

export type ConnectionMode = 'standalone' | 'cluster' | 'sentinel';

/** Whether `client` is a Cluster client (of this or another copy of ioredis). */
export const isClusterClient = (client: RedisClient): boolean =>
  (client as { isCluster?: boolean }).isCluster === true;

/** How long close() waits for QUIT on a connection the store created before it drops the socket, in ms. */
const CLOSE_TIMEOUT_MS = 1000;

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
    // (one timer for all calls in flight, deadlines.ts) already bounds every call at commandTimeoutMs.
    connectTimeout: connectTimeoutMs,
    // TCP keepalive probes after 30 s idle (then at the kernel's interval): a peer that vanished while no
    // call ran is noticed without waiting for a call to time out (liveness.ts covers connections in use).
    keepAlive: 30_000,
    // Keep reconnecting forever, with capped exponential backoff.
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelayMs),
    // RESP2: no Lua reply of ours needs RESP3, and RESP2 replies are the simpler ones to parse.
    protocol: 2 as const,
    // Off: every call is one command already, so batching gains little under load while each batch builds
    // an ioredis Pipeline; on a Cluster it would also surface MOVED during resharding (docs/redis.md).
    enableAutoPipelining: false,
  } satisfies RedisOptions;
}

function createClient(options: ResolvedRedisStoreOptions): { client: RedisClient; mode: ConnectionMode } {
  const { target } = options;
  const base = baseRedisOptions(options.connectTimeoutMs, options.maxReconnectDelayMs);
  switch (target.mode) {
    case 'client': {
      return { client: target.client, mode: isClusterClient(target.client) ? 'cluster' : 'standalone' };
    }
    case 'url':
      return { client: new Redis(target.url, { ...base, ...target.redisOptions }), mode: 'standalone' };
    case 'sentinel':
      return { client: new Redis({ ...base, ...target.sentinel }), mode: 'sentinel' };
    case 'cluster': {
      const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...perNode } = base;
      const userOptions = target.options ?? {};
      const client = new Cluster(target.nodes, {
        enableOfflineQueue,
        // No autopipelining: batched script writes surface MOVED errors during resharding.
        enableAutoPipelining,
        clusterRetryStrategy: retryStrategy,
        retryDelayOnClusterDown: 100,
        // ioredis rejects a node's queued commands with one "Connection is closed" error whether or not
        // they were written, and re-sends them after this delay. At 0 nothing is re-sent, but ordinary
        // connection churn (slot refreshes, failover) then fails commands that never reached Redis. We
        // keep the retry: a command in flight when its node connection drops may then be sent twice,
        // and the operation ids of the writes (RedisConnection.mayResend) make the second send a no-op.
        retryDelayOnFailover: 100,
        ...userOptions,
        redisOptions: { ...perNode, ...userOptions.redisOptions },
      });
      return { client, mode: 'cluster' };
    }
  }
}

export class RedisConnection {
  readonly client: RedisClient;
  readonly mode: ConnectionMode;
  /** Whether the store created the client (and so closes it); a client passed in stays the user's. */
  readonly owned: boolean;
  /**
   * Whether ioredis may send one command twice after a connection drop: a Cluster re-sends the commands
   * queued on a node whose connection closed (written or not), and a client with
   * autoResendUnfulfilledCommands (the ioredis default) re-sends unanswered commands after a reconnect.
   * Then each write carries an operation id, so that a second send is not applied again (docs/redis.md).
   * Connections the store creates on standalone Redis and Sentinel never re-send, and skip that cost.
   */
  readonly mayResend: boolean;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  #readyWait: Promise<void> | undefined;
  #readyListener: (() => void) | undefined;
  #readyReject: ((error: unknown) => void) | undefined;
  /**
   * Set when the server refused the store's configuration on connecting (credentials, ACL, certificate):
   * the store's own connection is then ended, not retried, and every call rejects with it at once.
   */
  #refused: SessionStoreConfigError | undefined;
  /** Whether the connection uses TLS: what a failed connection most likely means depends on it. */
  readonly #tls: boolean;
  /** When the connection was last seen going down (monotonic ms); undefined while it is (or may soon be) up. */
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
    this.#logger.debug('redis connection error', { error });
    // A Cluster reports its nodes' failures in its own errors; only a single connection is ended here.
    if (this.#refused !== undefined || this.mode === 'cluster') return;
    const refused = configRefusal(error);
    if (refused === undefined) return;
    this.#refused = refused;
    this.#logger.error('redis refused the store configuration; the store no longer reconnects', {
      error: refused,
    });
    // Reconnecting would be refused the same way, every maxReconnectDelayMs, for ever. disconnect() marks
    // the close as manual, so ioredis's own reconnect after this error does not happen.
    this.client.disconnect();
    this.#readyReject?.(refused);
  };

  constructor(options: ResolvedRedisStoreOptions, logger: Logger) {
    const { client, mode } = createClient(options);
    this.client = client;
    this.mode = mode;
    this.owned = options.target.mode !== 'client' || options.target.owned === true;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#logger = logger;
    const clientOptions = (client as { options?: RedisOptions }).options;
    this.mayResend =
      mode === 'cluster' || (!this.owned && clientOptions?.autoResendUnfulfilledCommands !== false);
    const clusterOptions = (client as { options?: { redisOptions?: RedisOptions } }).options?.redisOptions;
    this.#tls = Boolean(clientOptions?.tls ?? clusterOptions?.tls);
    client.on('ready', this.#onReady);
    client.on('close', this.#onDown);
    client.on('end', this.#onDown);
    if (this.owned) client.on('error', this.#onError);
  }

  /** Resolves once the client is ready, or rejects when it will not be before `deadline` (monotonic ms). */
  async whenReady(deadline: number): Promise<void> {
    const client = this.client;
    if (client.status === 'ready') return;
    if (this.#refused !== undefined) throw this.#refused;
    if (client.status === 'end') throw unavailable('the connection is closed');
    // Down for longer than one call may take: fail now rather than make every caller wait out the deadline.
    if (this.#downSince !== undefined && performance.now() - this.#downSince > this.#timeoutMs) {
      throw connectionFailure(`the connection is down (status ${client.status})`, this.#lastError, this.#tls);
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
                connectionFailure(
                  `no connection within ${this.#timeoutMs} ms (status ${client.status})`,
                  this.#lastError,
                  this.#tls,
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
    this.#readyWait ??= new Promise<void>((resolve, reject) => {
      this.#readyListener = () => {
        this.#readyWait = undefined;
        this.#readyListener = undefined;
        this.#readyReject = undefined;
        resolve();
      };
      // The configuration was refused while calls waited: they reject now, not at their deadlines.
      this.#readyReject = (error) => {
        this.client.off('ready', this.#readyListener as () => void);
        this.#readyWait = undefined;
        this.#readyListener = undefined;
        this.#readyReject = undefined;
        reject(error);
      };
      this.client.once('ready', this.#readyListener);
    });
    return this.#readyWait;
  }

  /**
   * Stops watching the client, and quits it when the store created it: QUIT lets the server finish what
   * it was sent; after CLOSE_TIMEOUT_MS the socket is dropped regardless. A client passed in stays open.
   */
  async close(): Promise<void> {
    const client = this.client;
    client.off('ready', this.#onReady);
    client.off('close', this.#onDown);
    client.off('end', this.#onDown);
    if (this.#readyListener !== undefined) client.off('ready', this.#readyListener);
    if (!this.owned) return;
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
}
