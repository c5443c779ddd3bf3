// The `durability` option on a Redis Cluster (3 masters, 1 replica each): WAIT goes to the master that ran
// the write. With one master's replica stopped, writes to sessions of that master reject with
// SessionNotDurableError while writes to the other masters resolve (a WAIT sent to any other node would
// have counted that node's healthy replica and resolved).
//
// A write to a healthy replica set must resolve however slow the machine is, so `store` waits up to
// TIMEOUT_MS, far above a replica's acknowledgement time (milliseconds, hundreds on a loaded machine). The
// writes that must reject go through `quick`, which waits QUICK_TIMEOUT_MS. Writes of one hash slot made
// together share one WAIT. Each test writes its own sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSessionNotDurableError, RedisSessionStore } from '../src/index.js';
import { sessionKey } from '../src/redis/keys.js';
import { type ClusterHandle, startCluster } from './helpers/redis-cluster.js';
import { parseInfo, redisCommand } from './helpers/redis-resp.js';

const TIMEOUT_MS = 2000;
const QUICK_TIMEOUT_MS = 300;
const PREFIX = 'dc:';

let cluster: ClusterHandle;
let store: RedisSessionStore;
let quick: RedisSessionStore;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  store = new RedisSessionStore({
    cluster: { nodes: cluster.nodes },
    keyPrefix: PREFIX,
    commandTimeoutMs: TIMEOUT_MS + 3000,
    durability: { replicas: 1, timeoutMs: TIMEOUT_MS },
  });
  quick = new RedisSessionStore({
    cluster: { nodes: cluster.nodes },
    keyPrefix: PREFIX,
    durability: { replicas: 1, timeoutMs: QUICK_TIMEOUT_MS },
  });
}, 90_000);

afterAll(async () => {
  await store?.close();
  await quick?.close();
  await cluster?.stop();
});

/** The port of the master serving session `id`, and of that master's replica. */
async function ownerOf(id: string): Promise<{ master: number; replica: number }> {
  const port = cluster.nodes[0]?.port as number;
  const slot = Number(await redisCommand(port, ['CLUSTER', 'KEYSLOT', sessionKey(PREFIX, id)]));
  const lines = String(await redisCommand(port, ['CLUSTER', 'NODES']))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(' '));
  const owner = lines.find(
    (f) =>
      f[2]?.includes('master') &&
      f.slice(8).some((range) => {
        const [from, to] = range.split('-').map(Number);
        return (from as number) <= slot && slot <= (to ?? from ?? -1);
      }),
  );
  const replica = lines.find((f) => f[3] === owner?.[0]);
  if (owner === undefined || replica === undefined) throw new Error(`no owner/replica for slot ${slot}`);
  const portOf = (f: string[]) => Number(f[1]?.split('@')[0]?.split(':')[1]);
  return { master: portOf(owner), replica: portOf(replica) };
}

describe('durability on a Cluster', () => {
  it('writes resolve on every master while the replicas are up', async () => {
    for (let i = 0; i < 12; i++) {
      await store.set(`ok${i}`, { userId: 'u' });
      expect(await store.incrementCounter(`ok${i}`, 'messageCount')).toBe(1);
    }
  });

  it('writes of one hash slot made together share one WAIT, on the master that ran them', async () => {
    const id = 'together';
    await store.set(id, { userId: 'u' });
    const { master } = await ownerOf(id);
    await redisCommand(master, ['CONFIG', 'RESETSTAT']);
    const counts = await Promise.all(
      Array.from({ length: 30 }, () => store.incrementCounter(id, 'messageCount')),
    );
    expect(counts).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const waits = parseInfo(await redisCommand(master, ['INFO', 'commandstats'])).get('cmdstat_wait');
    expect(waits).toMatch(/^calls=1,/);
  });

  it('a write whose slot moved to another master (MOVED) goes again there, and is confirmed', async () => {
    const id = 'moving';
    await store.set(id, { userId: 'u' });
    const key = sessionKey(PREFIX, id);
    const from = (await ownerOf(id)).master;
    const to = (await cluster.masters()).find((m) => m.port !== from)?.port as number;
    const idOf = async (port: number) => String(await redisCommand(port, ['CLUSTER', 'MYID']));
    const [fromId, toId] = [await idOf(from), await idOf(to)];
    const slot = Number(await redisCommand(from, ['CLUSTER', 'KEYSLOT', key]));
    // Move the slot by hand, keys and all, while the store's slot map still points at `from`.
    await redisCommand(to, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId]);
    await redisCommand(from, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId]);
    const keys = (await redisCommand(from, ['CLUSTER', 'GETKEYSINSLOT', String(slot), '100'])) as string[];
    await redisCommand(from, ['MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', ...keys]);
    for (const port of (await cluster.masters()).map((m) => m.port)) {
      await redisCommand(port, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId]);
    }
    expect(await store.incrementCounter(id, 'messageCount')).toBe(1);
    expect((await ownerOf(id)).master).toBe(to);
    expect(String(await redisCommand(to, ['GET', key]))).toContain('"u"');
  });

  it("waits on the master that ran the write: its stopped replica fails only that master's writes", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
    for (const id of ids) await store.set(id, { userId: 'u' });
    const owners = await Promise.all(ids.map(ownerOf));
    const target = owners[0] as { master: number; replica: number };
    const affected = ids.filter((_, i) => owners[i]?.master === target.master);
    const others = ids.filter((_, i) => owners[i]?.master !== target.master);
    expect(others.length).toBeGreaterThan(0);
    const replica = cluster.node(target.replica);
    replica.pause();
    try {
      for (const id of affected) {
        const error = await quick.update(id, { escalated: true }).catch((e: unknown) => e);
        expect(isSessionNotDurableError(error), `${id}: ${String(error)}`).toBe(true);
      }
      for (const id of others) expect((await store.update(id, { escalated: true }))?.escalated).toBe(true);
    } finally {
      replica.resume();
    }
  });
});
