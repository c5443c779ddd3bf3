// Expiry: sessions end after their TTL; every write and touch slides by the TTL the session remembers;
// maxLifetimeSeconds caps what sliding can reach. Expiry checks depend on the clock: with
// `clock: 'manual'` the kit moves the `now` it passes and never sleeps.
import { defineConformanceGroup, validation } from './harness.js';
import { must } from './must.js';

export const expiryGroup = defineConformanceGroup('expiry', 'expiry', (test) => {
  test('a session expires after its TTL', async ({ store, wait, timed }) => {
    await store.set('short', {}, { ttlSeconds: 0.4 });
    await store.set('long', {}, { ttlSeconds: 60 });
    must.equal(await store.exists('short'), true, 'a session must exist before its TTL has passed');
    await wait(700);
    must.equal(await store.get('short'), null, timed('get must resolve null once the 0.4 s TTL has passed'));
    must.equal(await store.exists('short'), false, timed('an expired session must not exist'));
    must.equal(await store.touch('short'), false, timed('touch must not revive an expired session'));
    must.equal(
      await store.update('short', { escalated: true }),
      null,
      timed('update must treat an expired session as absent'),
    );
    must.equal(
      await store.incrementCounter('short', 'messageCount'),
      null,
      timed('incrementCounter must treat an expired session as absent'),
    );
    must.equal(await store.delete('short'), false, timed('delete must treat an expired session as absent'));
    must.equal(await store.countActive(), 1, timed('countActive must not count an expired session'));
    must.deepEqual(await store.listActive(), ['long'], timed('listActive must not list an expired session'));
  });

  test("get with touch slides expiry by the session's own TTL; get without touch does not", async ({
    store,
    wait,
    timed,
  }) => {
    await store.set('touched', {}, { ttlSeconds: 0.6 });
    await store.set('untouched', {}, { ttlSeconds: 0.6 });
    await wait(400);
    must.ok(await store.get('touched', { touch: true }), 'a session must be alive within its TTL');
    must.ok(await store.get('untouched', { touch: false }), 'a session must be alive within its TTL');
    await wait(400);
    must.ok(await store.get('touched', { touch: false }), timed('touched session is still alive at 0.8 s'));
    must.equal(
      await store.get('untouched', { touch: false }),
      null,
      timed('untouched session expired at 0.6 s: get with touch: false must not slide expiry'),
    );
  });

  test('every write slides by the TTL the session was last written with', async ({ store, wait, timed }) => {
    await store.set('s1', { metadata: {} }, { ttlSeconds: 0.6 });
    await wait(400);
    await store.update('s1', { metadata: { a: 1 } });
    await wait(400);
    must.equal(await store.incrementCounter('s1', 'messageCount'), 1, timed('update slid the TTL'));
    await wait(400);
    must.equal(await store.touch('s1'), true, timed('incrementCounter slid the TTL'));
    await wait(400);
    const alive = await store.get('s1', { touch: false });
    must.ok(alive, timed('touch slid the TTL'));
    must.ok(alive.expiresAt, 'a session written with a TTL must have expiresAt');
    const remaining = alive.expiresAt.getTime() - alive.lastActivity.getTime();
    must.ok(remaining <= 700, `slides use the session's 0.6 s TTL, not the default (got ${remaining} ms)`);
    await wait(800);
    must.equal(await store.exists('s1'), false, timed('the session must expire 0.6 s after its last touch'));
  });

  test('touch with ttlSeconds changes the TTL the session remembers', async ({ store, wait, timed }) => {
    await store.set('s1', {}, { ttlSeconds: 60 });
    must.equal(
      await store.touch('s1', { ttlSeconds: 0.4 }),
      true,
      'touch must resolve true for a live session',
    );
    await wait(250);
    must.equal(await store.touch('s1'), true, timed('the session must be alive 0.25 s into a 0.4 s TTL'));
    await wait(700);
    must.equal(await store.exists('s1'), false, timed('the touch without ttlSeconds slid by 0.4 s'));
  });

  test(
    'touchOnGet: false makes get a plain read unless asked',
    async ({ store, wait, timed }) => {
      await store.set('s1', {}, { ttlSeconds: 0.6 });
      await wait(400);
      must.ok(await store.get('s1'), 'a session must be alive within its TTL');
      await wait(400);
      must.equal(
        await store.get('s1'),
        null,
        timed('with touchOnGet: false, a get without options must not slide expiry'),
      );
    },
    { touchOnGet: false },
  );

  test(
    'maxLifetimeSeconds caps the life no touch can extend',
    async ({ store, wait, timed }) => {
      const saved = await store.set('s1', {}, { ttlSeconds: 0.6 });
      must.ok(saved.expiresAt, 'a session written with a TTL must have expiresAt');
      must.ok(
        saved.expiresAt.getTime() - saved.createdAt.getTime() <= 1000,
        'expiresAt must never be later than createdAt + maxLifetimeSeconds',
      );
      await wait(400);
      must.equal(await store.touch('s1'), true, timed('the session must be alive within its TTL'));
      await wait(400);
      must.ok(await store.get('s1'), timed('still within its lifetime'));
      await wait(400);
      must.equal(await store.touch('s1'), false, timed('lifetime cap reached at 1.0 s despite touches'));
      must.equal(
        await store.get('s1'),
        null,
        timed('get must resolve null once maxLifetimeSeconds has passed'),
      );
    },
    { maxLifetimeSeconds: 1 },
  );

  test(
    'a session whose createdAt is already past maxLifetimeSeconds is written as expired',
    async ({ store }) => {
      const createdAt = new Date('1960-01-01T00:00:00.000Z');
      const saved = await store.set('old', { createdAt });
      must.equal(saved.createdAt.getTime(), createdAt.getTime(), 'set must keep the createdAt it was given');
      must.ok(
        saved.expiresAt !== null && saved.expiresAt.getTime() <= createdAt.getTime() + 60_000,
        'expiresAt must never be later than createdAt + maxLifetimeSeconds, even when that is in the past',
      );
      const created = await store.getOrCreate('older', { createdAt });
      must.equal(created.created, true, 'getOrCreate must create a session with a given createdAt');
      must.equal(await store.get('old'), null, 'a session past its lifetime must read as absent');
      must.equal(await store.get('older'), null, 'a session past its lifetime must read as absent');
      must.equal(await store.countActive(), 0, 'a session past its lifetime must not count as active');
      must.deepEqual(await store.listActive(), [], 'a session past its lifetime must not be listed');
    },
    { maxLifetimeSeconds: 60 },
  );

  test(
    'defaultTtlSeconds applies to writes without ttlSeconds',
    async ({ store, wait, timed }) => {
      await store.set('s1', {});
      await store.getOrCreate('s2');
      await wait(700);
      must.equal(
        await store.exists('s1'),
        false,
        timed('set without ttlSeconds must use defaultTtlSeconds (0.4 s)'),
      );
      must.equal(
        await store.exists('s2'),
        false,
        timed('getOrCreate without ttlSeconds must use defaultTtlSeconds (0.4 s)'),
      );
    },
    { defaultTtlSeconds: 0.4 },
  );

  test('cleanupExpired removes what expired and returns how many', async ({ store, wait, timed }) => {
    for (const id of ['a', 'b', 'c']) await store.set(id, {}, { ttlSeconds: 0.3 });
    for (const id of ['d', 'e']) await store.set(id, {}, { ttlSeconds: 60 });
    await wait(600);
    must.equal(
      await store.cleanupExpired(),
      3,
      timed('cleanupExpired must return how many expired sessions it removed'),
    );
    must.equal(await store.cleanupExpired(), 0, 'a second cleanupExpired must find nothing left to remove');
    must.equal(await store.countActive(), 2, 'cleanupExpired must leave live sessions alone');
    must.deepEqual(
      (await store.listActive()).sort(),
      ['d', 'e'],
      'cleanupExpired must leave live sessions alone',
    );
  });

  test('TTLs that are not positive finite numbers are refused', async ({ store }) => {
    for (const ttlSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10', null]) {
      await validation(
        store.set('s1', {}, { ttlSeconds: ttlSeconds as number }),
        `ttlSeconds ${String(ttlSeconds)}`,
      );
      await validation(
        store.getOrCreate('s1', {}, { ttlSeconds: ttlSeconds as number }),
        `ttlSeconds ${String(ttlSeconds)}`,
      );
    }
    await store.set('s1', {});
    await validation(store.touch('s1', { ttlSeconds: -5 }), 'negative touch TTL');
    must.equal(await store.countActive(), 1, 'refused TTLs must store nothing');
  });
});
