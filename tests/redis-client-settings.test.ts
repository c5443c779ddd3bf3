// The store on a client the user made, with settings docs/operations.md calls safe: autopipelining does not
// hold the store's scripts (they are sent as commands of their own), and a keyPrefix on the client applies
// to every key the store touches, scripts and plain reads alike.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { bucketOf, indexKey, sessionKey } from '../src/redis/keys.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { startRedisProcess } from './helpers/redis-standalone.js';

let server: RedisServerHandle;

beforeAll(async () => {
  server = await startRedisProcess();
});

afterAll(async () => {
  await server?.stop();
});

describe('the store on your own ioredis client', () => {
  it('enableAutoPipelining: the store’s scripts never wait for an auto-pipeline; plain reads ride it', async () => {
    const client = new Redis(server.url, { enableAutoPipelining: true });
    // ioredis builds each auto-pipeline with client.pipeline(): count them.
    let pipelines = 0;
    const pipeline = client.pipeline.bind(client);
    client.pipeline = ((...args: Parameters<typeof pipeline>) => {
      pipelines++;
      return pipeline(...args);
    }) as typeof client.pipeline;
    const store = new RedisSessionStore({ client, keyPrefix: 'ap:' });
    try {
      await Promise.all(Array.from({ length: 64 }, (_, i) => store.set(`s${i}`, { userId: `u${i}` })));
      const touched = await Promise.all(Array.from({ length: 32 }, (_, i) => store.get(`s${i}`)));
      expect(touched.map((s) => s?.userId)).toEqual(Array.from({ length: 32 }, (_, i) => `u${i}`));
      expect(await store.incrementCounter('s1', 'messageCount')).toBe(1);
      expect(await store.update('s2', { escalated: true })).not.toBeNull();
      expect(await store.countActive()).toBe(64);
      expect(pipelines).toBe(0);
      // The plain reads go through the client's own methods, as any command of yours.
      const plain = await Promise.all(
        Array.from({ length: 32 }, (_, i) => store.get(`s${i}`, { touch: false })),
      );
      expect(plain.map((s) => s?.userId)).toEqual(Array.from({ length: 32 }, (_, i) => `u${i}`));
      expect(await store.exists('s1')).toBe(true);
      expect(pipelines).toBeGreaterThan(0);
    } finally {
      await store.close();
      client.disconnect();
    }
  });

  it('a keyPrefix on the client applies to every key of the store, scripts and plain reads alike', async () => {
    const client = new Redis(server.url, { keyPrefix: 'app:' });
    const admin = new Redis(server.url);
    const store = new RedisSessionStore({ client, keyPrefix: 'kp:' });
    try {
      await store.set('a', { userId: 'u' });
      expect(await admin.exists(`app:${sessionKey('kp:', 'a')}`)).toBe(1);
      expect(await admin.exists(sessionKey('kp:', 'a'))).toBe(0);
      expect(await admin.zscore(`app:${indexKey('kp:', bucketOf('a'))}`, 'a')).not.toBeNull();
      expect((await store.get('a', { touch: false }))?.userId).toBe('u');
      expect((await store.get('a'))?.userId).toBe('u');
      expect(await store.exists('a')).toBe(true);
      expect(await store.countActive()).toBe(1);
      expect(await store.delete('a')).toBe(true);
      expect(await admin.exists(`app:${sessionKey('kp:', 'a')}`)).toBe(0);
    } finally {
      await store.close();
      client.disconnect();
      admin.disconnect();
    }
  });
});
