// An append whose reply is lost must be applied once (issue 11, item 4; DESIGN §9 "operationId").
// Two ways it comes back: the caller retries with the same `operationId` (the store's own connection never
// re-sends), or ioredis re-sends it by itself (a Cluster after a node connection closed; a standalone
// client of yours with ioredis defaults), where the store's internal operation id must make the second
// copy a replay. The faults, precisely:
// - reply lost: a TCP proxy between the store and Redis forwards the call, the script runs, and the proxy
//   closes the client's socket instead of passing the reply on: the caller sees a dropped connection and
//   cannot know that the items are stored.
// - re-send: the owning server is paused (SIGSTOP), the call sits on the wire unanswered, the client
//   destroys its socket, the server is resumed and runs the first copy, then the re-sent one (as in
//   resend.test.ts).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type JsonObject, RedisSessionStore } from '../../src/index.js';
import { HOST, waitUntil } from '../helpers/redis-process.js';
import { startRedis } from '../helpers/redis-standalone.js';
import {
  clusterStores,
  defaultsClientStores,
  dropMidWrite,
  type Outcome,
  ownerOf,
  settle,
} from '../helpers/resend.js';
import { describeError } from './load.js';

/** Faults per test, each asserted on its own. */
const ATTEMPTS = 5;
const PREFIX = 'hresend:';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const track = (cleanup: () => Promise<unknown>) => {
  cleanups.push(cleanup);
};

const describeOutcome = (o: Outcome) =>
  o.ok ? `resolved ${JSON.stringify(o.value)}` : `rejected: ${describeError(o.error)}`;

/** The items of one call, marked so that the log shows how many times the call was applied. */
const batch = (mark: string): JsonObject[] =>
  [0, 1, 2].map((i) => ({ role: 'user', content: `${mark}:${i}` }));

/** How many times `mark`'s batch is in `log` (3 items each); -1 when its items are not one whole batch. */
function copiesOf(log: readonly JsonObject[], mark: string): number {
  const found = log.filter((item) => String(item.content).startsWith(`${mark}:`)).length;
  return found % 3 === 0 ? found / 3 : -1;
}

/**
 * A TCP proxy to `port` that passes both ways until `dropNextReply()` is armed; then the next bytes
 * Redis sends are thrown away and the client's socket is closed, as a connection that dies after the
 * server ran the command but before its reply got back.
 */
async function replyDroppingProxy(port: number) {
  const sockets = new Set<net.Socket>();
  let armed: (() => void) | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect(port, HOST);
    sockets.add(client).add(upstream);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (armed === undefined) {
        client.write(chunk);
        return;
      }
      const done = armed;
      armed = undefined;
      client.destroy();
      upstream.destroy();
      done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    url: `redis://${HOST}:${(server.address() as net.AddressInfo).port}`,
    /** Resolves once a reply has been thrown away (the command it answers has run). */
    dropNextReply: () =>
      new Promise<void>((resolve) => {
        armed = resolve;
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a retry with the same operationId after the reply was lost', () => {
  it('appendItems is applied once and the retry returns the first outcome', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const proxy = await replyDroppingProxy(server.port);
    cleanups.push(() => proxy.close());
    const store = new RedisSessionStore({ url: proxy.url, keyPrefix: PREFIX });
    cleanups.push(() => store.close());
    const reader = new RedisSessionStore({ url: server.url, keyPrefix: PREFIX });
    cleanups.push(() => reader.close());
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const id = `retry-${attempt}`;
      // Warm-up: the session, the script and the connection exist before the fault.
      await store.appendItems(id, batch('before'));
      const before = (await reader.getItems(id, { touch: false })).length;
      const operationId = `op-${attempt}`;
      const dropped = proxy.dropNextReply();
      const first = await settle(store.appendItems(id, batch('once'), { operationId }));
      await dropped;
      // The store's own connection never re-sends: the caller learns nothing but a failure.
      const stored = (await reader.getItems(id, { touch: false })).length;
      // The retry a caller makes, once the store has its connection back.
      await waitUntil('the store reconnected', 10_000, () => store.ping().catch(() => false));
      const retried = await settle(store.appendItems(id, batch('once'), { operationId }));
      const log = await reader.getItems(id, { touch: false });
      const what =
        `attempt ${attempt}: first ${describeOutcome(first)}, length ${before} -> ${stored} before the ` +
        `retry; retry ${describeOutcome(retried)}, length ${log.length}, copies ${copiesOf(log, 'once')}`;
      console.log('[faults] history retry after a lost reply:', what);
      expect.soft(first.ok, what).toBe(false);
      // The first call ran: its reply was on its way back when the proxy dropped it.
      expect.soft(stored, what).toBe(before + 3);
      expect.soft(retried, what).toEqual({ ok: true, value: before + 3 });
      expect.soft(log.length, what).toBe(before + 3);
      expect.soft(copiesOf(log, 'once'), what).toBe(1);
      // A later append with a new id is an ordinary append again.
      expect
        .soft(await store.appendItems(id, batch('after'), { operationId: `${operationId}-next` }), what)
        .toBe(before + 6);
    }
  });
});

/**
 * One append under a re-send, checked: resolved means applied exactly once and the length returned is the
 * stored one; rejected means applied at most once.
 */
async function checkAppendOnce(
  label: string,
  attempt: number,
  store: RedisSessionStore,
  reader: RedisSessionStore,
  id: string,
  options: { operationId?: string },
  drop: (write: () => Promise<unknown>) => Promise<Outcome>,
): Promise<void> {
  await store.appendItems(id, batch('before'));
  const before = (await reader.getItems(id, { touch: false })).length;
  const outcome = await drop(() => store.appendItems(id, batch('once'), options));
  const log = await reader.getItems(id, { touch: false });
  const copies = copiesOf(log, 'once');
  const what = `attempt ${attempt}: ${describeOutcome(outcome)}, length ${before} -> ${log.length}, copies ${copies}`;
  console.log(`[faults] ${label}:`, what);
  if (outcome.ok) {
    expect.soft(copies, what).toBe(1);
    expect.soft(outcome.value, what).toBe(log.length);
    expect.soft(log.length, what).toBe(before + 3);
  } else {
    expect.soft([0, 1], what).toContain(copies);
  }
}

describe('Redis Cluster: an append in flight when its node connection drops', () => {
  it('appendItems (internal operation id) is applied once, not once per send', async () => {
    const { cluster, store, reader } = await clusterStores(PREFIX, track);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const id = `capp-${attempt}`;
      // A first call makes sure the connection to every master exists.
      await store.appendItems(id, batch('warm'));
      // The master owning the session's slot (its items share it), and the store's connection to it.
      const { connection, server } = await ownerOf(cluster, store, PREFIX, id);
      await checkAppendOnce('cluster re-send, appendItems', attempt, store, reader, id, {}, (write) =>
        dropMidWrite(connection, server, write),
      );
    }
  });
});

describe('a standalone client of yours with ioredis defaults, which re-sends after a reconnect', () => {
  it('appendItems, with and without an operationId, is applied once', async () => {
    const { server, client, store, reader } = await defaultsClientStores(PREFIX, track);
    expect((await store.getStats()).operationIds).toBe(true);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      await checkAppendOnce(
        'standalone re-send, appendItems',
        attempt,
        store,
        reader,
        `solo-${attempt}`,
        {},
        (w) => dropMidWrite(client, server, w),
      );
      await checkAppendOnce(
        'standalone re-send, appendItems with an operationId',
        attempt,
        store,
        reader,
        `solo-op-${attempt}`,
        { operationId: `op-${attempt}` },
        (w) => dropMidWrite(client, server, w),
      );
    }
  });
});
