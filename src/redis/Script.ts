// One Lua script and its identity: the SHA1 of its source. The name it is registered under on a client
// derives from that SHA, so a script whose source changes gets a new name by itself, and two copies of
// the library sharing one client (or two versions of it) each run their own source, never the other's.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisClient } from './connection.js';
import { commandSender, connectionCount, isNoScript, scriptSender } from './send.js';

/** A script bound to a client: its arguments are the key count (when not fixed), KEYS, then ARGV. */
export type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/** One reply of a pipeline: ioredis's `[error, value]` pair. */
export type PipelineReply = [Error | null, unknown];

export class Script {
  /** SHA1 of the source, in hex: what EVALSHA names and what the server caches the script under. */
  readonly sha: string;
  /** The command name on a client: namespaced (no clash with a user's own commands) and content-derived. */
  readonly name: string;

  /**
   * For a script that writes: whether a reply means it changed data (a write the `durability` option must
   * see confirmed by replicas). Undefined for a read-only script.
   */
  readonly wrote: ((reply: unknown) => boolean) | undefined;

  /**
   * @param lua the script's source.
   * @param numberOfKeys how many of the arguments are KEYS; undefined when each call passes the key count
   *   as its first argument (scripts called with a variable number of keys).
   * @param options.write declares a write: `true` when every successful reply means data changed, or a
   *   test of the reply when some replies mean nothing was written (e.g. 0 for an absent session). With the
   *   `durability` option a write is followed by WAIT (durability.ts); a read is not.
   */
  constructor(
    readonly lua: string,
    readonly numberOfKeys?: number,
    options?: { write?: true | ((reply: unknown) => boolean) },
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
    this.name = `agentSessionStore_${this.sha}`;
    const write = options?.write;
    this.wrote = write === true ? () => true : write;
  }

  /**
   * The script as a function on `client`, each call sent as its own command (send.ts): EVAL with the
   * source until one call succeeded on the current connection, then EVALSHA; EVAL again after a reconnect
   * (restart, failover) and when the server answers NOSCRIPT (SCRIPT FLUSH). A client from another copy
   * of ioredis gets the script defined with `defineCommand` instead, unless a store already did (same
   * name, so same source).
   */
  bind(client: RedisClient): ScriptFn {
    const send = commandSender(client);
    if (send !== undefined) return scriptSender(send, this, connectionCount(client));
    const target = client as unknown as Record<string, ScriptFn>;
    const { name, lua, numberOfKeys } = this;
    if (typeof target[name] !== 'function') {
      client.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
    }
    const fn = target[name] as ScriptFn;
    return (...args) => fn.apply(client, args);
  }

  /**
   * Runs the script once per key of `keys` (one key each, then `args`) on one Cluster node, as one
   * pipeline: one round trip. EVALSHA first; when any reply is NOSCRIPT (that node has not cached the
   * script yet), the whole pipeline goes again with the source. Replies are in `keys` order; errors other
   * than NOSCRIPT stay in their reply for the caller to settle another way.
   */
  async eachKeyOn(node: Redis, keys: readonly string[], args: readonly (string | number)[]) {
    const send = async (withSource: boolean): Promise<PipelineReply[]> => {
      const pipeline = node.pipeline();
      for (const key of keys) {
        if (withSource) pipeline.eval(this.lua, 1, key, ...args);
        else pipeline.evalsha(this.sha, 1, key, ...args);
      }
      return ((await pipeline.exec()) ?? []) as PipelineReply[];
    };
    const replies = await send(false);
    return replies.some(([error]) => isNoScript(error)) ? send(true) : replies;
  }
}
