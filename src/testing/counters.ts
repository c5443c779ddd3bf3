// incrementCounter: atomic integer counters on messageCount and on metadata keys, within the safe range.
import { defineConformanceGroup, validation } from './harness.js';
import { must } from './must.js';

export const countersGroup = defineConformanceGroup('counters', 'incrementCounter', (test) => {
  test('increments messageCount and metadata keys; absent keys count from 0', async ({ store }) => {
    await store.set('s1', { messageCount: 2, metadata: { clicks: 10, label: 'x' } });
    must.equal(
      await store.incrementCounter('s1', 'messageCount'),
      3,
      'incrementCounter must add 1 by default and return the new value',
    );
    must.equal(
      await store.incrementCounter('s1', 'messageCount', 5),
      8,
      'incrementCounter must add the given delta',
    );
    must.equal(
      await store.incrementCounter('s1', 'clicks', -3),
      7,
      'incrementCounter must accept a negative delta on a metadata key',
    );
    must.equal(await store.incrementCounter('s1', 'fresh'), 1, 'an absent metadata key must count from 0');
    must.equal(
      await store.incrementCounter('s1', 'fresh', 41),
      42,
      'a counter a store created must keep counting',
    );
    const after = await store.get('s1', { touch: false });
    must.equal(
      after?.messageCount,
      8,
      'the stored messageCount must be the last value incrementCounter returned',
    );
    must.deepEqual(
      after?.metadata,
      { clicks: 7, label: 'x', fresh: 42 },
      'incrementCounter must change only the counted metadata keys',
    );
    must.equal(after?.version, 6, 'every increment must raise version by one');
  });

  test('a non-number field is an error and changes nothing', async ({ store }) => {
    await store.set('s1', { metadata: { label: 'x', nested: { n: 1 }, fraction: 1.5, nothing: null } });
    for (const field of ['label', 'nested', 'fraction', 'nothing']) {
      await validation(store.incrementCounter('s1', field), `incrementing ${field}`);
    }
    const after = await store.get('s1', { touch: false });
    must.equal(after?.version, 1, 'a refused increment must write nothing (version unchanged)');
    must.deepEqual(
      after?.metadata,
      { label: 'x', nested: { n: 1 }, fraction: 1.5, nothing: null },
      'a refused increment must write nothing (metadata unchanged)',
    );
  });

  test('a fractional, non-finite or non-number delta is an error', async ({ store }) => {
    await store.set('s1', {});
    for (const delta of [0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1']) {
      await validation(
        store.incrementCounter('s1', 'messageCount', delta as number),
        `delta ${String(delta)}`,
      );
    }
    must.equal(
      (await store.get('s1', { touch: false }))?.messageCount,
      0,
      'a refused delta must write nothing',
    );
  });

  test('a result outside the safe range, or a negative messageCount, is an error', async ({ store }) => {
    await store.set('s1', { messageCount: 1, metadata: { big: 2 ** 53 - 2 } });
    await validation(store.incrementCounter('s1', 'big', 5), 'overflowing counter');
    await validation(store.incrementCounter('s1', 'messageCount', -2), 'negative messageCount');
    const after = await store.get('s1', { touch: false });
    must.equal(
      after?.messageCount,
      1,
      'an increment that would make messageCount negative must write nothing',
    );
    must.equal(
      after?.metadata.big,
      2 ** 53 - 2,
      'an increment past Number.MAX_SAFE_INTEGER must write nothing',
    );
  });

  test('returns null for an absent session and creates nothing', async ({ store }) => {
    must.equal(
      await store.incrementCounter('absent', 'messageCount'),
      null,
      'incrementCounter of an absent session must resolve null',
    );
    must.equal(
      await store.incrementCounter('absent', 'meta'),
      null,
      'incrementCounter of a metadata key of an absent session must resolve null',
    );
    must.equal(await store.exists('absent'), false, 'incrementCounter must never create a session');
  });

  test('concurrent increments are all counted', async ({ store }) => {
    await store.set('s1', {});
    await Promise.all(Array.from({ length: 100 }, () => store.incrementCounter('s1', 'messageCount')));
    await Promise.all(Array.from({ length: 50 }, () => store.incrementCounter('s1', 'hits', 2)));
    const after = await store.get('s1', { touch: false });
    must.equal(
      after?.messageCount,
      100,
      'incrementCounter must be atomic: 100 concurrent increments must count 100',
    );
    must.equal(
      after?.metadata.hits,
      100,
      'incrementCounter must be atomic on metadata keys: 50 concurrent +2 must count 100',
    );
  });
});
