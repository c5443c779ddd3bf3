// One master, one replica and three Sentinels on loopback ports. Sentinels run as `redis-server <conf>
// --sentinel`: the same binary, so no separate redis-sentinel executable is needed.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './redis-ports.js';
import {
  GROUP_START_MS,
  HOST,
  makeTempDir,
  type RedisServerHandle,
  removeTempDir,
  startMany,
  stopAll,
  waitUntil,
} from './redis-process.js';
import { pairs, parseInfo, redisCommand } from './redis-resp.js';
import { startRedisProcess } from './redis-standalone.js';

export interface SentinelHandle {
  /** The monitored master group's name. */
  name: string;
  /** The three Sentinels, in start order. */
  sentinels: { host: string; port: number }[];
  /** The server that was master when the group became ready (after a failover it may be a replica). */
  master: RedisServerHandle;
  /** The server that was the replica when the group became ready. */
  replica: RedisServerHandle;
  /** The master address according to the first Sentinel that answers. */
  currentMaster(): Promise<{ host: string; port: number }>;
  /** The process behind one Sentinel, to kill, pause or restart it; throws for an unknown port. */
  sentinel(port: number): RedisServerHandle;
  /** Stops the Sentinels, then the servers, and removes every dir. Idempotent. */
  stop(): Promise<void>;
}

export interface SentinelGroupOptions {
  /** Master group name. Default `mymaster`. */
  name?: string;
  /** `down-after-milliseconds`: how long a silent master takes to count as down. Default 2000. */
  downAfterMs?: number;
  /** `failover-timeout` in milliseconds; a failed failover is retried after twice this. Default 5000. */
  failoverTimeoutMs?: number;
  /** Extra redis-server arguments for the master and the replica. */
  args?: string[];
  /** Time allowed for the whole group to become ready, in milliseconds. Default 45000. */
  startTimeoutMs?: number;
}

const SENTINEL_QUORUM = 2;
const SENTINEL_COUNT = 3;

/**
 * One master, one replica and three Sentinels (quorum 2), all on 127.0.0.1. Resolves once every
 * Sentinel reports the master, sees the replica with a working link, knows the two other Sentinels,
 * and `SENTINEL CKQUORUM` confirms a failover could be authorised.
 */
export async function startSentinelGroup(options?: SentinelGroupOptions): Promise<SentinelHandle> {
  const name = options?.name ?? 'mymaster';
  const downAfterMs = options?.downAfterMs ?? 2_000;
  const failoverTimeoutMs = options?.failoverTimeoutMs ?? 5_000;
  const startTimeoutMs = options?.startTimeoutMs ?? GROUP_START_MS;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new TypeError(`startSentinelGroup: name must match [A-Za-z0-9_.-]+, got ${JSON.stringify(name)}`);
  }
  const deadline = Date.now() + startTimeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  // Replicas sync at once instead of after the default 5 s diskless-sync grace period.
  const serverArgs = ['--repl-diskless-sync-delay', '0', ...(options?.args ?? [])];

  const started: RedisServerHandle[] = [];
  const sentinelDirs: string[] = [];
  const cleanup = async () => {
    // Sentinels first, so that none of them reacts to the servers going away.
    await stopAll(started.slice(2));
    await stopAll(started.slice(0, 2));
    for (const dir of sentinelDirs) removeTempDir(dir);
  };

  try {
    const master = await startRedisProcess({ args: serverArgs, startTimeoutMs: remaining() });
    started.push(master);
    const replica = await startRedisProcess({
      args: [...serverArgs, '--replicaof', HOST, String(master.port)],
      startTimeoutMs: remaining(),
    });
    started.push(replica);
    // Sentinels learn replicas from the master's INFO, which they read once on connect and then only
    // every 10 s: the replica must be attached before they start, or discovery waits for that period.
    await waitUntil(`replica ${replica.port} of master ${master.port}`, remaining(), async () => {
      const replication = parseInfo(await redisCommand(replica.port, ['INFO', 'replication']));
      const masterSide = parseInfo(await redisCommand(master.port, ['INFO', 'replication']));
      return replication.get('master_link_status') === 'up' && masterSide.get('connected_slaves') === '1';
    });

    const sentinels = await startMany(SENTINEL_COUNT, async () => {
      const port = await freePort();
      const dir = makeTempDir('sentinel');
      sentinelDirs.push(dir);
      // Sentinel rewrites this file (its id, discovered peers, epochs), so it lives in a writable dir.
      const config = path.join(dir, 'sentinel.conf');
      writeFileSync(
        config,
        [
          `sentinel monitor ${name} ${HOST} ${master.port} ${SENTINEL_QUORUM}`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      return startRedisProcess({ port, dir, sentinelConfig: config, startTimeoutMs: remaining() });
    });
    started.push(...sentinels);

    let lastView = '';
    await waitUntil(
      `sentinel group ${name} (master ${master.port}, replica ${replica.port}, sentinels ${sentinels
        .map((s) => s.port)
        .join(', ')})`,
      remaining(),
      async () => {
        for (const sentinel of sentinels) {
          const state = pairs(await redisCommand(sentinel.port, ['SENTINEL', 'MASTER', name]));
          lastView = `sentinel ${sentinel.port} master: ${[...state].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (state.get('port') !== String(master.port) || state.get('flags') !== 'master') return false;
          if (
            state.get('num-slaves') !== '1' ||
            state.get('num-other-sentinels') !== String(SENTINEL_COUNT - 1)
          ) {
            return false;
          }
          const replicaStates = (await redisCommand(sentinel.port, [
            'SENTINEL',
            'REPLICAS',
            name,
          ])) as unknown[];
          const seen = pairs(replicaStates[0]);
          lastView = `sentinel ${sentinel.port} replica: ${[...seen].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (seen.get('port') !== String(replica.port) || seen.get('flags') !== 'slave') return false;
          if (seen.get('master-link-status') !== 'ok') return false;
          const peers = (await redisCommand(sentinel.port, ['SENTINEL', 'SENTINELS', name])) as unknown[];
          lastView = `sentinel ${sentinel.port} peers: ${peers.map((peer) => pairs(peer).get('flags')).join(', ')}`;
          if (peers.length !== SENTINEL_COUNT - 1) return false;
          if (!peers.every((peer) => pairs(peer).get('flags') === 'sentinel')) return false;
          lastView = `sentinel ${sentinel.port}: SENTINEL CKQUORUM failed`;
          await redisCommand(sentinel.port, ['SENTINEL', 'CKQUORUM', name]);
        }
        return true;
      },
      () => lastView,
    );

    const byPort = new Map(sentinels.map((sentinel) => [sentinel.port, sentinel]));
    let stopped: Promise<void> | undefined;
    return {
      name,
      sentinels: sentinels.map((sentinel) => ({ host: HOST, port: sentinel.port })),
      master,
      replica,
      async currentMaster() {
        let lastError: unknown;
        for (const sentinel of sentinels) {
          try {
            const reply = await redisCommand(
              sentinel.port,
              ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name],
              500,
            );
            if (Array.isArray(reply) && reply.length === 2) {
              return { host: String(reply[0]), port: Number(reply[1]) };
            }
            lastError = new Error(`sentinel ${sentinel.port} answered ${JSON.stringify(reply)}`);
          } catch (error) {
            lastError = error;
          }
        }
        throw new Error(`no sentinel reported the master of ${name} (last: ${String(lastError)})`);
      },
      sentinel(port) {
        const handle = byPort.get(port);
        if (handle === undefined) throw new Error(`port ${port} is not a sentinel of this group`);
        return handle;
      },
      stop() {
        stopped ??= cleanup();
        return stopped;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
