// A write in flight when its connection drops must be applied once. ioredis can send such a write twice:
// a Cluster rejects every command queued on a closed node connection with the same "Connection is closed."
// error, written or not, and the store's `retryDelayOnFailover` re-sends it ~100 ms later on a new
// connection; a standalone client with ioredis's default `autoResendUnfulfilledCommands` re-sends the
// unanswered commands once it has reconnected. Scenario: the server owning a session is paused (SIGSTOP:
// the kernel still takes what arrives on its sockets, Redis answers nothing), the write is sent and sits on
// the wire unanswered, the client destroys that socket, and the server is resumed. Redis then runs the
// first copy (already in its receive buffer) and the re-sent one: without operation ids an increment
// counts twice and a versioned update conflicts with itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { isSessionConflictError, RedisSessionStore } from '../../src/index.js';
import { sessionKey } from '../../src/redis/keys.js';
import { type ClusterHandle, type ClusterMaster, startCluster } from '../helpers/redis-cluster.js';
import { type RedisServerHandle, waitUntil } from '../helpers/redis-process.js';
import { redisCommand } from '../helpers/redis-resp.js';
import { startRedis } from '../helpers/redis-standalone.js';
import { describeError } from './load.js';

/** Faults per test, each asserted on its own. */
const ATTEMPTS = 5;
/** How long the owning master stays paused after its connection dropped, in milliseconds: longer than
 * `retryDelayOnFailover` (100), so the re-send is on the wire behind the first copy; well below the
 * store's 2000 ms command timeout and the 2000 ms cluster-node-timeout (no failover, no replicas). */
const PAUSE_MS = 400;
/** Time for every copy to run once the master is back, in milliseconds. */
const SETTLE_MS = 1_500;
const PREFIX = 'cresend:';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A 3-master cluster, the store under test, and a second store (never faulted) to read outcomes. */
async function setup(): Promise<{
  cluster: ClusterHandle;
  store: RedisSessionStore;
  reader: RedisSessionStore;
}> {
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
  cleanups.push(() => cluster.stop());
  const store = new RedisSessionStore({ cluster: { nodes: cluster.nodes }, keyPrefix: PREFIX });
  cleanups.push(() => store.close());
  const reader = new RedisSessionStore({ cluster: { nodes: cluster.nodes }, keyPrefix: PREFIX });
  cleanups.push(() => reader.close());
  return { cluster, store, reader };
}

/** An ioredis connection's internals this test needs: the commands written and not yet answered, and
 * its socket. */
type Connection = Redis & { commandQueue: { length: number }; stream: { destroy(): void } };

/** The Cluster store's connection to the master owning session `id`, and that master. */
async function ownerOf(
  cluster: ClusterHandle,
  store: RedisSessionStore,
  id: string,
): Promise<{ connection: Connection; server: Pick<RedisServerHandle, 'pause' | 'resume'> }> {
  const masters: ClusterMaster[] = await cluster.masters();
  const slot = Number(
    await redisCommand(masters[0]?.port as number, ['CLUSTER', 'KEYSLOT', sessionKey(PREFIX, id)]),
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
 * Runs `write` (a single write) while `connection` to the paused `server` drops with the command written
 * and unanswered; resolves with how the call ended.
 */
async function dropMidWrite(
  connection: Connection,
  server: Pick<RedisServerHandle, 'pause' | 'resume'>,
  write: () => Promise<unknown>,
): Promise<Outcome> {
  server.pause();
  try {
    const pending = write().then(
      (value): Outcome => ({ ok: true, value }),
      (error: unknown): Outcome => ({ ok: false, error }),
    );
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

function describeOutcome(outcome: Outcome): string {
  if (!outcome.ok) return `rejected: ${describeError(outcome.error)}`;
  // A session (update): its version is what matters here; a number (incrementCounter) as it is.
  const value = outcome.value as { version?: number } | number | null;
  return `resolved ${typeof value === 'object' && value !== null ? `version ${value.version}` : String(value)}`;
}

/**
 * One increment under a dropped connection, checked: resolved means applied exactly once with the stored
 * value returned; rejected means applied at most once. `drop` runs the write under the fault.
 */
async function checkIncrementOnce(
  label: string,
  attempt: number,
  store: RedisSessionStore,
  reader: RedisSessionStore,
  id: string,
  drop: (write: () => Promise<unknown>) => Promise<Outcome>,
): Promise<void> {
  await store.set(id, { messageCount: 10 });
  // Warm-up: the script is loaded and the connection is up before the fault.
  await store.incrementCounter(id, 'messageCount');
  const before = (await reader.get(id))?.messageCount as number;
  const outcome = await drop(() => store.incrementCounter(id, 'messageCount'));
  const after = (await reader.get(id))?.messageCount;
  const what = `attempt ${attempt}: ${describeOutcome(outcome)}, messageCount ${before} -> ${after}`;
  console.log(`[faults] ${label} re-send, increment:`, what);
  if (outcome.ok) {
    expect.soft(after, what).toBe(before + 1);
    expect.soft(outcome.value, what).toBe(after);
  } else {
    expect.soft(after, what).toBeLessThanOrEqual(before + 1);
  }
}

describe('Redis Cluster: a write in flight when its node connection drops', () => {
  it('incrementCounter is applied once, not once per send', async () => {
    const { cluster, store, reader } = await setup();
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const id = `inc-${attempt}`;
      const { connection, server } = await ownerOf(cluster, store, id);
      await checkIncrementOnce('cluster', attempt, store, reader, id, (write) =>
        dropMidWrite(connection, server, write),
      );
    }
  });

  it('update with expectedVersion does not conflict with its own re-send', async () => {
    const { cluster, store, reader } = await setup();
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const id = `upd-${attempt}`;
      await store.set(id, { metadata: { step: 0 } });
      await store.update(id, { metadata: { step: 1 } });
      const before = (await reader.get(id))?.version as number;
      const { connection, server } = await ownerOf(cluster, store, id);
      const outcome = await dropMidWrite(connection, server, () =>
        store.update(id, { metadata: { step: 2 } }, { expectedVersion: before }),
      );
      const stored = await reader.get(id);
      const what = `attempt ${attempt}: ${describeOutcome(outcome)}, version ${before} -> ${stored?.version}, step ${JSON.stringify(stored?.metadata.step)}`;
      console.log('[faults] cluster re-send, versioned update:', what);
      // Nobody else writes the session: a conflict can only be the write colliding with itself.
      expect.soft(!outcome.ok && isSessionConflictError(outcome.error), what).toBe(false);
      if (outcome.ok) {
        expect.soft(stored?.version, what).toBe(before + 1);
        expect.soft(stored?.metadata.step, what).toBe(2);
      } else {
        expect.soft(stored?.version, what).toBeLessThanOrEqual(before + 1);
      }
    }
  });
});

describe('a standalone client of yours with ioredis defaults, which re-sends after a reconnect', () => {
  it('incrementCounter, getOrCreate, set and delete are applied once', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    // ioredis defaults: autoResendUnfulfilledCommands and an offline queue. The store cannot change them.
    const client = new Redis(server.url) as Connection;
    client.on('error', () => {});
    cleanups.push(async () => client.disconnect());
    const store = new RedisSessionStore({ client, keyPrefix: PREFIX });
    cleanups.push(() => store.close());
    const reader = new RedisSessionStore({ url: server.url, keyPrefix: PREFIX });
    cleanups.push(() => reader.close());
    expect((await store.getStats()).operationIds).toBe(true);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const id = `solo-${attempt}`;
      await checkIncrementOnce('standalone', attempt, store, reader, id, (write) =>
        dropMidWrite(client, server, write),
      );
      // A creating getOrCreate sent twice still reports that it created the session.
      const created = await dropMidWrite(client, server, () => store.getOrCreate(`${id}-new`));
      const how = `attempt ${attempt}: getOrCreate ${created.ok ? `created ${(created.value as { created: boolean }).created}` : `rejected: ${describeError(created.error)}`}`;
      console.log('[faults] standalone re-send, getOrCreate:', how);
      if (created.ok) expect.soft((created.value as { created: boolean }).created, how).toBe(true);
      // A replacing set sent twice counts the version up once, and returns what is stored.
      const before = (await reader.get(id))?.version as number;
      const replaced = await dropMidWrite(client, server, () =>
        store.set(id, { userId: `again-${attempt}` }),
      );
      const stored = await reader.get(id, { touch: false });
      const said = `attempt ${attempt}: set ${describeOutcome(replaced)}, version ${before} -> ${stored?.version}`;
      console.log('[faults] standalone re-send, set:', said);
      if (replaced.ok) {
        expect.soft(stored?.version, said).toBe(before + 1);
        expect.soft((replaced.value as { version: number }).version, said).toBe(stored?.version);
        expect.soft(stored?.userId, said).toBe(`again-${attempt}`);
      } else {
        expect.soft(stored?.version, said).toBeLessThanOrEqual(before + 1);
      }
      // A delete sent twice still reports that it deleted the session.
      const deleted = await dropMidWrite(client, server, () => store.delete(id));
      const gone = !(await reader.exists(id));
      const told = `attempt ${attempt}: delete ${deleted.ok ? `resolved ${String(deleted.value)}` : `rejected: ${describeError(deleted.error)}`}, gone ${gone}`;
      console.log('[faults] standalone re-send, delete:', told);
      if (deleted.ok) {
        expect.soft(deleted.value, told).toBe(true);
        expect.soft(gone, told).toBe(true);
      }
    }
  });
});
