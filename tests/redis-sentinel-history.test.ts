// The history and beginTurn conformance groups on a Sentinel-managed primary (one master, one replica,
// three Sentinels): the store connects through the Sentinels, as an application would.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { itemsKey } from '../src/redis/keys.js';
import { CONFORMANCE_GROUPS, describeSessionStoreConformance } from '../src/testing/index.js';
import { type SentinelHandle, startSentinelGroup } from './helpers/redis-sentinel.js';

let group: SentinelHandle;
let n = 0;

beforeAll(async () => {
  group = await startSentinelGroup();
}, 60_000);

afterAll(async () => {
  await group?.stop();
});

// Every built-in group off but beginTurn; the history group on.
const groups = Object.fromEntries(CONFORMANCE_GROUPS.map((g) => [g.key, g.key === 'beginTurn']));

describeSessionStoreConformance(
  'RedisSessionStore (Sentinel)',
  ({ options }) => {
    n += 1;
    return new RedisSessionStore({
      sentinel: { sentinels: group.sentinels, name: group.name },
      keyPrefix: `sh${n}:`,
      ...options,
    });
  },
  {
    clock: 'real',
    describe,
    it,
    groups,
    history: {
      appendRawItems: async (store, id, texts) => {
        const { keyPrefix } = await store.getStats();
        await (store as RedisSessionStore).client.rpush(itemsKey(keyPrefix as string, id), ...texts);
      },
    },
  },
);
