// The whole-store operations on a Redis Cluster. A Cluster script may only touch one slot, and each of the
// BUCKETS index shards has its own, so countActive, cleanupExpired and listActive run per shard: grouped
// by the master that owns the shard's slot, one pipeline (one round trip) per master.
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { BUCKETS, bucketSlot } from './keys.js';
import { integerReply, stringsReply } from './replies.js';
import type { Script, ScriptFn } from './Script.js';
import { SCRIPTS } from './scripts.js';

/** One single-key index script: its source (for the per-master pipelines) and its Cluster-client caller. */
interface ShardScript {
  /** The operation, for the log. */
  name: 'count' | 'cleanup';
  script: Script;
  call: ScriptFn;
}

/** The whole-store operations of one store on one Cluster; each call runs under the caller's one deadline. */
export class ClusterFanout {
  readonly #cluster: Cluster;
  readonly #indexKeys: readonly string[];
  readonly #scripts: Record<'count' | 'cleanup', ShardScript>;
  readonly #list: ScriptFn;
  readonly #logger: Logger;

  /** `calls` are the store's scripts bound to the Cluster client (the one-by-one fallback uses them). */
  constructor(
    cluster: Cluster,
    indexKeys: readonly string[],
    calls: Record<'count' | 'cleanup' | 'list', ScriptFn>,
    logger: Logger,
  ) {
    this.#cluster = cluster;
    this.#indexKeys = indexKeys;
    this.#scripts = {
      count: { name: 'count', script: SCRIPTS.count, call: calls.count },
      cleanup: { name: 'cleanup', script: SCRIPTS.cleanup, call: calls.cleanup },
    };
    this.#list = calls.list;
    this.#logger = logger;
  }

  /** countActive or cleanupExpired: the sum over every shard. */
  async total(op: 'count' | 'cleanup'): Promise<number> {
    const perShard = await shardIntegers(this.#cluster, this.#indexKeys, this.#scripts[op], [], this.#logger);
    return perShard.reduce((a, b) => a + b, 0);
  }

  list(limit: number, offset: number): Promise<string[]> {
    const scripts = { count: this.#scripts.count, list: this.#list };
    return clusterListActive(this.#cluster, this.#indexKeys, scripts, limit, offset, this.#logger);
  }
}

/**
 * Runs `op` (count or cleanup, one index shard per call) on every shard and returns one integer per shard,
 * in shard order. When the slot map is not known yet, or a node answers with a redirection (resharding),
 * the shards concerned go through the Cluster client one by one. The caller bounds the whole run with one
 * deadline.
 */
async function shardIntegers(
  cluster: Cluster,
  indexKeys: readonly string[],
  op: ShardScript,
  args: readonly (string | number)[],
  logger: Logger,
): Promise<number[]> {
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
  await Promise.all(
    [...groups].map(async ([node, buckets]) => {
      const keys = buckets.map((bucket) => indexKeys[bucket] as string);
      const replies = await op.script.eachKeyOn(node, keys, args);
      for (const [i, [error, value]] of replies.entries()) {
        if (error === null && typeof value === 'number') results[buckets[i] as number] = value;
      }
    }),
  );
  // Whatever the grouped path could not settle: one call per shard through the Cluster client.
  const unsettled = results.filter((value) => value === undefined).length;
  if (unsettled > 0) logger.debug('redis index shards read one by one', { op: op.name, shards: unsettled });
  await Promise.all(
    results.map(async (value, bucket) => {
      if (value !== undefined) return;
      results[bucket] = integerReply(await op.call(1, indexKeys[bucket] as string, ...args));
    }),
  );
  return results as number[];
}

/**
 * listActive on a Cluster: count every shard, then read only the shards the page falls in. Both rounds
 * run the shards in parallel and count from one instant of the server clock, so that a session expiring
 * between the rounds cannot shift the page. The caller bounds the whole run with one deadline.
 */
async function clusterListActive(
  cluster: Cluster,
  indexKeys: readonly string[],
  scripts: { count: ShardScript; list: ScriptFn },
  limit: number,
  offset: number,
  logger: Logger,
): Promise<string[]> {
  const [seconds, micros] = await cluster.time();
  const cutoff = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const counts = await shardIntegers(cluster, indexKeys, scripts.count, [cutoff], logger);
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
    const key = indexKeys[bucket] as string;
    reads.push(scripts.list(1, key, skip, take, cutoff).then(stringsReply));
    want -= take;
    skip = 0;
  }
  return (await Promise.all(reads)).flat().slice(0, limit);
}
