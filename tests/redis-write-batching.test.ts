// The store batches its socket writes (send.ts): the first call of a tick leaves at once, the ones made
// after it in the same tick leave in writes of WRITE_BATCH commands, all in the order they were made.
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { WRITE_BATCH } from '../src/redis/send.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { startRedisProcess } from './helpers/redis-standalone.js';

let server: RedisServerHandle;

beforeAll(async () => {
  server = await startRedisProcess();
});

afterAll(async () => {
  await server?.stop();
});

/** Counts the writes that reach the store's socket (Node's _write and _writev: one system call each). */
function countWrites(store: RedisSessionStore): { readonly count: number; stop(): void } {
  const socket = (store.client as Redis).stream as Socket & {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  const write = socket._write;
  const writev = socket._writev;
  let count = 0;
  socket._write = function (this: Socket, ...args: unknown[]) {
    count++;
    return write.apply(this, args);
  };
  socket._writev = function (this: Socket, ...args: unknown[]) {
    count++;
    return writev.apply(this, args);
  };
  return {
    get count() {
      return count;
    },
    stop() {
      socket._write = write;
      socket._writev = writev;
    },
  };
}

/** Runs `run` with a store of its own on the test server, closed afterwards. */
async function withStore(keyPrefix: string, run: (store: RedisSessionStore) => Promise<void>): Promise<void> {
  const store = new RedisSessionStore({ url: server.url, keyPrefix });
  try {
    await run(store);
  } finally {
    await store.close();
  }
}

describe('write batching on the store’s connection', () => {
  it('64 calls made in one tick leave in the first call’s write and then writes of WRITE_BATCH commands', () =>
    withStore('wb1:', async (store) => {
      // The first calls send each script's source; from then on the calls are EVALSHA.
      await Promise.all([store.set('warm', {}), store.get('warm'), store.update('warm', { userId: 'u' })]);
      const writes = countWrites(store);
      const sets = await Promise.all(
        Array.from({ length: 64 }, (_, i) => store.set(`s${i}`, { userId: `u${i}` })),
      );
      const touched = await Promise.all(Array.from({ length: 64 }, (_, i) => store.get(`s${i}`)));
      writes.stop();
      expect(sets.map((s) => s.userId)).toEqual(touched.map((s) => s?.userId));
      expect(touched.every((s, i) => s?.userId === `u${i}`)).toBe(true);
      // Two bursts of 64 commands: the first of each alone, then at most one write per batch (fewer when
      // the socket is still busy with an earlier write), not one per command.
      expect(writes.count).toBeLessThanOrEqual(2 * (1 + Math.ceil(63 / WRITE_BATCH)));
      expect(writes.count).toBeGreaterThanOrEqual(2);
    }));

  it('calls made together keep their order', () =>
    withStore('wb2:', async (store) => {
      await store.set('warm', {});
      await store.incrementCounter('warm', 'messageCount');
      await store.get('warm');
      const created = store.set('o', { userId: 'first' });
      const counts: Promise<number | null>[] = [];
      for (let i = 0; i < 20; i++) counts.push(store.incrementCounter('o', 'messageCount'));
      const middle = store.get('o');
      for (let i = 0; i < 20; i++) counts.push(store.incrementCounter('o', 'messageCount'));
      const renamed = store.update('o', { userId: 'last' });
      expect((await created).userId).toBe('first');
      expect(await Promise.all(counts)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await middle)?.messageCount).toBe(20);
      expect((await renamed)?.messageCount).toBe(40);
      expect((await store.get('o', { touch: false }))?.userId).toBe('last');
    }));

  it('a lone call leaves at once, and a held write leaves by the end of the tick', () =>
    withStore('wb3:', async (store) => {
      await store.set('warm', {});
      const writes = countWrites(store);
      const lone = store.set('lone', { userId: 'u' });
      expect(writes.count).toBe(1);
      expect((await lone).userId).toBe('u');
      // A second call in the same tick is held, and leaves before the next macrotask.
      const first = store.set('a', { userId: 'a' });
      const second = store.set('b', { userId: 'b' });
      expect(writes.count).toBe(2);
      await new Promise((resolve) => setImmediate(resolve));
      expect(writes.count).toBe(3);
      expect([(await first).userId, (await second).userId]).toEqual(['a', 'b']);
      writes.stop();
    }));
});
