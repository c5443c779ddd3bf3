// The re-send fault of tests/faults/resend.test.ts and history-resend.test.ts: a write sits unanswered on
// the wire to a paused server (SIGSTOP: the kernel still takes what arrives, Redis answers nothing), the
// client destroys that socket, and the server is resumed. Redis then runs the first copy (already in its
// receive buffer) and whatever copy ioredis re-sent: a Cluster's `retryDelayOnFailover` re-send, or a
// standalone client's `autoResendUnfulfilledCommands`.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Cluster, Redis } from 'ioredis';
import { RedisSessionStore } from '../../src/index.js';
import { sessionKey } from '../../src/redis/keys.js';
import { type ClusterHandle, startCluster } from './redis-cluster.js';
import { type RedisServerHandle, waitUntil } from './redis-process.js';
import { redisCommand } from './redis-resp.js';
import { startRedis } from './redis-standalone.js';

/** How long a paused server stays paused after the client dropped its socket, in ms: longer than the
 * Cluster's `retryDelayOnFailover` (100), so the re-send is on the wire behind the first copy; well below
 * the store's 2000 ms command timeout and the 2000 ms cluster-node-timeout (no failover, no replicas). */
const PAUSE_MS = 400;
/** Time for every copy to run once the server is back, in ms. */
const SETTLE_MS = 1_500;

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** How `call` ended, as a value: never rejects. */
export const settle = (call: Promise<unknown>): Promise<Outcome> =>
  call.then(
    (value): Outcome => ({ ok: true, value }),
    (error: unknown): Outcome => ({ ok: false, error }),
  );

/** An ioredis connection's internals the re-send fault needs: commands written and unanswered, socket. */
export type Connection = Redis & { commandQueue: { length: number }; stream: { destroy(): void } };

/** Registers a cleanup for the test's afterEach, which runs them in reverse order. */
export type Track = (cleanup: () => Promise<unknown>) => void;

/**
 * Runs `write` (a single write) while `server` is paused, drops `connection`'s socket once the write is on
 * the wire, resumes the server after PAUSE_MS and lets every copy run; resolves with how the call ended.
 */
export async function dropMidWrite(
  connection: Connection,
  server: Pick<RedisServerHandle, 'pause' | 'resume'>,
  write: () => Promise<unknown>,
): Promise<Outcome> {
  server.pause();
  try {
    const pending = settle(write());
    await waitUntil('the write on the wire', 1_000, async () => connection.commandQueue.length > 0);
    connection.stream.destroy();
    await sleep(PAUSE_MS);
    server.resume();
    const outcome = await pending;
    await sleep(SETTLE_MS);
    return outcome;
  } finally {
    server.resume();
  }
}

/** A 3-master cluster, the store under test, and a second store (never faulted) to read outcomes. */
export async function clusterStores(
  keyPrefix: string,
  track: Track,
): Promise<{ cluster: ClusterHandle; store: RedisSessionStore; reader: RedisSessionStore }> {
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
  track(() => cluster.stop());
  const store = new RedisSessionStore({ cluster: { nodes: cluster.nodes }, keyPrefix });
  track(() => store.close());
  const reader = new RedisSessionStore({ cluster: { nodes: cluster.nodes }, keyPrefix });
  track(() => reader.close());
  return { cluster, store, reader };
}

/**
 * The Cluster store's connection to the master owning session `id` (under `keyPrefix`), and that master.
 * The store must already have connected to every master (one call to each is enough).
 */
export async function ownerOf(
  cluster: ClusterHandle,
  store: RedisSessionStore,
  keyPrefix: string,
  id: string,
): Promise<{ connection: Connection; server: Pick<RedisServerHandle, 'pause' | 'resume'> }> {
  const masters = await cluster.masters();
  const slot = Number(
    await redisCommand(masters[0]?.port as number, ['CLUSTER', 'KEYSLOT', sessionKey(keyPrefix, id)]),
  );
  const owner = masters.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to))?.port;
  // ioredis Cluster: one Redis per node, named by `options.port`.
  const connection = (store.client as Cluster).nodes('master').find((n) => n.options.port === owner) as
    | Connection
    | undefined;
  if (owner === undefined || connection === undefined) throw new Error(`no connection to the owner of ${id}`);
  return { connection, server: cluster.node(owner) };
}

/**
 * A standalone server, a client of the caller's with ioredis defaults (autoResendUnfulfilledCommands and
 * an offline queue, which the store cannot change), the store under test over that client, and a second
 * store on its own connection to read outcomes.
 */
export async function defaultsClientStores(
  keyPrefix: string,
  track: Track,
): Promise<{
  server: RedisServerHandle;
  client: Connection;
  store: RedisSessionStore;
  reader: RedisSessionStore;
}> {
  const server = await startRedis();
  track(() => server.stop());
  const client = new Redis(server.url) as Connection;
  client.on('error', () => {});
  track(async () => client.disconnect());
  const store = new RedisSessionStore({ client, keyPrefix });
  track(() => store.close());
  const reader = new RedisSessionStore({ url: server.url, keyPrefix });
  track(() => reader.close());
  return { server, client, store, reader };
}
