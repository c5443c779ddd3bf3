// A Redis Cluster on loopback ports, created with `redis-cli --cluster create` and polled until every
// node agrees on a healthy topology.
import { execFile } from 'node:child_process';
import { redisBinaries } from './redis-binaries.js';
import {
  GROUP_START_MS,
  HOST,
  type RedisServerHandle,
  startMany,
  stopAll,
  waitUntil,
} from './redis-process.js';
import { parseInfo, redisCommand, replicasCaughtUp } from './redis-resp.js';
import { startRedisProcess } from './redis-standalone.js';

/** Runs redis-cli with `args`; rejects with its output when it fails or outlives `timeoutMs`. */
export function runRedisCli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      redisBinaries().cli,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

export interface ClusterMaster {
  host: string;
  port: number;
  /** Inclusive slot ranges this master owns. */
  slots: [number, number][];
  /** The node answering the query has flagged this master as failed (`fail`), e.g. after a kill. */
  failed: boolean;
}

export interface ClusterHandle {
  /** Every node, masters first, in the roles they had when the cluster became ready. */
  nodes: { host: string; port: number }[];
  /** Slot-owning masters as seen by the first node that answers `CLUSTER NODES`. */
  masters(): Promise<ClusterMaster[]>;
  /** The process behind one node, to kill, pause or restart it; throws for an unknown port. */
  node(port: number): RedisServerHandle;
  /** Stops every node and removes their dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Number of masters; redis-cli needs at least 3. Default 3. */
  masters?: number;
  /** Replicas per master. Default 0. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in milliseconds: how fast a silent node is flagged failed. Default 2000. */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node. */
  args?: string[];
  /** Time allowed for the whole cluster to become ready, in milliseconds. Default 45000. */
  startTimeoutMs?: number;
}

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  /** `connected` or `disconnected`: the cluster-bus link to this node. */
  link: string;
  slots: [number, number][];
}

/** Parses `CLUSTER NODES`; slot fields such as `[123->-id]` (migrations) are skipped. */
function parseClusterNodes(text: unknown): NodeLine[] {
  return String(text)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , link = '', ...slotFields] =
        line.split(' ');
      const port = Number(address.split('@')[0]?.split(':')[1]);
      const slots: [number, number][] = [];
      for (const field of slotFields) {
        if (field.startsWith('[')) continue;
        const [from, to] = field.split('-');
        slots.push([Number(from), Number(to ?? from)]);
      }
      return { id, port, flags: flags.split(','), masterId, link, slots };
    });
}

/**
 * A Redis Cluster of `masters` masters with `replicasPerMaster` replicas each, every node in its own
 * temp dir, created with `redis-cli --cluster create`. Resolves once every node reports
 * `cluster_state:ok`, all 16384 slots served, every node known, every replica's link up, and every
 * master's replicas online and caught up with its replication offset (WAIT counts them at once).
 */
export async function startCluster(options?: ClusterOptions): Promise<ClusterHandle> {
  const masterCount = options?.masters ?? 3;
  const replicas = options?.replicasPerMaster ?? 0;
  const nodeTimeoutMs = options?.nodeTimeoutMs ?? 2_000;
  const startTimeoutMs = options?.startTimeoutMs ?? GROUP_START_MS;
  if (!Number.isInteger(masterCount) || masterCount < 3) {
    throw new TypeError(
      `startCluster: masters must be an integer >= 3 (redis-cli refuses fewer), got ${masterCount}`,
    );
  }
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new TypeError(`startCluster: replicasPerMaster must be a nonnegative integer, got ${replicas}`);
  }
  const total = masterCount * (1 + replicas);
  const deadline = Date.now() + startTimeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());

  const handles = await startMany(total, async () =>
    startRedisProcess({
      args: [
        '--cluster-enabled',
        'yes',
        // Relative to the node's own dir (redis-server runs there), so nodes never share the file.
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--appendonly',
        'no',
        // Replicas sync at once instead of after the default 5 s diskless-sync grace period.
        '--repl-diskless-sync-delay',
        '0',
        ...(options?.args ?? []),
      ],
      startTimeoutMs: remaining(),
    }),
  );
  const byPort = new Map(handles.map((handle) => [handle.port, handle]));

  let nodes: { host: string; port: number }[];
  try {
    await runRedisCli(
      [
        '--cluster',
        'create',
        ...handles.map((handle) => `${HOST}:${handle.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      remaining(),
    );
    let lastView = '';
    await waitUntil(
      `cluster of ${total} nodes (${masterCount} masters, ${replicas} replicas each)`,
      remaining(),
      async () => {
        for (const handle of handles) {
          const info = parseInfo(await redisCommand(handle.port, ['CLUSTER', 'INFO']));
          lastView = `node ${handle.port}: ${[...info].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (info.get('cluster_state') !== 'ok') return false;
          if (info.get('cluster_slots_ok') !== '16384') return false;
          if (info.get('cluster_known_nodes') !== String(total)) return false;
          if (info.get('cluster_size') !== String(masterCount)) return false;
          const replication = parseInfo(await redisCommand(handle.port, ['INFO', 'replication']));
          lastView = `node ${handle.port}: ${[...replication].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (replication.get('role') === 'slave' && replication.get('master_link_status') !== 'up')
            return false;
          if (
            replication.get('role') === 'master' &&
            (replication.get('connected_slaves') !== String(replicas) ||
              !(await replicasCaughtUp(handle.port, replicas)))
          ) {
            return false;
          }
          // Roles travel by gossip: a replica can still look like an empty master to some peer. Clients
          // read the topology from any node, so every node's view must be complete and healthy.
          const view = parseClusterNodes(await redisCommand(handle.port, ['CLUSTER', 'NODES']));
          lastView = `node ${handle.port} sees:\n${view
            .map((line) => `${line.port} ${line.flags.join(',')} ${line.link} ${line.slots.length} ranges`)
            .join('\n')}`;
          const healthy = view.filter(
            (line) =>
              line.link === 'connected' &&
              !line.flags.some((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag)),
          );
          const servingMasters = healthy.filter(
            (line) => line.flags.includes('master') && line.slots.length > 0,
          );
          const linkedReplicas = healthy.filter((line) => line.flags.includes('slave'));
          if (servingMasters.length !== masterCount || linkedReplicas.length !== total - masterCount)
            return false;
        }
        return true;
      },
      () => lastView,
    );
    const view = parseClusterNodes(await redisCommand(handles[0]!.port, ['CLUSTER', 'NODES']));
    const ordered = [...view].sort(
      (a, b) => Number(b.flags.includes('master')) - Number(a.flags.includes('master')) || a.port - b.port,
    );
    nodes = ordered.map((line) => ({ host: HOST, port: line.port }));
  } catch (error) {
    await stopAll(handles);
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    nodes,
    async masters() {
      let lastError: unknown;
      for (const handle of handles) {
        try {
          const view = parseClusterNodes(await redisCommand(handle.port, ['CLUSTER', 'NODES'], 500));
          return view
            .filter((line) => line.flags.includes('master') && line.slots.length > 0)
            .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0))
            .map((line) => ({
              host: HOST,
              port: line.port,
              slots: line.slots,
              failed: line.flags.includes('fail'),
            }));
        } catch (error) {
          lastError = error;
        }
      }
      throw new Error(`no cluster node answered CLUSTER NODES (last: ${String(lastError)})`);
    },
    node(port) {
      const handle = byPort.get(port);
      if (handle === undefined) throw new Error(`port ${port} is not a node of this cluster`);
      return handle;
    },
    stop() {
      stopped ??= stopAll(handles);
      return stopped;
    },
  };
}
