// listActive, countActive, getStats and ping: what a store reports about its live sessions.
import { defineConformanceGroup, validation } from './harness.js';
import { must } from './must.js';

export const listingGroup = defineConformanceGroup('listing', 'listActive, countActive and stats', (test) => {
  test('count and list unexpired sessions, paginated, in a stable order', async ({ store }) => {
    const ids = Array.from({ length: 25 }, (_, i) => `s-${i}`);
    for (const id of ids) await store.set(id, {});
    must.equal(await store.countActive(), 25, 'countActive must count every live session');
    const pages: string[] = [];
    for (let offset = 0; offset < 30; offset += 10)
      pages.push(...(await store.listActive({ limit: 10, offset })));
    must.deepEqual([...pages].sort(), [...ids].sort(), 'pages cover every id exactly once');
    must.deepEqual(
      await store.listActive({ limit: 10, offset: 0 }),
      pages.slice(0, 10),
      'order is stable: listActive must return the same page for the same limit and offset',
    );
    must.deepEqual(
      await store.listActive({ limit: 100 }),
      pages,
      'one large page must list the ids in the same order as the small pages',
    );
    must.deepEqual(await store.listActive({ limit: 0 }), [], 'listActive with limit 0 must return []');
    must.deepEqual(
      await store.listActive({ limit: 5, offset: 25 }),
      [],
      'listActive with an offset past the end must return []',
    );
    await validation(store.listActive({ limit: -1 }), 'negative limit');
    await validation(store.listActive({ offset: 1.5 }), 'fractional offset');
  });

  test('getStats reports the store type and active sessions', async ({ store }) => {
    await store.set('a', {});
    await store.set('b', {});
    const stats = await store.getStats();
    must.equal(typeof stats.storeType, 'string', 'getStats must report storeType as a string');
    must.ok(stats.storeType.length > 0, 'getStats must report a non-empty storeType');
    must.equal(stats.activeSessions, 2, 'getStats must report the number of live sessions');
  });

  test('ping answers true while open', async ({ store }) => {
    must.equal(await store.ping(), true, 'ping must resolve true while the store is open');
  });
});
