// One standalone redis-server for a whole test file: started before its tests, and after them every store
// the file opened is closed, the admin connection dropped and the server stopped.
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { SessionStore } from '../../src/index.js';
import { type RedisServerHandle, startRedis } from './redis-servers.js';

export interface RedisSuite {
  /** The server (available inside tests and hooks, not at collection time). */
  readonly server: RedisServerHandle;
  /** A plain ioredis connection to it, for inspecting what the stores wrote. */
  readonly admin: Redis;
  /** Registers a store to be closed after the file's tests; returns it. */
  track<T extends SessionStore>(store: T): T;
}

export function useRedisServer(): RedisSuite {
  let server: RedisServerHandle | undefined;
  let admin: Redis | undefined;
  const open: SessionStore[] = [];
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await Promise.all(open.map((store) => store.close()));
    admin?.disconnect();
    await server?.stop();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test Redis ${what} is not started yet`);
    return value;
  };
  return {
    get server() {
      return ready(server, 'server');
    },
    get admin() {
      return ready(admin, 'connection');
    },
    track(store) {
      open.push(store);
      return store;
    },
  };
}
