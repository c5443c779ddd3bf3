// update: a partial write that merges metadata key by key, refuses what it cannot patch, honours
// expectedVersion, and loses no concurrent patch.
import { isSessionConflictError } from '../errors/errors.js';
import { defineConformanceGroup, validation } from './harness.js';
import { must, rejectsWith } from './must.js';

export const updateGroup = defineConformanceGroup('update', 'update', (test) => {
  test('merges metadata key by key and removes keys set to undefined', async ({ store }) => {
    await store.set('s1', { userId: 'u1', metadata: { a: 1, b: 2, c: 3 } });
    const updated = await store.update('s1', {
      escalated: true,
      metadata: { b: 20, c: undefined, d: 4 },
    });
    must.ok(updated, 'update must return the updated session when it exists');
    must.deepEqual(
      updated.metadata,
      { a: 1, b: 20, d: 4 },
      'update must merge metadata key by key and remove the keys the patch sets to undefined',
    );
    must.equal(updated.escalated, true, 'update must write the fields in the patch');
    must.equal(updated.userId, 'u1', 'fields not in the patch are kept');
    must.equal(updated.version, 2, 'update must raise version by one');
    must.deepEqual(
      await store.get('s1', { touch: false }),
      updated,
      'get must return exactly what update returned',
    );
  });

  test('updates every patchable field', async ({ store }) => {
    await store.set('s1', {});
    const updated = await store.update('s1', {
      userId: 'u2',
      threadId: 't2',
      messageCount: 5,
      escalated: true,
      requestId: 'r2',
    });
    must.ok(updated, 'update must return the updated session when it exists');
    must.equal(updated.userId, 'u2', 'update must patch userId');
    must.equal(updated.threadId, 't2', 'update must patch threadId');
    must.equal(updated.messageCount, 5, 'update must patch messageCount');
    must.equal(updated.escalated, true, 'update must patch escalated');
    must.equal(updated.requestId, 'r2', 'update must patch requestId');
    const cleared = await store.update('s1', { userId: null, requestId: null });
    must.equal(cleared?.userId, null, 'update must accept null to clear userId');
    must.equal(cleared?.requestId, null, 'update must accept null to clear requestId');
  });

  test('returns null for an absent session and creates nothing', async ({ store }) => {
    must.equal(
      await store.update('absent', { escalated: true }),
      null,
      'update of an absent session must resolve null, not throw',
    );
    must.equal(await store.exists('absent'), false, 'update must never create a session');
  });

  test('an unknown key or a bad value is a SessionValidationError and writes nothing', async ({ store }) => {
    await store.set('s1', { metadata: { a: 1 } });
    await validation(store.update('s1', { colour: 'red' } as never), 'unknown patch key');
    await validation(store.update('s1', { createdAt: new Date() } as never), 'store-assigned key');
    await validation(store.update('s1', { version: 3 } as never), 'version in a patch');
    await validation(store.update('s1', { messageCount: -2 }), 'negative messageCount');
    await validation(store.update('s1', { metadata: { f: () => 1 } } as never), 'function metadata');
    const after = await store.get('s1', { touch: false });
    must.equal(after?.version, 1, 'a refused update must write nothing (version unchanged)');
    must.deepEqual(after?.metadata, { a: 1 }, 'a refused update must write nothing (metadata unchanged)');
  });

  test('expectedVersion: a match writes, a stale one conflicts and writes nothing', async ({ store }) => {
    const saved = await store.set('s1', { metadata: { n: 1 } });
    const ok = await store.update('s1', { metadata: { n: 2 } }, { expectedVersion: saved.version });
    must.equal(ok?.version, saved.version + 1, 'an update whose expectedVersion matches must write');
    const error = await rejectsWith(
      store.update('s1', { metadata: { n: 3 } }, { expectedVersion: saved.version }),
      isSessionConflictError,
      'an update with a stale expectedVersion must reject with SessionConflictError',
    );
    must.equal(error.name, 'SessionConflictError', 'the conflict error must be named SessionConflictError');
    must.equal(error.code, 'SESSION_CONFLICT', 'the conflict error must carry code SESSION_CONFLICT');
    const after = await store.get('s1', { touch: false });
    must.equal(after?.version, saved.version + 1, 'a conflicting update must write nothing (version)');
    must.deepEqual(after?.metadata, { n: 2 }, 'a conflicting update must write nothing (metadata)');
    must.equal(
      await store.update('absent', { escalated: true }, { expectedVersion: 1 }),
      null,
      'update of an absent session must resolve null, also with expectedVersion',
    );
  });

  test('concurrent updates of distinct metadata keys all land', async ({ store }) => {
    await store.set('s1', {});
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.update('s1', { metadata: { [`k${i}`]: i } })),
    );
    const after = await store.get('s1', { touch: false });
    must.equal(
      Object.keys(after?.metadata ?? {}).length,
      50,
      'update must be atomic: of 50 concurrent patches of distinct keys, every key must land',
    );
    must.equal(after?.version, 51, 'every one of 50 concurrent updates must raise version by one');
  });
});
