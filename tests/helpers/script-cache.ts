// A server that lost the store's scripts and its connections (a restart, a failover) while another app
// instance reloaded only some of them: calls the store makes together must still land in call order.
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { RedisSessionStore } from '../../src/index.js';
import { UPDATE_LUA } from '../../src/redis/scripts.js';
import { waitUntil } from './redis-process.js';

/**
 * Flushes the scripts of the server at `url` and drops every connection but the admin's; once `back`
 * succeeds on `store` (its connection is new), loads the update script alone, then sends a set and an
 * update of one session together through `store` and checks, through `reader`, that the update won.
 */
export async function expectOrderAfterReconnect(
  url: string,
  store: RedisSessionStore,
  back: (store: RedisSessionStore) => Promise<unknown>,
  reader: RedisSessionStore = store,
): Promise<void> {
  const admin = new Redis(url);
  try {
    await store.set('order', { userId: 'x' });
    await store.update('order', { userId: 'y' });
    await admin.script('FLUSH');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await waitUntil('the store is connected again', 10_000, async () =>
      back(store).then(
        () => true,
        () => false,
      ),
    );
    await admin.script('LOAD', UPDATE_LUA);
    const [set, updated] = await Promise.all([
      store.set('order', { userId: 'a' }),
      store.update('order', { userId: 'b' }),
    ]);
    expect(set.userId).toBe('a');
    expect(updated?.userId).toBe('b');
    expect((await reader.get('order', { touch: false }))?.userId).toBe('b');
  } finally {
    admin.disconnect();
  }
}
