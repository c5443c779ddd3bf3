// The shared conformance suite on a real standalone redis-server (one server for the file, a fresh key
// prefix per store so tests never see each other's sessions).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import { type RedisServerHandle, startRedis } from './helpers/redis-servers.js';

let server: RedisServerHandle;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await server?.stop();
});

describeSessionStoreConformance(
  'RedisSessionStore (standalone)',
  ({ options }) => {
    n += 1;
    return new RedisSessionStore({ url: server.url, keyPrefix: `conf${n}:`, ...options });
  },
  { clock: 'real', describe, it },
);
