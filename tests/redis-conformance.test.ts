// The shared conformance suite on a real standalone redis-server (one server for the file, a fresh key
// prefix per store so tests never see each other's sessions): once on connections the store opens from a
// URL (RESP2), once on a client the user made with ioredis' defaults (RESP3, offline queue on).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { startRedis } from './helpers/redis-standalone.js';

let server: RedisServerHandle;
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
    // Temporary: RedisSessionStore has no history scripts yet (its history methods reject).
    history: false,
    groups: { beginTurn: false },
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
    // Temporary: RedisSessionStore has no history scripts yet (its history methods reject).
    history: false,
    groups: { beginTurn: false },
  },
);
