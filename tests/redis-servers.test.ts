// Proves the Redis test helpers start real servers that answer, survive SIGKILL + restart with their
// data, pause and resume, and leave no listening port behind once stopped.

import { existsSync } from 'node:fs';
import net from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster } from './helpers/redis-cluster.js';
import { freePort } from './helpers/redis-ports.js';
import { type RedisServerHandle, runningServerPids, waitUntil } from './helpers/redis-process.js';
import { redisCommand } from './helpers/redis-resp.js';
import { startSentinelGroup } from './helpers/redis-sentinel.js';
import { startRedis, startRedisProcess } from './helpers/redis-standalone.js';

/** Resolves true when a TCP connect to 127.0.0.1:port is refused (nothing listens there). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(true);
      else reject(error);
    });
  });
}

function client(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // Every helper's stop() must leave no server process behind.
  expect(runningServerPids()).toEqual([]);
});

describe('freePort', () => {
  it('returns distinct free ports below 55000 whose bus port (+10000) is free too', async () => {
    const a = await freePort();
    const b = await freePort();
    expect(a).not.toBe(b);
    for (const port of [a, b]) {
      expect(port).toBeLessThan(55_000);
      expect(await refused(port)).toBe(true);
      expect(await refused(port + 10_000)).toBe(true);
    }
  });
});

describe.each([
  ['startRedis (redis-memory-server)', startRedis],
  ['startRedisProcess (spawned)', startRedisProcess],
] as const)('%s', (_name, start) => {
  it('answers PING on 127.0.0.1, and after stop() the port refuses connections and the dir is gone', async () => {
    const redis = await start();
    cleanups.push(() => redis.stop());
    expect(redis.host).toBe('127.0.0.1');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await redisCommand(redis.port, ['PING'])).toBe('PONG');
    expect(await redisCommand(redis.port, ['CONFIG', 'GET', 'bind'])).toEqual(['bind', '127.0.0.1']);
    expect(await redisCommand(redis.port, ['CONFIG', 'GET', 'dir'])).toEqual(['dir', redis.dir]);

    await redis.stop();
    await redis.stop(); // idempotent
    expect(await refused(redis.port)).toBe(true);
    expect(existsSync(redis.dir)).toBe(false);
    await expect(redis.restart()).rejects.toThrow(/stopped/);
  });

  it('keeps an fsynced key across kill(SIGKILL) + restart() on the same port and dir', async () => {
    const redis: RedisServerHandle = await start({
      args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    });
    cleanups.push(() => redis.stop());
    const { port, dir } = redis;
    const c = client(port);
    cleanups.push(async () => c.disconnect());
    expect(await c.set('survivor', 'v1')).toBe('OK');
    c.disconnect();

    await redis.kill('SIGKILL');
    expect(await refused(port)).toBe(true);
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.dir).toBe(dir);
    expect(await redisCommand(port, ['GET', 'survivor'])).toBe('v1');
  });

  it('pause() makes PING time out and resume() restores it', async () => {
    const redis = await start();
    cleanups.push(() => redis.stop());
    redis.pause();
    await expect(redisCommand(redis.port, ['PING'], 300)).rejects.toThrow(/timed out|timeout/i);
    redis.resume();
    expect(await redisCommand(redis.port, ['PING'], 1_000)).toBe('PONG');
  });
});

describe('startRedisProcess', () => {
  it('does not touch a caller-provided dir on stop and honours an explicit port', async () => {
    const port = await freePort();
    const outer = await startRedisProcess();
    cleanups.push(() => outer.stop());
    // Reuse the first server's dir for a second server: the second must leave it in place.
    const redis = await startRedisProcess({ port, dir: outer.dir });
    cleanups.push(() => redis.stop());
    expect(redis.port).toBe(port);
    await redis.stop();
    expect(existsSync(outer.dir)).toBe(true);
  });

  it('rejects with the reason when redis-server refuses its arguments, leaving nothing behind', async () => {
    const port = await freePort();
    const started = startRedisProcess({ port, args: ['--no-such-option', 'x'] });
    // The error carries redis-server's own complaint, and arrives without waiting out the deadline.
    await expect(started).rejects.toThrow(/did not start: process exited[\s\S]*no-such-option/);
    expect(await refused(port)).toBe(true);
  });
});

describe('a start that fails midway', () => {
  it.each([
    ['startCluster', () => startCluster({ startTimeoutMs: 300 })],
    ['startSentinelGroup', () => startSentinelGroup({ startTimeoutMs: 300 })],
  ] as const)(
    '%s stops every process it started and says what did not become ready',
    async (_name, start) => {
      const before = runningServerPids();
      await expect(start()).rejects.toThrow(/did not become ready|did not start|failed/);
      expect(runningServerPids()).toEqual(before);
    },
  );

  it('startCluster refuses fewer than 3 masters', async () => {
    await expect(startCluster({ masters: 2 })).rejects.toThrow(/masters must be an integer >= 3/);
  });
});

describe('startCluster', () => {
  it('3 masters: CLUSTER INFO ok, all slots covered, a Cluster client round-trips a key, stop() frees every port', async () => {
    const cluster = await startCluster();
    cleanups.push(() => cluster.stop());
    expect(cluster.nodes).toHaveLength(3);
    for (const { port } of cluster.nodes) {
      const info = String(await redisCommand(port, ['CLUSTER', 'INFO']));
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_slots_ok:16384');
    }
    const masters = await cluster.masters();
    expect(masters.map((m) => m.port).sort()).toEqual(cluster.nodes.map((n) => n.port).sort());
    const covered = masters.flatMap((m) => m.slots).reduce((sum, [from, to]) => sum + (to - from + 1), 0);
    expect(covered).toBe(16_384);
    expect(masters.every((m) => !m.failed)).toBe(true);

    const client = new Cluster(
      cluster.nodes.map(({ host, port }) => ({ host, port })),
      { redisOptions: { maxRetriesPerRequest: 1 } },
    );
    cleanups.push(async () => client.disconnect());
    // Keys in different hash slots, so that at least two masters are exercised.
    for (const key of ['alpha', 'beta', 'gamma', 'delta']) {
      expect(await client.set(key, `value-of-${key}`)).toBe('OK');
      expect(await client.get(key)).toBe(`value-of-${key}`);
    }
    client.disconnect();

    const first = cluster.nodes[0]!.port;
    expect(cluster.node(first).port).toBe(first);
    expect(() => cluster.node(1)).toThrow(/not a node/);
    await cluster.stop();
    for (const { port } of cluster.nodes) expect(await refused(port)).toBe(true);
  });

  it('with one replica per master: every replica linked; a SIGKILLed master fails over and rejoins on restart', async () => {
    const cluster = await startCluster({ replicasPerMaster: 1 });
    cleanups.push(() => cluster.stop());
    expect(cluster.nodes).toHaveLength(6);
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const masterPorts = new Set(masters.map((m) => m.port));
    // nodes lists masters first.
    expect(cluster.nodes.slice(0, 3).every((n) => masterPorts.has(n.port))).toBe(true);
    for (const { port } of cluster.nodes.slice(3)) {
      const replication = String(await redisCommand(port, ['INFO', 'replication']));
      expect(replication).toContain('role:slave');
      expect(replication).toContain('master_link_status:up');
    }

    // The short node timeout lets a replica take over a SIGKILLed master within seconds, and the old
    // master comes back on its port and dir as a replica.
    const victim = masters[0]!;
    await cluster.node(victim.port).kill('SIGKILL');
    let promoted: number | undefined;
    await waitUntil('a replica to take over the killed master', 20_000, async () => {
      const now = await cluster.masters();
      const owner = now.find((m) => m.slots.some(([from]) => from === victim.slots[0]![0]));
      promoted = owner !== undefined && !owner.failed && owner.port !== victim.port ? owner.port : undefined;
      return promoted !== undefined;
    });
    expect(masterPorts.has(promoted!)).toBe(false);
    await cluster.node(victim.port).restart();
    await waitUntil('the old master to rejoin as a replica', 20_000, async () => {
      const replication = String(await redisCommand(victim.port, ['INFO', 'replication']));
      return replication.includes('role:slave') && replication.includes(`master_port:${promoted}`);
    });
  });
});

describe('startSentinelGroup', () => {
  it('sentinels report the master, a { sentinels, name } client can SET/GET, stop() frees every port', async () => {
    const group = await startSentinelGroup();
    cleanups.push(() => group.stop());
    expect(group.name).toBe('mymaster');
    expect(group.sentinels).toHaveLength(3);
    expect(await group.currentMaster()).toEqual({ host: '127.0.0.1', port: group.master.port });
    for (const { port } of group.sentinels) {
      expect(await redisCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'])).toEqual([
        '127.0.0.1',
        String(group.master.port),
      ]);
    }
    const replication = String(await redisCommand(group.replica.port, ['INFO', 'replication']));
    expect(replication).toContain(`master_port:${group.master.port}`);

    const client = new Redis({ sentinels: group.sentinels, name: group.name, maxRetriesPerRequest: 1 });
    cleanups.push(async () => client.disconnect());
    expect(await client.set('via-sentinel', 'yes')).toBe('OK');
    expect(await client.get('via-sentinel')).toBe('yes');
    // The write went to the master the Sentinels named.
    expect(await redisCommand(group.master.port, ['GET', 'via-sentinel'])).toBe('yes');
    client.disconnect();

    const first = group.sentinels[0]!.port;
    expect(() => group.sentinel(1)).toThrow(/not a sentinel/);
    expect(group.sentinel(first).port).toBe(first);
    await group.stop();
    const ports = [...group.sentinels.map((s) => s.port), group.master.port, group.replica.port];
    for (const port of ports) expect(await refused(port)).toBe(true);
  });
});

describe('startSentinelGroup failover', () => {
  it('promotes the replica after the master is SIGKILLed, and every sentinel follows', async () => {
    const group = await startSentinelGroup({ downAfterMs: 1_000 });
    cleanups.push(() => group.stop());
    await group.master.kill('SIGKILL');
    await waitUntil('sentinels to promote the replica', 20_000, async () => {
      return (await group.currentMaster()).port === group.replica.port;
    });
    const replication = String(await redisCommand(group.replica.port, ['INFO', 'replication']));
    expect(replication).toContain('role:master');
    // Every sentinel agrees, which needs the quorum and writable config files.
    for (const { port } of group.sentinels) {
      await waitUntil(`sentinel ${port} to follow the failover`, 10_000, async () => {
        const reply = await redisCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group.name]);
        return Array.isArray(reply) && reply[1] === String(group.replica.port);
      });
    }
  });
});
