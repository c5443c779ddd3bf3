// The shared conformance suite on a real standalone redis-server (one server for the file, a fresh key
// prefix per store so tests never see each other's sessions): once on connections the store opens from a
// URL (RESP2), once on a client the user made with ioredis' defaults (RESP3, offline queue on).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore, type SessionStore } from '../src/index.js';
import { itemsKey } from '../src/redis/keys.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { startRedis } from './helpers/redis-standalone.js';

let server: RedisServerHandle;

/** Plants history text as a damaged or foreign writer would: RPUSH onto the session's items list. */
async function appendRawItems(store: SessionStore, id: string, texts: string[]): Promise<void> {
  const { keyPrefix } = await store.getStats();
  await (store as RedisSessionStore).client.rpush(itemsKey(keyPrefix as string, id), ...texts);
}

let userClient: Redis;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
  userClient = new Redis(server.url);
});

afterAll(async () => {
  userClient?.disconnect();
  await server?.stop();
});

describeSessionStoreConformance(
  'RedisSessionStore (standalone)',
  ({ options }) => {
    n += 1;
    return new RedisSessionStore({ url: server.url, keyPrefix: `conf${n}:`, ...options });
  },
  {
    clock: 'real',
    describe,
    it,
    history: { appendRawItems },
  },
);

describeSessionStoreConformance(
  'RedisSessionStore (user client, RESP3)',
  ({ options }) => {
    n += 1;
    return new RedisSessionStore({ client: userClient, keyPrefix: `user${n}:`, ...options });
  },
  {
    clock: 'real',
    describe,
    it,
    history: { appendRawItems },
  },
);
