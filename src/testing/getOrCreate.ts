// getOrCreate: creates at most once, even under concurrency, and ignores init for an existing session.
import { defineConformanceGroup } from './harness.js';
import { must } from './must.js';

export const getOrCreateGroup = defineConformanceGroup('getOrCreate', 'getOrCreate', (test) => {
  test('creates once, then returns the same session', async ({ store }) => {
    const first = await store.getOrCreate('s1', { userId: 'u1', metadata: { channel: 'web' } });
    must.equal(first.created, true, 'getOrCreate must report created: true when it made the session');
    must.equal(first.session.userId, 'u1', 'getOrCreate must create the session from init');
    must.equal(first.session.version, 1, 'a session getOrCreate makes must have version 1');
    must.equal(
      typeof first.session.threadId,
      'string',
      'getOrCreate must generate a threadId when init has none',
    );
    must.ok((first.session.threadId as string).length > 0, 'a threadId is generated');
    must.deepEqual(first.session.metadata, { channel: 'web' }, 'getOrCreate must store the metadata of init');
    const second = await store.getOrCreate('s1', { userId: 'someone-else' });
    must.equal(second.created, false, 'getOrCreate must report created: false for an existing session');
    must.equal(second.session.userId, 'u1', 'init is ignored for an existing session');
    must.equal(
      second.session.threadId,
      first.session.threadId,
      'getOrCreate must return the existing session with its threadId',
    );
    must.equal(
      second.session.version,
      1,
      'getOrCreate of an existing session must not write (version unchanged)',
    );
  });

  test('keeps a given threadId', async ({ store }) => {
    const { session } = await store.getOrCreate('s1', { threadId: 'thread-given' });
    must.equal(session.threadId, 'thread-given', 'getOrCreate must keep the threadId init gives');
  });

  test('100 concurrent calls: exactly one created, one threadId', async ({ store }) => {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.getOrCreate('race', { userId: `u${i}` })),
    );
    must.equal(
      results.filter((r) => r.created).length,
      1,
      'getOrCreate must be atomic: of 100 concurrent calls on one id exactly one may create',
    );
    must.equal(
      new Set(results.map((r) => r.session.threadId)).size,
      1,
      'getOrCreate must be atomic: concurrent callers must all get the one session that was created',
    );
    must.equal(
      new Set(results.map((r) => r.session.userId)).size,
      1,
      'getOrCreate must be atomic: a later init must not overwrite the session an earlier call created',
    );
    const stored = await store.get('race', { touch: false });
    must.equal(
      stored?.threadId,
      results[0]?.session.threadId,
      'the stored session must be the one getOrCreate returned',
    );
  });
});
