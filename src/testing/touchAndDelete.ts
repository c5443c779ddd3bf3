// touch, exists and delete: touch slides the TTL without a data write; delete reports what it removed.
import { defineConformanceGroup } from './harness.js';
import { must } from './must.js';

export const touchAndDeleteGroup = defineConformanceGroup(
  'touchAndDelete',
  'touch, exists and delete',
  (test) => {
    test('touch slides the TTL and lastActivity without changing data', async ({ store, wait, timed }) => {
      const saved = await store.set('s1', { metadata: { a: 1 } }, { ttlSeconds: 60 });
      await wait(50);
      must.equal(await store.touch('s1'), true, 'touch must resolve true for a live session');
      const after = await store.get('s1', { touch: false });
      must.ok(after?.expiresAt && saved.expiresAt, 'a session written with a TTL must have expiresAt');
      must.ok(
        after.expiresAt.getTime() > saved.expiresAt.getTime(),
        timed('touch must move expiresAt forward from the time of the touch'),
      );
      must.ok(
        after.lastActivity.getTime() > saved.lastActivity.getTime(),
        timed('touch must move lastActivity to the time of the touch'),
      );
      must.equal(after.updatedAt.getTime(), saved.updatedAt.getTime(), 'updatedAt is for data writes');
      must.deepEqual(after.metadata, { a: 1 }, 'touch must not change the data');
      must.equal(after.version, saved.version, 'touch must not raise version');
      must.equal(await store.touch('absent'), false, 'touch must resolve false for an absent session');
      must.equal(await store.exists('absent'), false, 'touch must never create a session');
    });

    test('delete removes and reports whether something was deleted', async ({ store }) => {
      await store.set('s1', {});
      must.equal(await store.exists('s1'), true, 'exists must be true for a live session');
      must.equal(await store.delete('s1'), true, 'delete must resolve true when it removed a session');
      must.equal(await store.exists('s1'), false, 'exists must be false after delete');
      must.equal(await store.get('s1'), null, 'get must resolve null after delete');
      must.equal(
        await store.delete('s1'),
        false,
        'delete must resolve false when there was nothing to remove',
      );
      must.equal(await store.countActive(), 0, 'a deleted session must not count as active');
    });
  },
);
