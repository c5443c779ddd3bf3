// SessionStore on Redis (standalone, Cluster or Sentinel) through ioredis. Every single-session method is
// one Lua script — one command on the wire, atomic, timed by the server clock — and every call is bounded
// by a client-side deadline, so "Redis is down" surfaces as SessionStoreUnavailableError, never as a hang
// or as null. This file holds the storage hooks; each concept they use has its own file beside it.
import type { Cluster } from 'ioredis';
import type { SessionData } from '../codec/SessionData.js';
import type { GetOrCreateResult } from '../store/SessionStore.js';
import type { NormalizedInput, NormalizedPatch } from '../store/validation.js';
import { type RedisAclOptions, redisAclRules } from './acl.js';
import { type RedisClient, RedisConnection } from './connection.js';
import { Deadlines } from './deadlines.js';
import { type Durability, writeConnectionOptions } from './durability.js';
import { ClusterFanout } from './fanout.js';
import { RedisHistory } from './history.js';
import { HISTORY, RedisHistoryHooks } from './historyHooks.js';
import { BUCKETS, KeySpace } from './keys.js';
import { LivenessWatch } from './liveness.js';
import { optionsObject, type RedisStoreOptions, resolveRedisStoreOptions } from './options.js';
import {
  completeWritten,
  decodeRecord,
  decodeTouched,
  encodeInput,
  encodePatch,
  getOrCreateReply,
  keyText,
  writtenSession,
} from './record.js';
import {
  conflictInReply,
  counterInReply,
  counterReply,
  integerReply,
  noReply,
  sizeInReply,
  stringsReply,
} from './replies.js';
import { CallRunner } from './runner.js';
import type { ScriptFn } from './Script.js';
import { bindScripts, SCRIPTS, type ScriptName } from './scripts.js';

export type { RedisClient } from './connection.js';

export declare namespace RedisSessionStore {
  /** Options of `RedisSessionStore.aclRules()`. */
  type AclOptions = RedisAclOptions;
  /** Where to connect (exactly one of `url`, `client`, `cluster`, `sentinel`) and how; see options.ts. */
  type Options = RedisStoreOptions;
}

export class RedisSessionStore extends RedisHistoryHooks {
  /**
   * The least-privilege ACL rules for a store with this `keyPrefix`: the key pattern plus every command
   * the store's scripts and its client send, e.g. for `ACL SETUSER <user> on ><password> <rules…>`.
   */
  static aclRules(options?: RedisAclOptions): string[] {
    return redisAclRules(options);
  }

  readonly storeType = 'redis';
  readonly #connection: RedisConnection;
  /** The connection durable writes go through (durability.ts); undefined without the option. */
  readonly #writer: RedisConnection | undefined;
  readonly #client: RedisClient;
  readonly #timeoutMs: number;
  readonly #deadlines: Deadlines;
  /** Every call to Redis goes through `run`: readiness, deadline and error mapping (runner.ts). */
  readonly #calls: CallRunner;
  readonly #liveness: LivenessWatch;
  readonly #keys: KeySpace;
  readonly #scripts: Record<ScriptName, ScriptFn>;
  /** The whole-store operations on a Cluster, per shard; undefined on standalone Redis and Sentinel. */
  readonly #fanout: ClusterFanout | undefined;
  /** The max lifetime in ms as the scripts take it, '' for none. */
  readonly #maxLifetime: string;
  /** Replicas each write waits for, and for how long; undefined when writes do not wait. */
  readonly #durability: Durability | undefined;

  constructor(options: RedisSessionStore.Options) {
    super(optionsObject(options));
    const resolved = resolveRedisStoreOptions(options);
    const timeoutMs = resolved.commandTimeoutMs;
    this.#timeoutMs = timeoutMs;
    this.#maxLifetime = this.options.maxLifetimeMs === undefined ? '' : String(this.options.maxLifetimeMs);
    this.#connection = new RedisConnection(resolved, this.logger);
    this.#liveness = new LivenessWatch(this.#connection, resolved, this.logger);
    this.#deadlines = new Deadlines(() => noReply(timeoutMs), this.#liveness.expired);
    this.#client = this.#connection.client;
    this.#durability = resolved.durability;
    this.#writer =
      resolved.durability === undefined
        ? undefined
        : new RedisConnection(writeConnectionOptions(resolved), this.logger);
    this.#calls = new CallRunner(this.#connection, this.#writer, this.#deadlines, timeoutMs);
    this.#scripts = bindScripts(SCRIPTS, this.#client, resolved.durability, this.#writer?.client);
    this.#keys = new KeySpace(resolved.keyPrefix, this.#connection.mayResend);
    this.#fanout =
      this.#connection.mode === 'cluster'
        ? new ClusterFanout(this.#client as Cluster, this.#keys.indexKeys, this.#scripts, this.logger)
        : undefined;
    this[HISTORY] = new RedisHistory(
      this.#client,
      this.#keys,
      this.options,
      {
        run: (id, call, replyError) => this.#calls.run(id, call, replyError),
        assertReplySize: (message, id) => this.#assertReplySize(message, id),
      },
      resolved.durability,
      this.#writer?.client,
    );
  }

  /** The ioredis client the store talks through (yours when you passed one). */
  get client(): RedisClient {
    return this.#client;
  }

  /** Throws the store's size error for a script's `SESSSIZE <bytes>` reply. */
  #assertReplySize(message: string, id: string): void {
    const size = sizeInReply(message);
    if (size !== undefined) this.assertSize(size, id);
  }

  protected async doGet(id: string, touch: boolean): Promise<SessionData | null> {
    const [key, index, items] = this.#keys.withItems(id);
    // Without touch a read changes nothing: a plain GET of the record, no script.
    if (touch) {
      const reply = await this.#calls.run(id, () =>
        this.#scripts.get(key, index, items, id, this.#maxLifetime),
      );
      return reply === 0 ? null : decodeTouched(id, reply);
    }
    const reply = await this.#calls.run(id, () => this.#client.get(key));
    return reply === null ? null : decodeRecord(id, reply);
  }

  protected async doSet(id: string, input: NormalizedInput, ttlMs: number | undefined): Promise<SessionData> {
    const { rest, size } = encodeInput(id, input);
    this.assertSize(size, id);
    const pending = this.#calls.run(id, () =>
      this.#scripts.set(...this[HISTORY].writeArgs(id, input, ttlMs), size, rest),
    );
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
    const reply = await this.#calls.run(id, () =>
      this.#scripts.getOrCreate(
        ...this[HISTORY].writeArgs(id, input, ttlMs),
        size,
        rest,
        this.options.touchOnGet ? '1' : '0',
      ),
    );
    return getOrCreateReply(id, input, reply);
  }

  protected async doUpdate(
    id: string,
    patch: NormalizedPatch,
    expectedVersion: number | undefined,
  ): Promise<SessionData | null> {
    const args = encodePatch(
      id,
      expectedVersion ?? '',
      this.options.maxSessionBytes,
      this.#maxLifetime,
      patch,
    );
    const reply = await this.#calls.run(
      id,
      () => this.#scripts.update(...this.#keys.forWrite(id), ...args),
      (message) => {
        this.#assertReplySize(message, id);
        return conflictInReply(message, id, expectedVersion);
      },
    );
    return reply === 0 ? null : decodeRecord(id, reply);
  }

  protected async doIncrementCounter(id: string, field: string, delta: number): Promise<number | null> {
    const isCount = field === 'messageCount';
    const label = isCount ? 'messageCount' : `metadata[${JSON.stringify(field)}]`;
    const reply = await this.#calls.run(
      id,
      () =>
        this.#scripts.increment(
          ...this.#keys.forWrite(id),
          id,
          isCount ? '' : keyText(field),
          delta,
          this.#maxLifetime,
          this.options.maxSessionBytes,
        ),
      (message) => {
        this.#assertReplySize(message, id);
        return counterInReply(message, label, delta);
      },
    );
    return counterReply(reply);
  }

  protected async doTouch(id: string, ttlMs: number | undefined): Promise<boolean> {
    const reply = await this.#calls.run(id, () =>
      this.#scripts.touch(...this.#keys.withItems(id), id, ttlMs ?? '', this.#maxLifetime),
    );
    return reply === 1;
  }

  protected async doDelete(id: string): Promise<boolean> {
    const reply = await this.#calls.run(id, () => this.#scripts.delete(...this.#keys.forWrite(id), id));
    return reply === 1;
  }

  protected async doExists(id: string): Promise<boolean> {
    const [key] = this.#keys.of(id);
    return (await this.#calls.run(id, () => this.#client.exists(key))) === 1;
  }

  protected async doListActive(limit: number, offset: number): Promise<string[]> {
    const fanout = this.#fanout;
    // On a Cluster, one deadline over both rounds of the fan-out.
    if (fanout !== undefined) return this.#calls.run(undefined, () => fanout.list(limit, offset));
    const ids = await this.#calls.run(undefined, () =>
      this.#scripts.list(BUCKETS, ...this.#keys.indexKeys, offset, limit),
    );
    return stringsReply(ids);
  }

  protected doCountActive(): Promise<number> {
    return this.#indexTotal('count');
  }

  protected doCleanupExpired(): Promise<number> {
    return this.#indexTotal('cleanup');
  }

  /** The sum of an index script over every shard: one script call on standalone Redis, one per shard on a Cluster. */
  async #indexTotal(op: 'count' | 'cleanup'): Promise<number> {
    const fanout = this.#fanout;
    if (fanout !== undefined) return this.#calls.run(undefined, () => fanout.total(op));
    return integerReply(
      await this.#calls.run(undefined, () => this.#scripts[op](BUCKETS, ...this.#keys.indexKeys)),
    );
  }

  protected async doStats(): Promise<Record<string, unknown>> {
    return {
      mode: this.#connection.mode,
      keyPrefix: this.#keys.prefix,
      buckets: BUCKETS,
      commandTimeoutMs: this.#timeoutMs,
      connection: this.#client.status,
      ownsClient: this.#connection.owned,
      operationIds: this.#keys.opIds,
      durability: this.#durability ?? null,
    };
  }

  protected async doPing(): Promise<boolean> {
    return (await this.#calls.run(undefined, () => this.#client.ping())) === 'PONG';
  }

  protected async doClose(): Promise<void> {
    // Calls still waiting keep their deadlines; with none left the shared timer has nothing to do.
    this.#deadlines.stopIfIdle();
    this.#liveness.stop();
    await Promise.all([this.#connection.close(), this.#writer?.close()]);
  }
}
