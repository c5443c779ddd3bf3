// History conformance, continued: items live and die with their session (TTL, slide, delete, set),
// replaceItems with matching and stale suffixes, operation ids, limits and corrupt items.
import assert from 'node:assert/strict';
import type { SessionData } from '../codec/SessionData.js';
import { isSessionConflictError, isSessionDecodeError } from '../errors/errors.js';
import type { TestFn } from './harness.js';
import type { HistoryConformanceOptions } from './history.js';
import { invalid, itemsOf } from './history.js';
import { rejectsWith } from './must.js';
import { PAST_MS, ranBefore, timedCall, waitUntil } from './timing.js';

const conflict = (p: Promise<unknown>, what: string) =>
  rejectsWith(p, isSessionConflictError, `${what} should reject with SessionConflictError`);

export function describeHistorySemantics(
  describe: (name: string, body: () => void) => void,
  test: TestFn,
  options: HistoryConformanceOptions,
): void {
  describe('history: lifetime', () => {
    test('history writes slide the TTL, set lastActivity and leave version and updatedAt', async (h) => {
      const { store } = h;
      const ttlMs = 1000;
      // One session per history call, each with items and a 1 s TTL, called halfway into that TTL. With a
      // real clock, deadlines come from timestamps around the calls (timing.ts).
      const calls: [string, (id: string) => Promise<unknown>][] = [
        ['appendItems', (id) => store.appendItems(id, itemsOf('t', 3))],
        ['popItem', (id) => store.popItem(id)],
        ['replaceItems', (id) => store.replaceItems(id, itemsOf('r', 1), { expectedSuffix: [] })],
        ['getItems', (id) => store.getItems(id)],
        ['clearItems', (id) => store.clearItems(id)],
      ];
      const saved: { session: SessionData; started: number }[] = [];
      let lastWritten = 0;
      for (const [id] of calls) {
        const written = await timedCall(h, () => store.set(id, { metadata: { a: 1 } }, { ttlSeconds: 1 }));
        const items = await timedCall(h, () => store.appendItems(id, itemsOf('i', 2)));
        saved.push({ session: written.value, started: written.started });
        lastWritten = items.resolved;
      }
      await waitUntil(h, lastWritten + ttlMs / 2);
      const slides = [];
      for (const [i, [id, call]] of calls.entries()) {
        const slide = await timedCall(h, () => call(id));
        slides.push({ ...slide, alive: ranBefore(slide.resolved, (saved[i]?.started ?? 0) + ttlMs) });
      }
      // Past the TTL of the first writes: each session is alive only if its history call slid it.
      await waitUntil(h, lastWritten + ttlMs + PAST_MS);
      for (const [i, [id]] of calls.entries()) {
        const slide = slides[i] as (typeof slides)[number];
        const { session } = saved[i] as (typeof saved)[number];
        const after = await timedCall(h, () => store.get(id, { touch: false }));
        if (!slide.alive || !ranBefore(after.resolved, slide.started + ttlMs)) continue;
        assert.ok(after.value, `${id} slid the TTL by the session’s 1 s`);
        assert.equal(after.value.version, session.version, `${id} leaves version alone`);
        assert.equal(after.value.updatedAt.getTime(), session.updatedAt.getTime(), `${id} leaves updatedAt`);
        assert.ok(
          after.value.lastActivity.getTime() > session.lastActivity.getTime(),
          `${id}: lastActivity moved`,
        );
        assert.ok(
          after.value.expiresAt &&
            after.value.expiresAt.getTime() - after.value.lastActivity.getTime() <= ttlMs + 100,
          `${id} slides by the session's TTL`,
        );
      }
      await waitUntil(h, Math.max(...slides.map((slide) => slide.resolved)) + ttlMs + PAST_MS);
      for (const [id] of calls) assert.equal(await store.exists(id), false, `${id}: expired 1 s after it`);
    });

    test('items expire with their session; getItems without touch does not slide', async (h) => {
      const { store } = h;
      const ttlMs = 800;
      const s1 = await timedCall(h, () => store.appendItems('s1', itemsOf('e', 2), { ttlSeconds: 0.8 }));
      const s2 = await timedCall(h, () => store.appendItems('s2', itemsOf('f', 2), { ttlSeconds: 0.8 }));
      await waitUntil(h, s2.resolved + ttlMs / 2);
      const read = await timedCall(h, () => store.getItems('s1', { touch: false }));
      if (ranBefore(read.resolved, s1.started + ttlMs)) assert.equal(read.value.length, 2);
      const slide = await timedCall(h, () => store.getItems('s2', { touch: true }));
      if (ranBefore(slide.resolved, s2.started + ttlMs)) assert.equal(slide.value.length, 2);
      await waitUntil(h, s2.resolved + ttlMs + PAST_MS);
      assert.deepEqual(await store.getItems('s1'), [], 'the items expired with the session');
      assert.equal(await store.exists('s1'), false);
      const after = await timedCall(h, () => store.getItems('s2', { touch: false }));
      if (slide.value.length === 2 && ranBefore(after.resolved, slide.started + ttlMs)) {
        assert.equal(after.value.length, 2, 'getItems with touch slid');
      }
      assert.equal(await store.popItem('s1'), null);
      assert.equal(await store.appendItems('s1', itemsOf('g', 1)), 1, 'a new log starts empty');
    });

    test(
      'getItems slides by default only when touchOnGet is on',
      async ({ store, wait }) => {
        await store.appendItems('s1', itemsOf('e', 1), { ttlSeconds: 0.6 });
        await wait(400);
        await store.getItems('s1');
        await wait(400);
        assert.equal(await store.exists('s1'), false, 'touchOnGet false: getItems did not slide');
      },
      { touchOnGet: false },
    );

    test('delete removes the items; set and update keep them', async ({ store }) => {
      await store.appendItems('s1', itemsOf('d', 2));
      await store.set('s1', { userId: 'u1' });
      await store.update('s1', { escalated: true });
      await store.incrementCounter('s1', 'messageCount');
      assert.deepEqual(await store.getItems('s1'), itemsOf('d', 2), 'envelope writes keep the items');
      assert.equal(await store.delete('s1'), true);
      assert.deepEqual(await store.getItems('s1'), []);
      await store.set('s1', {});
      assert.deepEqual(await store.getItems('s1'), [], 'a new session has no items of the deleted one');
    });
  });

  describe('history: replaceItems', () => {
    test('replaces a matching suffix (key order ignored), the whole log, or appends', async ({ store }) => {
      await store.appendItems('s1', [
        { a: 1, b: { c: 2, d: 3 } },
        { role: 'tool', out: 'x' },
      ]);
      const reordered = [
        { b: { d: 3, c: 2 }, a: 1 },
        { out: 'x', role: 'tool' },
      ];
      assert.equal(await store.replaceItems('s1', [{ summary: 1 }], { expectedSuffix: reordered }), 1);
      assert.deepEqual(await store.getItems('s1'), [{ summary: 1 }]);
      assert.equal(await store.replaceItems('s1', itemsOf('n', 2), { expectedSuffix: [] }), 3, '[] appends');
      assert.equal(await store.replaceItems('s1', itemsOf('w', 2)), 2, 'no suffix: the whole log');
      assert.deepEqual(await store.getItems('s1'), itemsOf('w', 2));
      assert.equal(await store.replaceItems('s1', [], { expectedSuffix: itemsOf('w', 1, 1) }), 1);
      assert.deepEqual(await store.getItems('s1'), itemsOf('w', 1));
    });

    test('a stale suffix is a SessionConflictError that says so, and nothing is written', async ({
      store,
    }) => {
      const saved = await store.set('s1', {});
      await store.appendItems('s1', itemsOf('s', 3));
      for (const expectedSuffix of [itemsOf('s', 1), itemsOf('s', 4), [{ tag: 's', n: 2, extra: null }]]) {
        const error = await conflict(
          store.replaceItems('s1', [{ x: 1 }], { expectedSuffix }),
          'a stale suffix',
        );
        assert.equal(error.code, 'SESSION_CONFLICT');
        assert.match(error.message, /expectedSuffix/);
      }
      assert.deepEqual(await store.getItems('s1'), itemsOf('s', 3));
      assert.equal((await store.get('s1', { touch: false }))?.version, saved.version);
      await conflict(store.replaceItems('absent', [], { expectedSuffix: [{ a: 1 }] }), 'suffix on absent');
      assert.equal(await store.exists('absent'), false, 'a conflicting replace creates nothing');
      assert.equal(await store.replaceItems('fresh', [{ a: 1 }], { expectedSuffix: [] }), 1);
      assert.equal(await store.replaceItems('fresh2', [{ a: 1 }]), 1, 'replace creates an absent session');
      assert.equal(await store.exists('fresh2'), true);
    });
  });

  describe('history: operation ids', () => {
    test('a repeated operationId is applied once and returns the first outcome', async ({ store }) => {
      assert.equal(await store.appendItems('s1', itemsOf('o', 2), { operationId: 'op-1' }), 2);
      await store.appendItems('s1', itemsOf('later', 1));
      assert.equal(await store.appendItems('s1', itemsOf('o', 2), { operationId: 'op-1' }), 2);
      assert.equal((await store.getItems('s1')).length, 3, 'the repeat wrote nothing');
      assert.equal(await store.appendItems('s2', itemsOf('o', 2), { operationId: 'op-1' }), 2, 'per session');
      const replace = { expectedSuffix: itemsOf('later', 1), operationId: 'op-2' };
      assert.equal(await store.replaceItems('s1', [{ r: 1 }], replace), 3);
      assert.equal(await store.replaceItems('s1', [{ r: 1 }], replace), 3, 'a replayed replace');
      assert.deepEqual(await store.getItems('s1'), [...itemsOf('o', 2), { r: 1 }]);
      const repeats = await Promise.all(
        Array.from({ length: 10 }, () => store.appendItems('s3', [{ once: true }], { operationId: 'op-3' })),
      );
      assert.deepEqual(repeats, Array(10).fill(1), 'concurrent repeats are applied once');
    });

    test('the same operationId with another payload is a conflict that says so', async ({ store }) => {
      await store.appendItems('s1', [{ a: 1 }], { operationId: 'op' });
      const payloads = [
        () => store.appendItems('s1', [{ a: 2 }], { operationId: 'op' }),
        () => store.appendItems('s1', [{ a: 1 }, { a: 1 }], { operationId: 'op' }),
        () => store.replaceItems('s1', [{ a: 1 }], { operationId: 'op' }),
        () => store.replaceItems('s1', [{ a: 1 }], { operationId: 'op', expectedSuffix: [] }),
      ];
      for (const call of payloads) {
        const error = await conflict(call(), 'a reused operationId');
        assert.match(error.message, /operationId/);
      }
      assert.deepEqual(await store.getItems('s1'), [{ a: 1 }]);
    });

    test(
      'operation ids are forgotten after operationIdTtlSeconds, on clearItems and on delete',
      async ({ store, wait }) => {
        await store.appendItems('s1', [{ a: 1 }], { operationId: 'op' });
        await wait(700);
        assert.equal(await store.appendItems('s1', [{ a: 1 }], { operationId: 'op' }), 2, 'expired id');
        assert.equal(await store.clearItems('s1'), 2);
        assert.equal(await store.appendItems('s1', [{ a: 1 }], { operationId: 'op' }), 1, 'after clear');
        await store.delete('s1');
        assert.equal(await store.appendItems('s1', [{ b: 1 }], { operationId: 'op' }), 1, 'after delete');
      },
      { operationIdTtlSeconds: 0.4 },
    );
  });

  describe('history: limits', () => {
    test(
      'maxItems refuses a write past it, naming the option, and writes nothing',
      async ({ store }) => {
        assert.equal(await store.appendItems('s1', itemsOf('m', 4)), 4);
        const error = await invalid(store.appendItems('s1', itemsOf('m', 2, 4)), 'past maxItems');
        assert.equal(error.field, 'maxItems');
        assert.equal(
          (await invalid(store.appendItems('s2', itemsOf('m', 6)), 'a batch over')).field,
          'maxItems',
        );
        assert.equal(await store.exists('s2'), false);
        await invalid(store.replaceItems('s1', itemsOf('r', 2), { expectedSuffix: [] }), 'replace past');
        assert.deepEqual(await store.getItems('s1'), itemsOf('m', 4));
        assert.equal(await store.appendItems('s1', itemsOf('m', 1, 4)), 5, 'up to the limit is fine');
        assert.equal(await store.replaceItems('s1', itemsOf('r', 5)), 5);
      },
      { maxItems: 5 },
    );

    test(
      "itemsOverflow 'trimOldest' keeps the newest maxItems",
      async ({ store }) => {
        await store.appendItems('s1', itemsOf('t', 4));
        assert.equal(await store.appendItems('s1', itemsOf('t', 3, 4)), 5);
        assert.deepEqual(await store.getItems('s1'), itemsOf('t', 5, 2));
        assert.equal(await store.appendItems('s1', itemsOf('u', 7)), 5);
        assert.deepEqual(await store.getItems('s1'), itemsOf('u', 5, 2));
        assert.equal(await store.replaceItems('s1', itemsOf('v', 2), { expectedSuffix: [] }), 5);
        assert.deepEqual(await store.getItems('s1'), [...itemsOf('u', 3, 4), ...itemsOf('v', 2)]);
      },
      { maxItems: 5, itemsOverflow: 'trimOldest' },
    );

    test(
      'maxItemBytes counts UTF-8 bytes of one item, names the option, and items skip maxSessionBytes',
      async ({ store }) => {
        // {"t":"…"} is 8 bytes of JSON around the text; "é" takes 2 bytes, so 996 of them make 2000.
        const fits = { t: 'é'.repeat(996) };
        assert.equal(
          await store.appendItems('s1', [fits, fits, fits]),
          3,
          'items do not count toward maxSessionBytes',
        );
        const error = await invalid(store.appendItems('s1', [{ ok: 1 }, { t: 'é'.repeat(997) }]), 'over');
        assert.equal(error.field, 'maxItemBytes');
        assert.match(error.message, /items\[1\]/);
        await invalid(store.replaceItems('s1', [{ t: 'é'.repeat(997) }]), 'a replacement over');
        assert.equal((await store.getItems('s1')).length, 3, 'nothing was written');
      },
      { maxItemBytes: 2000, maxSessionBytes: 1024 },
    );
  });

  const appendRaw = options.appendRawItems;
  if (appendRaw) {
    describe('history: corrupt items', () => {
      test('a corrupt stored item is a SessionDecodeError; the others still read', async ({ store }) => {
        for (const [i, raw] of ['{"unterminated', '[1,2]', '42', 'null'].entries()) {
          const id = `corrupt-${i}`;
          await store.appendItems(id, [{ before: true }]);
          await appendRaw(store, id, [raw]);
          await store.appendItems(id, [{ after: true }]);
          const error = await rejectsWith(store.getItems(id), isSessionDecodeError, `reading ${raw}`);
          assert.equal(error.code, 'SESSION_DECODE');
          assert.deepEqual(await store.getItems(id, { limit: 1 }), [{ after: true }]);
          assert.deepEqual(await store.popItem(id), { after: true });
          await rejectsWith(store.popItem(id), isSessionDecodeError, `popping ${raw}`);
        }
      });
    });
  }
}
