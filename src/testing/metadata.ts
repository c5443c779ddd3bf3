// Metadata: JSON data only, round-tripped exactly on every write path, with prototype keys kept as
// plain data, and the maxSessionBytes cap enforced to the byte.
import type { SessionData } from '../codec/SessionData.js';
import { encodedSize } from '../store/records.js';
import { defineConformanceGroup, validation } from './harness.js';
import { must } from './must.js';
import { EXACT_METADATA_VALUES } from './values.js';

const ROUND_TRIP = 'metadata must round-trip exactly (JSON values, key order aside)';

export const metadataGroup = defineConformanceGroup('metadata', 'metadata', (test) => {
  test('__proto__ and constructor keys round-trip as data and Object.prototype stays clean', async ({
    store,
  }) => {
    const metadata = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"safe":1}',
    );
    const saved = await store.set('s1', { metadata });
    must.ok(Object.hasOwn(saved.metadata, '__proto__'), 'a __proto__ key must be kept as an own data key');
    must.deepEqual(
      Object.keys(saved.metadata).sort(),
      ['__proto__', 'constructor', 'safe'],
      'set must keep __proto__ and constructor as ordinary keys',
    );
    await store.update('s1', { metadata: JSON.parse('{"__proto__":{"again":true}}') });
    await store.incrementCounter('s1', '__proto__x');
    const got = await store.get('s1', { touch: false });
    must.ok(got, 'get must find the session');
    must.equal(
      Object.getPrototypeOf(got.metadata),
      Object.prototype,
      'a __proto__ key must not change the prototype of the metadata object a store returns',
    );
    must.deepEqual(
      Object.getOwnPropertyDescriptor(got.metadata, '__proto__')?.value,
      { again: true },
      'update must merge a __proto__ key as data',
    );
    must.deepEqual(
      got.metadata.constructor,
      { prototype: { polluted: true } },
      'a constructor key must round-trip as data',
    );
    const clean = 'a store must never write metadata keys onto Object.prototype';
    must.equal(({} as Record<string, unknown>).polluted, undefined, clean);
    must.equal(({} as Record<string, unknown>).again, undefined, clean);
    must.equal(Object.keys(Object.prototype).length, 0, clean);
  });

  test('non-JSON metadata is an error naming the key, and nothing is stored', async ({ store }) => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const cases: [string, unknown][] = [
      ['fnKey', () => 1],
      ['bigKey', 10n],
      ['nanKey', Number.NaN],
      ['infKey', Number.POSITIVE_INFINITY],
      ['negInfKey', Number.NEGATIVE_INFINITY],
      ['circularKey', circular],
      ['dateKey', new Date()],
      ['symbolKey', Symbol('s')],
      ['undefinedInArray', [1, undefined]],
      ['mapKey', new Map()],
      ['nestedFn', { deep: [{ fn: () => 1 }] }],
    ];
    for (const [key, value] of cases) {
      const error = await validation(
        store.set('s1', { metadata: { [key]: value } as never }),
        `metadata.${key}`,
      );
      must.match(String((error as Error).message), new RegExp(key), `the error names ${key}`);
    }
    must.equal(await store.exists('s1'), false, 'a set with non-JSON metadata must store nothing');
    await store.set('s1', { metadata: { ok: true } });
    for (const [key, value] of cases) {
      const error = await validation(
        store.update('s1', { metadata: { [key]: value } as never }),
        `patch.metadata.${key}`,
      );
      must.match(String((error as Error).message), new RegExp(key), `the update error names ${key}`);
    }
    const after = await store.get('s1', { touch: false });
    must.deepEqual(after?.metadata, { ok: true }, 'an update with non-JSON metadata must write nothing');
    must.equal(after?.version, 1, 'an update with non-JSON metadata must write nothing (version)');
  });

  test('metadata values round-trip exactly on every write path', async ({ store }) => {
    const saved = await store.set('s1', { metadata: EXACT_METADATA_VALUES as never });
    must.deepEqual(saved.metadata, EXACT_METADATA_VALUES, `set: ${ROUND_TRIP}`);
    must.deepEqual((await store.get('s1'))?.metadata, EXACT_METADATA_VALUES, `get after set: ${ROUND_TRIP}`);
    const updated = await store.update('s1', { metadata: { other: 'key' } });
    must.deepEqual(updated?.metadata, { ...EXACT_METADATA_VALUES, other: 'key' }, `update: ${ROUND_TRIP}`);
    await store.incrementCounter('s1', 'counter', 3);
    await store.incrementCounter('s1', 'messageCount');
    const after = await store.get('s1', { touch: false });
    must.deepEqual(
      after?.metadata,
      { ...EXACT_METADATA_VALUES, other: 'key', counter: 3 },
      `incrementCounter: ${ROUND_TRIP}`,
    );
    await store.set('s2', {});
    const patched = await store.update('s2', { metadata: EXACT_METADATA_VALUES as never });
    must.deepEqual(patched?.metadata, EXACT_METADATA_VALUES, `update into an empty session: ${ROUND_TRIP}`);
    const created = await store.getOrCreate('s3', { metadata: EXACT_METADATA_VALUES as never });
    must.deepEqual(created.session.metadata, EXACT_METADATA_VALUES, `getOrCreate: ${ROUND_TRIP}`);
    must.deepEqual(
      (await store.get('s3', { touch: false }))?.metadata,
      EXACT_METADATA_VALUES,
      `get after getOrCreate: ${ROUND_TRIP}`,
    );
    must.ok(
      Object.is((await store.get('s2', { touch: false }))?.metadata.zero, 0),
      'a stored 0 must read back as 0',
    );
    // JSON has no negative zero: every store hands back 0, as JSON text would.
    const negativeZero = await store.set('s4', { metadata: { nz: -0, list: [-0] } });
    must.ok(Object.is(negativeZero.metadata.nz, 0), 'set must return -0 as 0, as JSON would');
    const readBack = await store.get('s4', { touch: false });
    must.ok(readBack, 'get must find the session');
    must.ok(Object.is(readBack.metadata.nz, 0), 'get must return -0 as 0, as JSON would');
    must.ok(Object.is((readBack.metadata.list as number[])[0], 0), 'get must return -0 in an array as 0');
  });

  test(
    'an oversized session is an error, and nothing is stored',
    async ({ store }) => {
      const big = 'x'.repeat(5000);
      const error = await validation(store.set('s1', { metadata: { big } }), 'oversized set');
      must.match(
        String((error as Error).message),
        /maxSessionBytes/,
        'the size error must name maxSessionBytes',
      );
      must.equal(await store.exists('s1'), false, 'an oversized set must store nothing');
      await validation(store.getOrCreate('s2', { metadata: { big } }), 'oversized getOrCreate');
      must.equal(await store.exists('s2'), false, 'an oversized getOrCreate must store nothing');
      await store.set('s3', { metadata: { small: 'y'.repeat(1000) } });
      await validation(store.update('s3', { metadata: { more: big } }), 'oversized update');
      const after = await store.get('s3', { touch: false });
      must.deepEqual(Object.keys(after?.metadata ?? {}), ['small'], 'an oversized update must write nothing');
      must.equal(after?.version, 1, 'an oversized update must write nothing (version)');
      // A counter can grow a session too: a new key over the cap is refused and writes nothing.
      await store.set('s5', { metadata: { pad: 'p'.repeat(3700) } });
      await validation(store.incrementCounter('s5', 'k'.repeat(600)), 'counter key over the cap');
      const counted = await store.get('s5', { touch: false });
      must.deepEqual(Object.keys(counted?.metadata ?? {}), ['pad'], 'a refused counter must write nothing');
      must.equal(counted?.version, 1, 'a refused counter must write nothing (version)');
      must.equal(await store.incrementCounter('s5', 'small'), 1, 'a counter within the cap still works');
      // An oversized init only matters when it would create: an existing session comes back as it is.
      const existing = await store.getOrCreate('s3', { metadata: { big } });
      must.equal(
        existing.created,
        false,
        'getOrCreate of an existing session must not check init against the cap',
      );
      must.deepEqual(
        Object.keys(existing.session.metadata),
        ['small'],
        'getOrCreate of an existing session must return it as it is',
      );
    },
    { maxSessionBytes: 4096 },
  );

  test(
    'the size cap holds to the byte, also when a write only adds a digit to the version',
    async ({ store }) => {
      // A session exactly at the cap from version 1 to 9 (the same digits); version 10 is one byte more.
      const empty = await store.set('s1', { metadata: { pad: '' } });
      const pad = 'p'.repeat(4096 - encodedSize(empty));
      let session = await store.set('s1', { metadata: { pad } });
      must.equal(encodedSize(session), 4096, 'the padded session fills the cap exactly');
      while (session.version < 9) {
        session = (await store.update('s1', { metadata: { pad } })) as SessionData;
      }
      must.equal(encodedSize(session), 4096, 'a session at exactly maxSessionBytes must be accepted');
      await validation(store.incrementCounter('s1', 'messageCount', 0), 'a counter write one byte over');
      await validation(store.update('s1', { metadata: { pad } }), 'an update one byte over');
      const kept = await store.get('s1', { touch: false });
      must.equal(kept?.version, 9, 'nothing was written');
      must.equal(kept && encodedSize(kept), 4096, 'a write one byte over the cap must write nothing');
    },
    { maxSessionBytes: 4096 },
  );
});
