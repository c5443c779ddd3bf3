// beginTurn: getOrCreate, one message counted and the recent history, as one call (DESIGN §9, the
// agent's turn). The default in the base class composes the other hooks; a backend may do it in one step.
import { isSessionStoreClosedError } from '../errors/errors.js';
import { defineConformanceGroup, validation } from './harness.js';
import { must, rejectsWith } from './must.js';
import { PAST_MS, ranBefore, timedCall, waitUntil } from './timing.js';

const items = (tag: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ tag, n: from + i }));

export const beginTurnGroup = defineConformanceGroup('beginTurn', 'beginTurn', (test) => {
  test('creates the session once and counts one message per call', async ({ store }) => {
    const first = await store.beginTurn('s1', { userId: 'u1', messageCount: 4, metadata: { a: 1 } });
    must.equal(first.created, true, 'beginTurn must report created: true when it made the session');
    must.equal(first.session.userId, 'u1', 'beginTurn must create the session from init');
    must.equal(first.session.messageCount, 5, 'beginTurn must count one message on top of init');
    must.equal(typeof first.session.threadId, 'string', 'beginTurn must generate a threadId');
    must.deepEqual(first.items, [], 'a new session has no history');
    const stored = await store.get('s1', { touch: false });
    must.ok(stored, 'the session beginTurn created is stored');
    must.equal(stored.messageCount, 5, 'the stored messageCount is the counted one');
    must.equal(first.session.version, stored.version, 'beginTurn returns the version it stored');
    must.deepEqual(first.session.metadata, { a: 1 }, 'the metadata of init is kept');

    const second = await store.beginTurn('s1', { userId: 'someone-else' });
    must.equal(second.created, false, 'beginTurn of an existing session reports created: false');
    must.equal(second.session.userId, 'u1', 'init is ignored for an existing session');
    must.equal(second.session.threadId, first.session.threadId, 'the thread stays');
    must.equal(second.session.messageCount, 6, 'beginTurn counts one more message');
    must.equal(second.session.version, first.session.version + 1, 'counting raises version by one');
    const after = await store.get('s1', { touch: false });
    must.equal(after?.version, second.session.version, 'the returned session is the stored one');
    must.equal(after?.messageCount, 6, 'the stored count is the returned one');
  });

  test('returns the most recent historyLimit items (default 20), oldest first', async ({ store }) => {
    await store.appendItems('s1', items('h', 30));
    const turn = await store.beginTurn('s1');
    must.deepEqual(turn.items, items('h', 20, 10), 'the default historyLimit is 20, newest last');
    must.deepEqual(
      (await store.beginTurn('s1', {}, { historyLimit: 3 })).items,
      items('h', 3, 27),
      'historyLimit 3 gives the 3 most recent items',
    );
    must.deepEqual((await store.beginTurn('s1', {}, { historyLimit: 0 })).items, [], 'historyLimit 0');
    must.deepEqual(
      (await store.beginTurn('s1', {}, { historyLimit: 100 })).items,
      items('h', 30),
      'a historyLimit past the length gives the whole log',
    );
    must.equal((await store.get('s1', { touch: false }))?.messageCount, 4, 'each call counted once');
    must.deepEqual(await store.getItems('s1'), items('h', 30), 'beginTurn writes no item');
    const copy = await store.beginTurn('s1', {}, { historyLimit: 1 });
    (copy.items[0] as { tag: string }).tag = 'changed';
    must.deepEqual(await store.getItems('s1', { limit: 1 }), items('h', 1, 29), 'items are copies');
  });

  test('concurrent calls on a new id: one creates, every call is counted', async ({ store }) => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.beginTurn('race')));
    must.equal(results.filter((r) => r.created).length, 1, 'exactly one concurrent beginTurn creates');
    must.equal(new Set(results.map((r) => r.session.threadId)).size, 1, 'all see the one session');
    must.equal(
      (await store.get('race', { touch: false }))?.messageCount,
      20,
      'every concurrent beginTurn counted its message',
    );
  });

  test('slides the TTL; ttlSeconds applies to the session it creates', async (h) => {
    const { store, timed } = h;
    const ttlMs = 800;
    // With a real clock, deadlines come from timestamps around the calls (timing.ts).
    const created = await timedCall(h, () => store.beginTurn('s1', {}, { ttlSeconds: 0.8 }));
    await waitUntil(h, created.resolved + ttlMs / 2);
    const turn = await timedCall(h, () => store.beginTurn('s1'));
    await waitUntil(h, created.resolved + ttlMs + PAST_MS);
    const alive = await timedCall(h, () => store.exists('s1'));
    if (
      ranBefore(turn.resolved, created.started + ttlMs) &&
      ranBefore(alive.resolved, turn.started + ttlMs)
    ) {
      must.ok(alive.value, timed('beginTurn must slide the TTL of the session'));
    }
    await waitUntil(h, turn.resolved + ttlMs + PAST_MS);
    must.equal(await store.exists('s1'), false, timed('the session keeps the TTL it was created with'));
  });

  test('bad input is a SessionValidationError; after close it rejects', async ({ store }) => {
    for (const historyLimit of [-1, 1.5, '3', Number.NaN]) {
      const error = await validation(
        store.beginTurn('s1', {}, { historyLimit: historyLimit as number }),
        `historyLimit ${String(historyLimit)}`,
      );
      must.equal(error.field, 'historyLimit', 'the error names historyLimit');
    }
    await validation(store.beginTurn('', {}), 'an empty session id');
    await validation(store.beginTurn('s1', { messageCount: -1 }), 'a negative messageCount in init');
    await validation(store.beginTurn('s1', {}, { ttlSeconds: 0 }), 'a zero ttlSeconds');
    must.equal(await store.exists('s1'), false, 'a refused beginTurn creates nothing');
    await store.close();
    await rejectsWith(store.beginTurn('s1'), isSessionStoreClosedError, 'beginTurn after close must reject');
  });
});
