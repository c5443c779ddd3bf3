// version: one more per data write; reads and touches leave it alone.
import { defineConformanceGroup } from './harness.js';
import { must } from './must.js';

export const versionGroup = defineConformanceGroup('version', 'version', (test) => {
  test('rises by one per data write, and not on reads or touches', async ({ store }) => {
    must.equal((await store.set('s1', {})).version, 1, 'the first write must give version 1');
    must.equal(
      (await store.update('s1', { escalated: true }))?.version,
      2,
      'update must raise version by one',
    );
    await store.incrementCounter('s1', 'messageCount');
    must.equal((await store.get('s1'))?.version, 3, 'get with touch does not bump version');
    await store.touch('s1');
    must.equal((await store.get('s1', { touch: false }))?.version, 3, 'touch must not raise version');
    must.equal(
      (await store.getOrCreate('s1')).session.version,
      3,
      'getOrCreate of an existing session must not raise version',
    );
    must.equal(
      (await store.set('s1', {})).version,
      4,
      'set over an existing session must raise version by one',
    );
  });
});
