// Durable writes, the `durability` option of RedisSessionStore: write scripts are followed by
// `WAIT <replicas> <timeoutMs>` in the same pipeline, on the same connection (WAIT cannot run inside Lua),
// so a write costs one round trip still, plus the time the replicas take to acknowledge it; the writes
// made together share one WAIT (GroupCommit). A write whose
// WAIT counts fewer replicas than asked rejects with SessionNotDurableError: applied on the master, not
// confirmed. Reads send no WAIT.
//
// Which calls are writes is declared by each script (Script's `write` option, scripts.ts), not listed
// here, so a new write script gets the same treatment by declaring itself one.
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { SessionNotDurableError, SessionValidationError } from '../errors/errors.js';
import { isClusterClient, type RedisClient } from './connection.js';
import type { ResolvedRedisStoreOptions } from './options.js';
import type { PipelineReply, Script, ScriptFn } from './Script.js';
import { connectionCount, isNoScript } from './send.js';

/** The `durability` option as given. */
export interface DurabilityOptions {
  /**
   * How many replicas must acknowledge a write before it resolves. A positive integer, at most the
   * number of replicas the master has: with fewer connected, every write waits `timeoutMs` and rejects.
   */
  replicas: number;
  /**
   * How long a write waits for those acknowledgements, in milliseconds, after Redis ran it. Must be below
   * `commandTimeoutMs`, which bounds the whole call (the script, the WAIT and the round trip).
   * @default 1000
   */
  timeoutMs?: number;
}

/** The `durability` option after validation. */
export interface Durability {
  replicas: number;
  timeoutMs: number;
}

export const DEFAULT_DURABILITY_TIMEOUT_MS = 1000;

function fail(field: string, message: string): never {
  throw new SessionValidationError(`Invalid RedisSessionStore option ${field}: ${message}`, { field });
}

/**
 * Validates the option; undefined when absent. `commandTimeoutMs` is the resolved per-call bound:
 * `timeoutMs` must leave room below it for the script and the round trip, or a write the replicas are
 * slow to confirm would surface as "no reply" (outcome unknown) instead of SessionNotDurableError.
 */
export function resolveDurability(value: unknown, commandTimeoutMs: number): Durability | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('durability', 'expected { replicas, timeoutMs? }');
  }
  const { replicas, timeoutMs = DEFAULT_DURABILITY_TIMEOUT_MS, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    fail(`durability.${unknown}`, 'unknown option (expected replicas and timeoutMs)');
  }
  if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < 1) {
    fail('durability.replicas', `expected a positive integer, got ${String(replicas)}`);
  }
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    fail('durability.timeoutMs', `expected a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  if (timeoutMs >= commandTimeoutMs) {
    fail(
      'durability.timeoutMs',
      `must be below commandTimeoutMs (${commandTimeoutMs} ms), which bounds the whole call including the wait`,
    );
  }
  // WAIT takes whole milliseconds, and 0 would mean "wait forever".
  return { replicas, timeoutMs: Math.max(1, Math.ceil(timeoutMs)) };
}

/**
 * The options of the store's second connection, the one its durable writes go through. Redis runs a
 * connection's commands in order and a WAIT blocks its connection until the replicas answer or time runs
 * out, so on the store's main connection a slow replica would hold up every read queued behind a write.
 * It is made the way the main one is (same URL, Sentinel or Cluster settings); for a client you passed,
 * it is a duplicate of it (ioredis `duplicate()`: same options), which the store closes.
 */
export function writeConnectionOptions(options: ResolvedRedisStoreOptions): ResolvedRedisStoreOptions {
  const { target } = options;
  if (target.mode !== 'client') return options;
  const client = target.client;
  // Redis and Cluster both have duplicate() with no arguments: a new client with the same options.
  const copy = (client as { duplicate(): RedisClient }).duplicate();
  return { ...options, target: { mode: 'client', client: copy, owned: true } };
}

/**
 * A write that Redis applied but too few replicas confirmed. Thrown by a durable script inside the
 * store's call; the store turns it into SessionNotDurableError naming the session (`forSession`).
 */
export class UnconfirmedWrite extends Error {
  constructor(
    readonly acknowledged: number,
    readonly durability: Durability,
    readonly waitError: Error | undefined,
  ) {
    super('write not confirmed by enough replicas');
  }

  forSession(id: string | undefined): SessionNotDurableError {
    const { replicas, timeoutMs } = this.durability;
    const session = id === undefined ? 'A write' : `The write to session ${JSON.stringify(id.slice(0, 64))}`;
    const why =
      this.waitError === undefined
        ? `only ${this.acknowledged} of the ${replicas} required replica(s) acknowledged it within ${timeoutMs} ms`
        : `WAIT failed (${this.waitError.message})`;
    return new SessionNotDurableError(
      `${session} was applied on the Redis master but not confirmed as durable: ${why}. It was not rolled ` +
        'back; it is lost only if the master fails before a replica receives it. Check the replicas ' +
        '(INFO replication) or raise durability.timeoutMs',
      {
        ...(id === undefined ? {} : { sessionId: id }),
        acknowledgedReplicas: this.acknowledged,
        requiredReplicas: replicas,
        cause: this.waitError,
      },
    );
  }
}

const isMoved = (error: Error | null): boolean => /^(MOVED|ASK) /.test(error?.message ?? '');

/** Whether a script reply came from running the script: a success, or an error the script raised. */
const ranScript = (error: Error | null): boolean => error === null || /SESS[A-Z]/.test(error.message);

/** What a durable write's script replied, and the WAIT reply of the pipeline it ran in. */
type DurableOutcome = [script: PipelineReply, wait: PipelineReply];

/** The reply of a durable write, or its error: the script's own, or UnconfirmedWrite. */
function settle(
  [[scriptError, reply], [waitError, acknowledged]]: DurableOutcome,
  wrote: (reply: unknown) => boolean,
  durability: Durability,
): unknown {
  // The script failed (a conflict, a size limit, …): it wrote nothing, so there is nothing to confirm.
  if (scriptError !== null) throw scriptError;
  if (!wrote(reply)) return reply;
  if (waitError !== null) throw new UnconfirmedWrite(0, durability, waitError);
  if (typeof acknowledged !== 'number' || acknowledged < durability.replicas) {
    throw new UnconfirmedWrite(Number(acknowledged) || 0, durability, undefined);
  }
  return reply;
}

/**
 * `script` as a function on `client` that resolves only once `durability.replicas` replicas acknowledged
 * what it wrote. Takes the same arguments as Script.bind's function. Writes share WAITs (GroupCommit):
 * on a standalone or Sentinel-managed master all of them, on a Cluster those of one hash slot (ioredis
 * sends a Cluster pipeline to the node serving its first key, and the WAIT must run on the master that ran
 * the writes). The groups of different slots served by one master each send their own pipeline and WAIT,
 * which wait in turn on that master's connection.
 */
export function bindDurable(script: Script, client: RedisClient, durability: Durability): ScriptFn {
  const wrote = script.wrote ?? (() => true);
  const withCount = (given: (string | number)[]) =>
    // EVAL and EVALSHA always take the key count; a Script with a fixed count leaves it out of `given`.
    script.numberOfKeys === undefined ? given : [script.numberOfKeys, ...given];
  if (isClusterClient(client)) {
    return async (...given) => {
      const args = withCount(given);
      // args[1] is KEYS[1]; every key of a call is in its slot.
      const group = groupCommit(client, durability, calculateSlot(String(args[1])));
      return settle(await group.submit(script, args), wrote, durability);
    };
  }
  const group = groupCommit(client, durability, ALL_SLOTS);
  return async (...given) => settle(await group.submit(script, withCount(given)), wrote, durability);
}

/** Each script reply of a pipeline of `count` scripts and one WAIT, paired with that WAIT's reply. */
function outcomes(replies: PipelineReply[], count: number): DurableOutcome[] {
  const wait = replies[count];
  if (replies.length !== count + 1 || wait === undefined) {
    throw new Error(
      `Unexpected pipeline reply from Redis (${replies.length} replies for ${count + 1} commands)`,
    );
  }
  return replies.slice(0, count).map((reply) => [reply, wait]);
}

interface QueuedWrite {
  script: Script;
  args: (string | number)[];
  resolve(outcome: DurableOutcome): void;
  reject(error: unknown): void;
}

/**
 * Group commit on one connection: durable writes (of any script of any store using the connection) leave
 * as one pipeline, their scripts in call order and then one WAIT, which counts the replicas that have
 * every write before it. One pipeline is out at a time: the writes made while it is out form the next
 * group, sent when it has settled. Redis blocks a connection during its WAIT, so with one WAIT per write
 * concurrent writes would each wait for their own acknowledgement in turn: a write rate capped at one per
 * replica round trip, and with a stalled replica N writes taking N × timeoutMs. Grouped, a write waits at
 * most for the group before it and its own.
 *
 * Scripts: the first use of a script in a pipeline is sent with its source (EVAL, which loads it) until
 * it has run on this connection, and again after every reconnect (a restarted or promoted server has not
 * cached it); later uses are EVALSHA. A write that still answers NOSCRIPT (SCRIPT FLUSH, or a server that
 * evicts scripts), or on a Cluster MOVED or ASK (its slot moved; nothing ran, and the slot map is refreshed
 * first), goes again once with its source, in a pipeline with its own WAIT, before the next group: it then
 * lands after the writes of its own group that followed it, never after a later group. ioredis does not
 * follow a redirect itself in a pipeline whose other commands succeeded.
 */
class GroupCommit {
  #queue: QueuedWrite[] = [];
  #sending = false;
  /** Per script: the connection it last ran on (connectionCount's count then). */
  readonly #loaded = new Map<string, number>();
  readonly #connection: () => number;
  readonly #cluster: boolean;

  constructor(
    private readonly client: RedisClient,
    private readonly durability: Durability,
  ) {
    this.#connection = connectionCount(client);
    this.#cluster = isClusterClient(client);
  }

  submit(script: Script, args: (string | number)[]): Promise<DurableOutcome> {
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0 && !this.#sending) process.nextTick(() => this.#next());
      this.#queue.push({ script, args, resolve, reject });
    });
  }

  /** Sends the queued writes as one group, then the writes queued meanwhile, until none are left. */
  async #next(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        await this.#commit(group);
      }
    } finally {
      this.#sending = false;
    }
  }

  /** Sends `group` and settles each of its writes; never rejects. */
  async #commit(group: QueuedWrite[]): Promise<void> {
    let again: QueuedWrite[];
    let moved = false;
    try {
      const first = await this.#send(group, false);
      again = group.filter((write, i) => {
        const outcome = first[i] as DurableOutcome;
        const error = outcome[0][0];
        const redirected = this.#cluster && isMoved(error);
        moved ||= redirected;
        if (redirected || isNoScript(error)) return true;
        write.resolve(outcome);
        return false;
      });
    } catch (error) {
      for (const write of group) write.reject(error);
      return;
    }
    if (again.length === 0) return;
    try {
      if (moved)
        await new Promise<void>((resolve) => (this.client as Cluster).refreshSlotsCache(() => resolve()));
      const second = await this.#send(again, true);
      for (const [i, write] of again.entries()) write.resolve(second[i] as DurableOutcome);
    } catch (error) {
      for (const write of again) write.reject(error);
    }
  }

  /** One pipeline: each write's script (EVAL where `allSource` or not loaded yet), then WAIT. */
  async #send(writes: QueuedWrite[], allSource: boolean): Promise<DurableOutcome[]> {
    const pipeline = this.client.pipeline();
    const on = this.#connection();
    const sourced = new Set<string>();
    for (const { script, args } of writes) {
      const spread = args as [number, ...(string | number)[]];
      const withSource = allSource || (this.#loaded.get(script.sha) !== on && !sourced.has(script.sha));
      if (withSource) {
        sourced.add(script.sha);
        pipeline.eval(script.lua, ...spread);
      } else {
        pipeline.evalsha(script.sha, ...spread);
      }
    }
    pipeline.wait(this.durability.replicas, this.durability.timeoutMs);
    const replies = outcomes(((await pipeline.exec()) ?? []) as PipelineReply[], writes.length);
    writes.forEach(({ script }, i) => {
      // The script ran: it succeeded, or failed with one of its own errors (not a redirect, a NOSCRIPT or
      // a refusal before it ran).
      if (ranScript(replies[i]?.[0][0] ?? null)) this.#loaded.set(script.sha, on);
    });
    return replies;
  }
}

/** The slot key of the one group of a client that is not a Cluster. */
const ALL_SLOTS = -1;

/**
 * The group commit of `client` (on a Cluster, of one hash slot): one per connection and slot; a store's
 * durable writes and its history's share it. A durable write connection belongs to one store (durability.ts
 * writeConnectionOptions), so to one `durability`.
 */
const groups = new WeakMap<RedisClient, Map<number, GroupCommit>>();

function groupCommit(client: RedisClient, durability: Durability, slot: number): GroupCommit {
  let bySlot = groups.get(client);
  if (bySlot === undefined) {
    bySlot = new Map();
    groups.set(client, bySlot);
  }
  let group = bySlot.get(slot);
  if (group === undefined) {
    group = new GroupCommit(client, durability);
    bySlot.set(slot, group);
  }
  return group;
}
