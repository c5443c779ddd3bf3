// The shared conformance suite on a real 3-master Redis Cluster: every script touches one slot, and
// countActive, listActive and cleanupExpired gather the index shards from every master.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_BUCKETS, RedisSessionStore } from '../src/index.js';
import { itemsKey } from '../src/redis/keys.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import { type ClusterHandle, startCluster } from './helpers/redis-cluster.js';
import { redisCommand } from './helpers/redis-resp.js';

let cluster: ClusterHandle;
let n = 0;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const create = (options: RedisSessionStore.Options | object = {}) => {
  n += 1;
  return new RedisSessionStore({
    cluster: { nodes: cluster.nodes },
    keyPrefix: `cc${n}:`,
    ...options,
  });
};

describeSessionStoreConformance('RedisSessionStore (Cluster)', ({ options }) => create(options), {
  clock: 'real',
  describe,
  it,
  history: {
    // Damaged or foreign history text, planted with RPUSH onto the session's items list.
    appendRawItems: async (store, id, texts) => {
      const { keyPrefix } = await store.getStats();
      await (store as RedisSessionStore).client.rpush(itemsKey(keyPrefix as string, id), ...texts);
    },
  },
});

describe('RedisSessionStore on a Cluster', () => {
  it('spreads sessions over every master, each session key in its index shard slot', async () => {
    const store = create();
    try {
      for (let i = 0; i < 200; i++) await store.set(`spread-${i}`, { messageCount: i });
      expect(await store.countActive()).toBe(200);
      const masters = await cluster.masters();
      expect(masters).toHaveLength(3);
      const prefix = (await store.getStats()).keyPrefix as string;
      let total = 0;
      for (const master of masters) {
        // DBSIZE per master: session hashes plus index shards, so every master holds part of the data.
        const size = Number(await redisCommand(master.port, ['DBSIZE']));
        expect(size).toBeGreaterThan(0);
        total += size;
      }
      expect(total).toBeGreaterThanOrEqual(200 + 1);
      // A key with the user's own braces still hashes by our bucket tag: compare slots.
      const id = '{evil}:x';
      await store.set(id, {});
      const bucketKeys = await Promise.all(
        [`${prefix}{b0}:idx`, `${prefix}{b0}:s:${id}`].map((key) =>
          redisCommand(cluster.nodes[0]?.port ?? 0, ['CLUSTER', 'KEYSLOT', key]),
        ),
      );
      expect(bucketKeys[0]).toBe(bucketKeys[1]);
      expect(REDIS_BUCKETS).toBe(64);
    } finally {
      await store.close();
    }
  });

  it('countActive and cleanupExpired survive SCRIPT FLUSH on every master (EVALSHA → EVAL)', async () => {
    const debug: string[] = [];
    const logger = { debug: (m: string) => debug.push(m), info() {}, warn() {}, error() {} };
    const store = create({ logger });
    try {
      for (let i = 0; i < 30; i++) await store.set(`f-${i}`, {}, { ttlSeconds: i < 10 ? 0.2 : 60 });
      expect(await store.countActive()).toBe(30);
      for (const master of await cluster.masters()) {
        expect(await redisCommand(master.port, ['SCRIPT', 'FLUSH'])).toBe('OK');
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await store.countActive()).toBe(20);
      for (const master of await cluster.masters()) await redisCommand(master.port, ['SCRIPT', 'FLUSH']);
      expect(await store.cleanupExpired()).toBe(10);
      expect((await store.listActive({ limit: 100 })).sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `f-${i + 10}`).sort(),
      );
      // Every shard was settled by the per-master pipelines, none through the one-by-one fallback.
      expect(debug.filter((m) => m.includes('one by one'))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('works on a Cluster client the user made, and close() leaves it open', async () => {
    const client = new Cluster(cluster.nodes);
    try {
      const store = new RedisSessionStore({ client, keyPrefix: 'user-cluster:' });
      expect((await store.getStats()).mode).toBe('cluster');
      for (let i = 0; i < 20; i++) await store.getOrCreate(`u-${i}`, { userId: `${i}` });
      expect(await store.incrementCounter('u-3', 'messageCount', 4)).toBe(4);
      expect(await store.countActive()).toBe(20);
      expect(await store.listActive({ limit: 5, offset: 18 })).toHaveLength(2);
      await store.close();
      expect(client.status).toBe('ready');
      expect(await client.get('user-cluster:nothing')).toBeNull();
    } finally {
      client.disconnect();
    }
  });
});
