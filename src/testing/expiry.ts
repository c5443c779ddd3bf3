// Expiry: sessions end after their TTL; every write and touch slides by the TTL the session remembers;
// maxLifetimeSeconds caps what sliding can reach. Expiry checks depend on the clock: with
// `clock: 'manual'` the kit moves the `now` it passes and never sleeps. With a real clock, deadlines are
// measured from timestamps taken around the calls (timing.ts): a check for "expired" waits until the
// session has certainly expired; a check for "alive" is asserted when it resolved before the session could
// have expired. TTLs leave the machine several hundred milliseconds of stall between the calls.
import { defineConformanceGroup, validation } from './harness.js';
import { must } from './must.js';
import { PAST_MS, ranBefore, timedCall, waitUntil } from './timing.js';

export const expiryGroup = defineConformanceGroup('expiry', 'expiry', (test) => {
  test('a session expires after its TTL', async (h) => {
    const { store, timed } = h;
    const short = await timedCall(h, () => store.set('short', {}, { ttlSeconds: 0.4 }));
    await store.set('long', {}, { ttlSeconds: 60 });
    const before = await timedCall(h, () => store.exists('short'));
    if (ranBefore(before.resolved, short.started + 400)) {
      must.equal(before.value, true, 'a session must exist before its TTL has passed');
    }
    // 0.3 s past the latest moment the TTL can end.
    await waitUntil(h, short.resolved + 700);
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

  test("get with touch slides expiry by the session's own TTL; get without touch does not", async (h) => {
    const { store, timed } = h;
    const ttlMs = 1000;
    const touched = await timedCall(h, () => store.set('touched', {}, { ttlSeconds: 1 }));
    const untouched = await timedCall(h, () => store.set('untouched', {}, { ttlSeconds: 1 }));
    await waitUntil(h, untouched.resolved + ttlMs / 2);
    const slide = await timedCall(h, () => store.get('touched', { touch: true }));
    if (ranBefore(slide.resolved, touched.started + ttlMs)) {
      must.ok(slide.value, 'a session must be alive within its TTL');
    }
    const read = await timedCall(h, () => store.get('untouched', { touch: false }));
    if (ranBefore(read.resolved, untouched.started + ttlMs)) {
      must.ok(read.value, 'a session must be alive within its TTL');
    }
    // Past the TTL both were written with (1 s): only the touch can have kept 'touched' alive.
    await waitUntil(h, untouched.resolved + ttlMs + PAST_MS);
    const after = await timedCall(h, () => store.get('touched', { touch: false }));
    if (slide.value !== null && ranBefore(after.resolved, slide.started + ttlMs)) {
      must.ok(after.value, timed('touched session is still alive past the 1 s TTL it was written with'));
    }
    must.equal(
      await store.get('untouched', { touch: false }),
      null,
      timed('untouched session expired at 1 s: get with touch: false must not slide expiry'),
    );
  });

  test('every write slides by the TTL the session was last written with', async (h) => {
    const { store, timed } = h;
    const ttlMs = 1000;
    // One session per kind of write, all written with a 1 s TTL, then written to halfway into it.
    const writes: [string, (id: string) => Promise<unknown>][] = [
      ['update', (id) => store.update(id, { metadata: { a: 1 } })],
      ['incrementCounter', (id) => store.incrementCounter(id, 'messageCount')],
      ['touch', (id) => store.touch(id)],
    ];
    const sets = [];
    for (const [name] of writes) {
      sets.push(await timedCall(h, () => store.set(name, { metadata: {} }, { ttlSeconds: 1 })));
    }
    const lastSet = sets.at(-1)?.resolved ?? 0;
    await waitUntil(h, lastSet + ttlMs / 2);
    const slides = [];
    for (const [i, [name, write]] of writes.entries()) {
      const slide = await timedCall(h, () => write(name));
      const alive = slide.value !== null && slide.value !== false;
      if (ranBefore(slide.resolved, (sets[i]?.started ?? 0) + ttlMs)) {
        must.ok(alive, `${name} must find the session alive within its TTL`);
      }
      slides.push({ ...slide, alive });
    }
    // Past the TTL of the set: each session is alive only if its write slid the TTL.
    await waitUntil(h, lastSet + ttlMs + PAST_MS);
    for (const [i, [name]] of writes.entries()) {
      const slide = slides[i] as (typeof slides)[number];
      const read = await timedCall(h, () => store.get(name, { touch: false }));
      if (!slide.alive || !ranBefore(read.resolved, slide.started + ttlMs)) continue;
      const alive = read.value;
      must.ok(alive, timed(`${name} slid the TTL`));
      must.ok(alive.expiresAt, 'a session written with a TTL must have expiresAt');
      const remaining = alive.expiresAt.getTime() - alive.lastActivity.getTime();
      must.ok(
        remaining <= ttlMs + 100,
        `${name} slides by the session's 1 s TTL, not the default (got ${remaining} ms)`,
      );
    }
    await waitUntil(h, Math.max(...slides.map((slide) => slide.resolved)) + ttlMs + PAST_MS);
    for (const [name] of writes) {
      must.equal(
        await store.exists(name),
        false,
        timed(`the session must expire 1 s after its last write (${name})`),
      );
    }
  });

  test('touch with ttlSeconds changes the TTL the session remembers', async (h) => {
    const { store, timed } = h;
    const ttlMs = 800;
    await store.set('s1', {}, { ttlSeconds: 60 });
    const first = await timedCall(h, () => store.touch('s1', { ttlSeconds: 0.8 }));
    must.equal(first.value, true, 'touch must resolve true for a live session');
    await waitUntil(h, first.resolved + ttlMs / 2);
    const second = await timedCall(h, () => store.touch('s1'));
    if (ranBefore(second.resolved, first.started + ttlMs)) {
      must.equal(second.value, true, timed('the session must be alive halfway into a 0.8 s TTL'));
    }
    await waitUntil(h, second.resolved + ttlMs + PAST_MS);
    must.equal(await store.exists('s1'), false, timed('the touch without ttlSeconds slid by 0.8 s'));
  });

  test(
    'touchOnGet: false makes get a plain read unless asked',
    async (h) => {
      const { store, timed } = h;
      const ttlMs = 800;
      const saved = await timedCall(h, () => store.set('s1', {}, { ttlSeconds: 0.8 }));
      await waitUntil(h, saved.resolved + ttlMs / 2);
      const read = await timedCall(h, () => store.get('s1'));
      if (ranBefore(read.resolved, saved.started + ttlMs)) {
        must.ok(read.value, 'a session must be alive within its TTL');
      }
      await waitUntil(h, saved.resolved + ttlMs + PAST_MS);
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
    async (h) => {
      const { store, timed } = h;
      const ttlMs = 1000;
      const lifetimeMs = 1500;
      const saved = await timedCall(h, () => store.set('s1', {}, { ttlSeconds: 1 }));
      must.ok(saved.value.expiresAt, 'a session written with a TTL must have expiresAt');
      must.ok(
        saved.value.expiresAt.getTime() - saved.value.createdAt.getTime() <= lifetimeMs,
        'expiresAt must never be later than createdAt + maxLifetimeSeconds',
      );
      await waitUntil(h, saved.resolved + ttlMs / 2);
      const touch = await timedCall(h, () => store.touch('s1'));
      if (ranBefore(touch.resolved, saved.started + ttlMs)) {
        must.equal(touch.value, true, timed('the session must be alive within its TTL'));
      }
      // Past the TTL of the set, before the lifetime ends: alive through the touch. This get slides too
      // (touchOnGet), to past the lifetime: only the cap ends the session then.
      await waitUntil(h, saved.resolved + ttlMs + PAST_MS);
      const read = await timedCall(h, () => store.get('s1'));
      if (
        touch.value &&
        ranBefore(read.resolved, Math.min(touch.started + ttlMs, saved.started + lifetimeMs))
      ) {
        must.ok(read.value, timed('still within its lifetime'));
      }
      await waitUntil(h, saved.resolved + lifetimeMs + PAST_MS);
      must.equal(await store.touch('s1'), false, timed('lifetime cap reached at 1.5 s despite touches'));
      must.equal(
        await store.get('s1'),
        null,
        timed('get must resolve null once maxLifetimeSeconds has passed'),
      );
    },
    { maxLifetimeSeconds: 1.5 },
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
    async (h) => {
      const { store, timed } = h;
      await store.set('s1', {});
      const created = await timedCall(h, () => store.getOrCreate('s2'));
      await waitUntil(h, created.resolved + 400 + PAST_MS);
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

  test('cleanupExpired removes what expired and returns how many', async (h) => {
    const { store, timed } = h;
    let lastShort = 0;
    for (const id of ['a', 'b', 'c']) {
      lastShort = (await timedCall(h, () => store.set(id, {}, { ttlSeconds: 0.3 }))).resolved;
    }
    for (const id of ['d', 'e']) await store.set(id, {}, { ttlSeconds: 60 });
    await waitUntil(h, lastShort + 300 + PAST_MS);
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
