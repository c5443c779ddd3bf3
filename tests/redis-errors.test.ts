// What a user sees when Redis cannot be used: the rejection names the reason, carries the underlying
// error as `cause`, and suggests the right fix.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSessionStore,
  isSessionStoreConfigError,
  isSessionStoreUnavailableError,
  isSessionValidationError,
  RedisSessionStore,
} from '../src/index.js';
import { silentLogger } from '../src/logger.js';
import { freePort } from './helpers/redis-ports.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { redisCommand } from './helpers/redis-resp.js';
import { startRedisProcess } from './helpers/redis-standalone.js';
import { rejection } from './helpers/rejection.js';

let guarded: RedisServerHandle;

beforeAll(async () => {
  // The password is set once the server is up: the harness's health check does not authenticate.
  guarded = await startRedisProcess();
  await redisCommand(guarded.port, ['CONFIG', 'SET', 'requirepass', 'right-password']);
});
afterAll(async () => {
  await guarded?.stop();
});

describe('RedisSessionStore errors explain themselves', () => {
  /** Connections the guarded server has accepted so far (INFO stats), asked with the right password. */
  async function connectionsReceived(): Promise<number> {
    const admin = new Redis(`redis://:right-password@127.0.0.1:${guarded.port}`);
    try {
      const stats = await admin.info('stats');
      return Number(/total_connections_received:(\d+)/.exec(stats)?.[1]);
    } finally {
      admin.disconnect();
    }
  }

  for (const [label, auth] of [
    ['a wrong password', ':wrong-password@'],
    ['no password where one is required', ''],
  ] as const) {
    it(`${label}: a configuration error at once, caused by the auth error, and no reconnecting`, async () => {
      const store = new RedisSessionStore({
        url: `redis://${auth}127.0.0.1:${guarded.port}`,
        // Longer than the assertion's bound: the error must not wait for the deadline.
        commandTimeoutMs: 3000,
        maxReconnectDelayMs: 50,
      });
      try {
        const started = performance.now();
        const error = await rejection(store.get('s1'));
        expect(performance.now() - started).toBeLessThan(500);
        expect(isSessionStoreConfigError(error)).toBe(true);
        expect(isSessionStoreUnavailableError(error)).toBe(false);
        expect(String((error.cause as Error | undefined)?.message)).toMatch(/WRONGPASS|NOAUTH/);
        expect(error.message).toMatch(/refused the store's credentials/);
        expect(error.message).toMatch(/username and password/);
        expect(error.message).not.toMatch(/running/);
        // Reconnecting every 50 ms would add about 10 connections in half a second.
        const before = await connectionsReceived();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect((await connectionsReceived()) - before).toBe(1);
        expect(store.client.status).toBe('end');
        const again = await rejection(store.set('s1', {}));
        expect(isSessionStoreConfigError(again)).toBe(true);
      } finally {
        await store.close();
      }
    });
  }

  it('createSessionStore with a wrong password rejects with the configuration error, fallbackToMemory or not', async () => {
    const error = await rejection(
      createSessionStore({
        url: `redis://:wrong-password@127.0.0.1:${guarded.port}`,
        fallbackToMemory: true,
        logger: silentLogger,
      }),
    );
    expect(isSessionStoreConfigError(error)).toBe(true);
    expect(error.message).toMatch(/refused the store's credentials/);
  });

  it('the right password works', async () => {
    const right = new RedisSessionStore({ url: `redis://:right-password@127.0.0.1:${guarded.port}` });
    try {
      expect((await right.set('s1', {})).version).toBe(1);
    } finally {
      await right.close();
    }
  });

  it('nothing listening: unavailable, caused by the refused connection', async () => {
    const store = new RedisSessionStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      commandTimeoutMs: 800,
    });
    try {
      const error = await rejection(store.get('s1'));
      expect(isSessionStoreUnavailableError(error)).toBe(true);
      expect(String((error.cause as Error | undefined)?.message)).toMatch(/ECONNREFUSED/);
      expect(error.message).toMatch(/running and reachable/);
    } finally {
      await store.close();
    }
  });

  it('a metadata getter that throws while set copies the session: that error, and no unhandled rejection', async () => {
    const store = new RedisSessionStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      commandTimeoutMs: 300,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Validation and encoding read the value twice; the copy for the returned session reads it again,
      // after the command went out. The command itself then fails: nothing listens.
      let reads = 0;
      const metadata = {
        get cart() {
          reads += 1;
          if (reads > 2) throw new Error('third read');
          return 'ok';
        },
      };
      const error = await rejection(store.set('s1', { metadata }));
      expect(error.message).toBe('third read');
      // Past the command's own deadline, so its rejection has happened; then a turn for the report.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await store.close();
    }
  });

  it('an undefined url says that only createSessionStore reads REDIS_URL', () => {
    let caught: unknown;
    try {
      new RedisSessionStore({ url: undefined });
    } catch (error) {
      caught = error;
    }
    expect(isSessionValidationError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/REDIS_URL/);
  });
});

describe('a full Redis (maxmemory with noeviction) refuses writes loudly', () => {
  it('set, getOrCreate, update and incrementCounter reject with SessionStoreUnavailableError and write nothing', async () => {
    const server = await startRedisProcess({ args: ['--maxmemory-policy', 'noeviction'] });
    const store = new RedisSessionStore({ url: server.url, keyPrefix: 'oom:' });
    try {
      await store.set('existing', { metadata: { n: 1 } });
      await redisCommand(server.port, ['CONFIG', 'SET', 'maxmemory', '1']);
      const writes: [string, () => Promise<unknown>][] = [
        ['set (new)', () => store.set('fresh', { metadata: { big: 'x'.repeat(5000) } })],
        ['set (replace)', () => store.set('existing', { metadata: { big: 'x'.repeat(5000) } })],
        ['getOrCreate', () => store.getOrCreate('fresh-2')],
        ['update', () => store.update('existing', { metadata: { more: 'y'.repeat(100) } })],
        ['incrementCounter', () => store.incrementCounter('existing', 'hits')],
      ];
      for (const [name, write] of writes) {
        const error = await rejection(write());
        expect(isSessionStoreUnavailableError(error), `${name}: ${error.message}`).toBe(true);
        expect(error.message, name).toMatch(/OOM/);
      }
      await redisCommand(server.port, ['CONFIG', 'SET', 'maxmemory', '0']);
      expect(await store.exists('fresh')).toBe(false);
      expect(await store.exists('fresh-2')).toBe(false);
      const existing = await store.get('existing', { touch: false });
      expect(existing?.metadata).toEqual({ n: 1 });
      expect(existing?.version).toBe(1);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('delete still frees memory, also when writes carry operation ids', async () => {
    const server = await startRedisProcess({ args: ['--maxmemory-policy', 'noeviction'] });
    // A client of yours with ioredis defaults re-sends after a reconnect: its writes carry operation ids.
    const client = new Redis(server.url);
    const withIds = new RedisSessionStore({ client, keyPrefix: 'oom:' });
    const owned = new RedisSessionStore({ url: server.url, keyPrefix: 'oom:' });
    try {
      expect((await withIds.getStats()).operationIds).toBe(true);
      expect((await owned.getStats()).operationIds).toBe(false);
      for (const id of ['a', 'b']) await owned.set(id, { metadata: { big: 'x'.repeat(2000) } });
      await redisCommand(server.port, ['CONFIG', 'SET', 'maxmemory', '1']);
      expect(await withIds.delete('a')).toBe(true);
      expect(await withIds.delete('never-there')).toBe(false);
      expect(await owned.delete('b')).toBe(true);
      await redisCommand(server.port, ['CONFIG', 'SET', 'maxmemory', '0']);
      expect(await owned.exists('a')).toBe(false);
      expect(await owned.exists('b')).toBe(false);
      expect(await owned.countActive()).toBe(0);
    } finally {
      await withIds.close();
      await owned.close();
      client.disconnect();
      await server.stop();
    }
  });
});
