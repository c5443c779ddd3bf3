// RedisSessionStore while Redis is unreachable: every method rejects with SessionStoreUnavailableError
// within the documented bound (commandTimeoutMs, 2 s by default), the same instance works again once Redis
// is back, a SCRIPT FLUSH between calls goes unnoticed, and after a reconnect calls keep their order.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSessionStoreUnavailableError, RedisSessionStore } from '../src/index.js';
import { type RedisServerHandle, waitUntil } from './helpers/redis-process.js';
import { startRedisProcess } from './helpers/redis-standalone.js';
import { expectOrderAfterReconnect } from './helpers/script-cache.js';

/** The default bound, plus scheduling slack on a busy 2-core machine. */
const BOUND_MS = 2_000;
const MARGIN_MS = 700;

let server: RedisServerHandle;
let store: RedisSessionStore;

beforeAll(async () => {
  server = await startRedisProcess();
  store = new RedisSessionStore({ url: server.url, keyPrefix: 'ff:' });
});

afterAll(async () => {
  await store?.close();
  await server?.stop();
});

const calls: [string, () => Promise<unknown>][] = [
  ['get', () => store.get('s1')],
  ['get (no touch)', () => store.get('s1', { touch: false })],
  ['set', () => store.set('s1', { userId: 'u' })],
  ['getOrCreate', () => store.getOrCreate('s2')],
  ['update', () => store.update('s1', { escalated: true })],
  ['incrementCounter', () => store.incrementCounter('s1', 'messageCount')],
  ['touch', () => store.touch('s1')],
  ['delete', () => store.delete('s3')],
  ['exists', () => store.exists('s1')],
  ['listActive', () => store.listActive()],
  ['countActive', () => store.countActive()],
  ['cleanupExpired', () => store.cleanupExpired()],
  ['getStats', () => store.getStats()],
];

/** Runs every method at once and returns how long each took to reject, asserting the error type. */
async function allRejectInTime(): Promise<Record<string, number>> {
  const results = await Promise.all(
    calls.map(async ([name, call]) => {
      const started = performance.now();
      try {
        await call();
      } catch (error) {
        const elapsed = performance.now() - started;
        expect(isSessionStoreUnavailableError(error), `${name}: ${String(error)}`).toBe(true);
        expect((error as Error).message, name).toMatch(/^Redis is unavailable: /);
        return [name, Math.round(elapsed)] as const;
      }
      throw new Error(`${name} resolved while Redis was unreachable`);
    }),
  );
  const times = Object.fromEntries(results);
  for (const [name, ms] of results) expect(ms, name).toBeLessThan(BOUND_MS + MARGIN_MS);
  return times;
}

async function worksAgain(): Promise<void> {
  await waitUntil('the store to reconnect', 10_000, () => store.ping());
  await store.set('s1', { userId: 'back' });
  expect((await store.get('s1'))?.userId).toBe('back');
  expect(await store.incrementCounter('s1', 'messageCount')).toBe(1);
}

describe('fail fast while Redis is unreachable', () => {
  it('a paused server (SIGSTOP): every method rejects within the bound; resume recovers', async () => {
    await store.set('s1', { userId: 'before' });
    server.pause();
    try {
      const times = await allRejectInTime();
      console.info('paused server, ms per call:', times);
      const started = performance.now();
      expect(await store.ping()).toBe(false);
      expect(performance.now() - started).toBeLessThan(BOUND_MS + MARGIN_MS);
    } finally {
      server.resume();
    }
    await worksAgain();
  });

  it('a stopped server: every method rejects within the bound, later calls at once; restart recovers', async () => {
    await store.set('s1', {});
    await server.kill('SIGKILL');
    try {
      const first = await allRejectInTime();
      console.info('stopped server, first calls, ms:', first);
      // Once the outage outlasts one call's bound, calls fail without waiting.
      const second = await allRejectInTime();
      console.info('stopped server, later calls, ms:', second);
      for (const [name, ms] of Object.entries(second)) expect(ms, name).toBeLessThan(200);
    } finally {
      await server.restart();
    }
    await worksAgain();
  });

  it('the bound holds when the wall clock steps back (deadlines run on the monotonic clock)', async () => {
    await store.set('s1', { userId: 'u' });
    server.pause();
    const realNow = Date.now;
    try {
      const started = performance.now();
      const pending = store.get('s1').then(
        () => new Error('resolved while Redis was paused'),
        (error: unknown) => error,
      );
      // The wall clock jumps back a minute (an NTP step, a resumed VM) while the call waits.
      const skew = 60_000;
      Date.now = () => realNow() - skew;
      const error = await pending;
      expect(isSessionStoreUnavailableError(error), String(error)).toBe(true);
      expect(performance.now() - started).toBeLessThan(BOUND_MS + MARGIN_MS);
    } finally {
      Date.now = realNow;
      server.resume();
    }
    await worksAgain();
  });

  it('SCRIPT FLUSH between calls is invisible to the user', async () => {
    const admin = new Redis(server.url);
    try {
      await store.set('f1', { metadata: { a: 1 } });
      await admin.script('FLUSH');
      expect((await store.get('f1'))?.metadata).toEqual({ a: 1 });
      await admin.script('FLUSH');
      expect(await store.incrementCounter('f1', 'a', 2)).toBe(3);
      await admin.script('FLUSH');
      expect((await store.update('f1', { metadata: { b: 2 } }))?.metadata).toEqual({ a: 3, b: 2 });
      await admin.script('FLUSH');
      expect(await store.countActive()).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
    }
  });

  it('after a reconnect, calls made together keep their order even when only some scripts are cached', async () => {
    await expectOrderAfterReconnect(server.url, store, (s) => s.exists('order'));
  });

  it('the deadline also bounds a user client that would queue commands forever', async () => {
    // enableOfflineQueue and no commandTimeout: ioredis alone would wait for the server indefinitely.
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    const userStore = new RedisSessionStore({ client, keyPrefix: 'ff-user:', commandTimeoutMs: 500 });
    try {
      await userStore.set('u1', {});
      server.pause();
      try {
        const started = performance.now();
        let error: unknown;
        try {
          await userStore.get('u1');
        } catch (e) {
          error = e;
        }
        expect(isSessionStoreUnavailableError(error)).toBe(true);
        expect(performance.now() - started).toBeLessThan(500 + MARGIN_MS);
      } finally {
        server.resume();
      }
      expect((await userStore.get('u1'))?.sessionId).toBe('u1');
    } finally {
      await userStore.close();
      client.disconnect();
    }
  });
});
