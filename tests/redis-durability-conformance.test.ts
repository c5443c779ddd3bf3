// The shared conformance suite on a RedisSessionStore with `durability: { replicas: 1 }`, against a
// standalone master and one replica: every write carries a WAIT, and the store must behave exactly as
// without it. The wait is far above a replica's acknowledgement time so that a loaded machine does not
// turn a write into SessionNotDurableError.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore, type SessionStore } from '../src/index.js';
import { itemsKey } from '../src/redis/keys.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import { HOST, type RedisServerHandle, waitUntil } from './helpers/redis-process.js';
import { parseInfo, redisCommand, replicasCaughtUp } from './helpers/redis-resp.js';
import { startRedisProcess } from './helpers/redis-standalone.js';

let master: RedisServerHandle;
let replica: RedisServerHandle;
let n = 0;

beforeAll(async () => {
  master = await startRedisProcess();
  replica = await startRedisProcess({ args: ['--replicaof', HOST, String(master.port)] });
  await waitUntil('replica online and caught up', 20_000, async () => {
    const info = parseInfo(await redisCommand(replica.port, ['INFO', 'replication']));
    return info.get('master_link_status') === 'up' && (await replicasCaughtUp(master.port, 1));
  });
});

afterAll(async () => {
  await replica?.stop();
  await master?.stop();
});

/** Plants history text as a damaged or foreign writer would: RPUSH onto the session's items list. */
async function appendRawItems(store: SessionStore, id: string, texts: string[]): Promise<void> {
  const { keyPrefix } = await store.getStats();
  await (store as RedisSessionStore).client.rpush(itemsKey(keyPrefix as string, id), ...texts);
}

describeSessionStoreConformance(
  'RedisSessionStore (durability: one replica)',
  ({ options }) => {
    n += 1;
    return new RedisSessionStore({
      url: master.url,
      keyPrefix: `durconf${n}:`,
      commandTimeoutMs: 5000,
      durability: { replicas: 1, timeoutMs: 2000 },
      ...options,
    });
  },
  { clock: 'real', describe, it, history: { appendRawItems } },
);
