// A write in flight when its connection drops must be applied once. ioredis can send such a write twice:
// a Cluster rejects every command queued on a closed node connection with the same "Connection is closed."
// error, written or not, and the store's `retryDelayOnFailover` re-sends it ~100 ms later on a new
// connection; a standalone client with ioredis's default `autoResendUnfulfilledCommands` re-sends the
// unanswered commands once it has reconnected. Scenario: the server owning a session is paused (SIGSTOP:
// the kernel still takes what arrives on its sockets, Redis answers nothing), the write is sent and sits on
// the wire unanswered, the client destroys that socket, and the server is resumed. Redis then runs the
// first copy (already in its receive buffer) and the re-sent one: without operation ids an increment
// counts twice and a versioned update conflicts with itself.
import { afterEach, describe, expect, it } from 'vitest';
import { isSessionConflictError, type RedisSessionStore } from '../../src/index.js';
import {
  clusterStores,
  defaultsClientStores,
  dropMidWrite,
  type Outcome,
  ownerOf,
} from '../helpers/resend.js';
import { describeError } from './load.js';

/** Faults per test, each asserted on its own. */
const ATTEMPTS = 5;
const PREFIX = 'cresend:';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const track = (cleanup: () => Promise<unknown>) => {
  cleanups.push(cleanup);
};

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
    const { cluster, store, reader } = await clusterStores(PREFIX, track);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const id = `inc-${attempt}`;
      const { connection, server } = await ownerOf(cluster, store, PREFIX, id);
      await checkIncrementOnce('cluster', attempt, store, reader, id, (write) =>
        dropMidWrite(connection, server, write),
      );
    }
  });

  it('update with expectedVersion does not conflict with its own re-send', async () => {
    const { cluster, store, reader } = await clusterStores(PREFIX, track);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const id = `upd-${attempt}`;
      await store.set(id, { metadata: { step: 0 } });
      await store.update(id, { metadata: { step: 1 } });
      const before = (await reader.get(id))?.version as number;
      const { connection, server } = await ownerOf(cluster, store, PREFIX, id);
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
    const { server, client, store, reader } = await defaultsClientStores(PREFIX, track);
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
