// get and set: the defaults a new session gets, what a replacing set keeps, the input it refuses, and
// that every returned session is the caller's own copy.
import { defineConformanceGroup, validation } from './harness.js';
import { must } from './must.js';

export const getAndSetGroup = defineConformanceGroup('getAndSet', 'get and set', (test) => {
  test('get returns null for an absent session', async ({ store }) => {
    must.equal(await store.get('absent'), null, 'get must resolve null for an id that was never written');
    must.equal(await store.exists('absent'), false, 'exists must be false for an id that was never written');
  });

  test('set stores a session with defaults and returns what was stored', async ({ store }) => {
    const before = Date.now();
    const saved = await store.set('s1', { userId: 'u1', metadata: { plan: 'pro' } });
    must.equal(saved.sessionId, 's1', 'set must return the session under the id it was given');
    must.equal(saved.userId, 'u1', 'set must store the given userId');
    must.equal(saved.threadId, null, 'threadId must default to null on set');
    must.equal(saved.messageCount, 0, 'messageCount must default to 0');
    must.equal(saved.escalated, false, 'escalated must default to false');
    must.equal(saved.requestId, null, 'requestId must default to null');
    must.deepEqual(saved.metadata, { plan: 'pro' }, 'set must store the given metadata as it is');
    must.equal(saved.version, 1, 'the first write of a session must give it version 1');
    must.ok(
      saved.createdAt instanceof Date && saved.updatedAt instanceof Date,
      'createdAt and updatedAt must be Date objects',
    );
    must.ok(saved.expiresAt instanceof Date, 'expiresAt must be assigned on write');
    const ttlMs = saved.expiresAt.getTime() - saved.updatedAt.getTime();
    must.ok(
      Math.abs(ttlMs - 1800_000) < 2_000,
      `a write without ttlSeconds must use the default TTL of 1800 s, got ${ttlMs} ms`,
    );
    must.deepEqual(
      await store.get('s1', { touch: false }),
      saved,
      'get must return exactly what set returned (same fields, same dates)',
    );
    must.ok(
      saved.createdAt.getTime() >= before - 60_000,
      'createdAt must come from the store clock, which the kit sets to the current time',
    );
  });

  test('set replaces the data, keeps createdAt and bumps version', async ({ store, wait }) => {
    const first = await store.set('s1', { userId: 'u1', metadata: { a: 1, b: 2 }, escalated: true });
    await wait(20);
    const second = await store.set('s1', { metadata: { c: 3 } });
    must.equal(
      second.createdAt.getTime(),
      first.createdAt.getTime(),
      'a set over an existing session must keep its createdAt',
    );
    must.ok(second.updatedAt.getTime() >= first.updatedAt.getTime(), 'updatedAt must never move back');
    must.equal(second.version, 2, 'every data write must raise version by one');
    must.equal(second.userId, null, 'set replaces: unspecified fields take their defaults');
    must.equal(second.escalated, false, 'set replaces: an unspecified escalated goes back to false');
    must.deepEqual(second.metadata, { c: 3 }, 'set replaces metadata as a whole, it does not merge');
  });

  test('set accepts a returned session back and honours a given createdAt for new sessions', async ({
    store,
  }) => {
    const createdAt = new Date('2024-01-02T03:04:05.678Z');
    const saved = await store.set('s1', {
      createdAt,
      threadId: 't-1',
      messageCount: 7,
      requestId: 'r-1',
    });
    must.equal(
      saved.createdAt.toISOString(),
      createdAt.toISOString(),
      'a set that creates a session must keep the createdAt it was given, to the millisecond',
    );
    const again = await store.set('s1', saved);
    must.equal(again.threadId, 't-1', 'set must accept a session it returned and keep its threadId');
    must.equal(again.messageCount, 7, 'set must accept a session it returned and keep its messageCount');
    must.equal(again.requestId, 'r-1', 'set must accept a session it returned and keep its requestId');
    must.equal(again.version, 2, 'a version passed in is ignored: the store assigns it');
  });

  test('set rejects a mismatched sessionId, unknown fields and wrong types', async ({ store }) => {
    await validation(store.set('s1', { sessionId: 'other' }), 'mismatched sessionId');
    await validation(store.set('s1', { colour: 'red' } as never), 'unknown field');
    await validation(store.set('s1', { messageCount: -1 }), 'negative messageCount');
    await validation(store.set('s1', { messageCount: 1.5 }), 'fractional messageCount');
    await validation(store.set('s1', { escalated: 'yes' } as never), 'non-boolean escalated');
    await validation(store.set('s1', { metadata: [] as never }), 'array metadata');
    await validation(store.set('s1', 'text' as never), 'non-object data');
    must.equal(await store.exists('s1'), false, 'a refused set must store nothing');
  });

  test('returned sessions are copies: mutating them changes nothing in the store', async ({ store }) => {
    const nested = { list: [1, { deep: 'x' }], obj: { k: 'v' } };
    const input = { userId: 'u1', metadata: { nested } };
    const saved = await store.set('s1', input);
    // Mutate the input after the call, and every returned object.
    nested.list.push(99);
    nested.obj.k = 'changed-input';
    saved.metadata.added = true;
    (saved.metadata.nested as { obj: { k: string } }).obj.k = 'changed';
    saved.createdAt.setFullYear(1999);
    saved.userId = 'mutant';
    const got = await store.get('s1');
    must.ok(got, 'get must find the session set wrote');
    got.metadata.other = 1;
    got.lastActivity.setFullYear(1999);
    const created = await store.getOrCreate('s1');
    created.session.metadata.third = 3;
    const updated = await store.update('s1', { metadata: { z: 1 } });
    must.ok(updated, 'update must find the session set wrote');
    (updated.metadata.nested as { list: unknown[] }).list.length = 0;
    const fresh = await store.get('s1', { touch: false });
    must.ok(fresh, 'get must find the session after the caller mutated returned copies');
    must.equal(
      fresh.userId,
      'u1',
      'set must return a copy: mutating the returned object changed the stored session',
    );
    must.deepEqual(
      fresh.metadata,
      { nested: { list: [1, { deep: 'x' }], obj: { k: 'v' } }, z: 1 },
      'set, get, getOrCreate and update must copy what they take and what they return: mutating the input or a returned object changed the stored session',
    );
    must.notEqual(
      fresh.createdAt.getFullYear(),
      1999,
      'set must return a copy of createdAt: mutating the returned Date changed the stored session',
    );
    must.notEqual(
      fresh.lastActivity.getFullYear(),
      1999,
      'get must return a copy: mutating the returned lastActivity changed the stored session',
    );
  });
});
