// The conformance group for conversation history (DESIGN §9): order, limit, copies, validation, pop and
// clear here; TTL, replaceItems, operation ids, limits and corrupt items in history-semantics.ts.
import assert from 'node:assert/strict';
import type { JsonObject } from '../codec/json.js';
import { isSessionStoreClosedError, isSessionValidationError } from '../errors/errors.js';
import type { SessionStore } from '../store/SessionStore.js';
import { defineConformanceGroup } from './harness.js';
import { describeHistorySemantics } from './history-semantics.js';
import { rejectsWith } from './must.js';

/** Options of the history group (`ConformanceOptions.history`). */
export interface HistoryConformanceOptions {
  /**
   * Appends `texts` to the session's stored history exactly as given, bypassing every check, as a
   * damaged row or a foreign writer would leave them; the session exists when it is called. Given, the
   * suite checks that corrupt items are a SessionDecodeError. A subclass can reach the protected
   * `doAppendItems` hook for this; a Redis test can RPUSH.
   */
  appendRawItems?: (store: SessionStore, sessionId: string, texts: string[]) => Promise<void> | void;
}

export const invalid = (p: Promise<unknown>, what: string) =>
  rejectsWith(p, isSessionValidationError, `${what} should reject with SessionValidationError`);

/** `n` items `{ n: from + i, tag }`. */
export const itemsOf = (tag: string, n: number, from = 0): JsonObject[] =>
  Array.from({ length: n }, (_, i) => ({ tag, n: from + i }));

export const historyGroup = defineConformanceGroup('history', 'history', (test, { describe, options }) => {
  const history = typeof options.history === 'object' ? options.history : {};
  test('appendItems keeps the order of arrival and returns the length', async ({ store }) => {
    assert.deepEqual(await store.getItems('s1'), [], 'an absent session has no items');
    assert.equal(await store.appendItems('s1', itemsOf('a', 3)), 3);
    assert.equal(await store.appendItems('s1', [{ role: 'user', content: 'hi' }]), 4);
    assert.equal(await store.appendItems('s1', itemsOf('b', 2)), 6);
    assert.deepEqual(await store.getItems('s1'), [
      ...itemsOf('a', 3),
      { role: 'user', content: 'hi' },
      ...itemsOf('b', 2),
    ]);
    assert.equal(await store.appendItems('s1', []), 6, 'an empty append returns the length');
  });

  test('appendItems creates the session as getOrCreate would', async ({ store }) => {
    assert.equal(await store.appendItems('new', []), 0);
    const created = await store.get('new', { touch: false });
    assert.ok(created, 'appendItems([]) created the session');
    assert.equal(created.version, 1);
    assert.equal(created.messageCount, 0);
    assert.equal(typeof created.threadId, 'string');
    assert.equal((await store.getOrCreate('new')).created, false);
    assert.equal(await store.appendItems('other', [{ a: 1 }]), 1);
    assert.equal(await store.exists('other'), true);
    assert.equal(await store.countActive(), 2, 'the index counts sessions, not items');
  });

  test('concurrent appends: every batch contiguous and in its own order, nothing lost', async ({ store }) => {
    const lengths = await Promise.all(
      Array.from({ length: 20 }, (_, b) => store.appendItems('s1', itemsOf(`batch-${b}`, 3))),
    );
    assert.deepEqual(
      [...lengths].sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => 3 * (i + 1)),
      'each call saw its own length',
    );
    const items = await store.getItems('s1');
    assert.equal(items.length, 60);
    for (let i = 0; i < 60; i += 3) {
      const tag = items[i]?.tag;
      assert.deepEqual(items.slice(i, i + 3), itemsOf(tag as string, 3), `batch at ${i} is contiguous`);
    }
    assert.equal(new Set(items.map((item) => item.tag)).size, 20, 'no batch duplicated or lost');
  });

  test('getItems with limit returns the most recent items, oldest first', async ({ store }) => {
    await store.appendItems('s1', itemsOf('x', 5));
    assert.deepEqual(await store.getItems('s1', { limit: 2 }), itemsOf('x', 2, 3));
    assert.deepEqual(await store.getItems('s1', { limit: 1 }), itemsOf('x', 1, 4));
    assert.deepEqual(await store.getItems('s1', { limit: 5 }), itemsOf('x', 5));
    assert.deepEqual(await store.getItems('s1', { limit: 50 }), itemsOf('x', 5));
    assert.deepEqual(await store.getItems('s1', { limit: 0 }), []);
    assert.deepEqual(await store.getItems('absent', { limit: 3 }), []);
    // The same without touch (a store may read without its touch machinery then).
    const untouched = async (limit?: number) => store.getItems('s1', { limit, touch: false });
    assert.deepEqual(await untouched(2), itemsOf('x', 2, 3), 'limit 2 without touch');
    assert.deepEqual(await untouched(50), itemsOf('x', 5), 'limit 50 without touch');
    assert.deepEqual(await untouched(0), [], 'limit 0 without touch');
    assert.deepEqual(await untouched(), itemsOf('x', 5), 'no limit without touch');
    assert.deepEqual(await store.getItems('absent', { touch: false }), [], 'absent without touch');
    for (const limit of [-1, 1.5, Number.NaN, '2', 2 ** 53]) {
      await invalid(store.getItems('s1', { limit: limit as number }), `limit ${String(limit)}`);
    }
    await invalid(store.getItems('s1', { touch: 'yes' as never }), 'a non-boolean touch');
  });

  test('items are copies, round-trip exactly and compare regardless of key order', async ({ store }) => {
    const nested = { list: [1, { deep: 'x' }], obj: { k: 'v' } };
    const input = [{ role: 'user', nested }];
    await store.appendItems('s1', input);
    nested.list.push(99);
    nested.obj.k = 'changed-input';
    const first = await store.getItems('s1');
    (first[0] as { role: string }).role = 'mutant';
    first.push({ extra: true });
    const exact = {
      emptyArray: [],
      emptyObject: {},
      nothing: null,
      maxSafe: 2 ** 53 - 1,
      pointThree: 0.1 + 0.2,
      huge: 1.7976931348623157e308,
      unicode: 'héllo — 你好 🙂 \u2028',
      quotes: 'say "hi" \\ \n\t',
      negativeZero: -0,
      dropped: undefined,
    };
    await store.appendItems('s1', [exact as never]);
    const proto = JSON.parse('{"__proto__":{"polluted":true},"constructor":1}');
    await store.appendItems('s1', [proto]);
    const items = await store.getItems('s1', { touch: false });
    assert.deepEqual(items[0], { role: 'user', nested: { list: [1, { deep: 'x' }], obj: { k: 'v' } } });
    const { dropped: _, ...kept } = exact;
    assert.deepEqual(items[1], { ...kept, negativeZero: 0 });
    assert.ok(!Object.hasOwn(items[1] as object, 'dropped'), 'undefined properties are dropped');
    assert.ok(Object.is((items[1] as { negativeZero: number }).negativeZero, 0));
    assert.ok(Object.hasOwn(items[2] as object, '__proto__'), '__proto__ stays plain data');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(await store.popItem('s1'), proto);
    assert.equal(await store.appendItems('s1', [proto]), 3);
    assert.deepEqual(await store.getItems('s1', { limit: 1 }), [proto]);
  });

  test('bad items are a SessionValidationError naming the path, and nothing is stored', async ({ store }) => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [unknown, string][] = [
      [[{ ok: 1 }, { ok: 2 }, { content: () => 1 }], 'items[2].content'],
      [[{ a: [1, undefined] }], 'items[0].a[1]'],
      [[{ n: Number.NaN }], 'items[0].n'],
      [[{ big: 10n }], 'items[0].big'],
      [[{ when: new Date() }], 'items[0].when'],
      [[{ map: new Map() }], 'items[0].map'],
      [[circular], 'items[0].self'],
      [[['not', 'an', 'object']], 'items[0]'],
      [['text'], 'items[0]'],
      [[null], 'items[0]'],
      [{ role: 'user' }, 'items'],
    ];
    for (const [items, path] of cases) {
      const error = await invalid(store.appendItems('s1', items as never), path);
      assert.equal(error.field, path, `the error names ${path}`);
      assert.match(error.message, new RegExp(path.replace(/[[\].]/g, '\\$&')));
    }
    assert.equal(await store.exists('s1'), false, 'no session was created');
    await store.appendItems('s1', [{ ok: true }]);
    const bad = await invalid(store.replaceItems('s1', [{ x: Symbol('s') } as never]), 'replacement');
    assert.equal(bad.field, 'replacement[0].x');
    const suffix = await invalid(
      store.replaceItems('s1', [], { expectedSuffix: [{ ok: true }, 5 as never] }),
      'expectedSuffix',
    );
    assert.equal(suffix.field, 'expectedSuffix[1]');
    await invalid(store.replaceItems('s1', [], { expectedSuffix: {} as never }), 'a non-array suffix');
    for (const operationId of ['', 42, 'x'.repeat(513), null]) {
      const error = await invalid(
        store.appendItems('s1', [{ a: 1 }], { operationId: operationId as string }),
        `operationId ${JSON.stringify(operationId)}`,
      );
      assert.equal(error.field, 'operationId');
    }
    await invalid(store.appendItems('s1', [], { ttlSeconds: -1 }), 'a negative ttlSeconds');
    for (const call of [
      () => store.appendItems('', []),
      () => store.getItems('bad\n'),
      () => store.popItem(42 as never),
      () => store.replaceItems('x'.repeat(513), []),
      () => store.clearItems(undefined as never),
    ]) {
      assert.equal((await invalid(call(), 'a bad session id')).field, 'sessionId');
    }
    assert.deepEqual(await store.getItems('s1'), [{ ok: true }]);
  });

  test('popItem removes the newest item; clearItems empties the log and keeps the session', async ({
    store,
  }) => {
    assert.equal(await store.popItem('absent'), null);
    assert.equal(await store.clearItems('absent'), 0);
    assert.equal(await store.exists('absent'), false, 'neither creates a session');
    await store.appendItems('s1', itemsOf('p', 3));
    assert.deepEqual(await store.popItem('s1'), { tag: 'p', n: 2 });
    assert.deepEqual(await store.getItems('s1'), itemsOf('p', 2));
    assert.equal(await store.clearItems('s1'), 2);
    assert.deepEqual(await store.getItems('s1'), []);
    assert.equal(await store.popItem('s1'), null, 'an empty log pops null');
    assert.equal(await store.clearItems('s1'), 0);
    assert.equal(await store.exists('s1'), true, 'clearItems keeps the session');
    assert.equal(await store.appendItems('s1', itemsOf('q', 1)), 1);
  });

  test('after close, every history method rejects with SessionStoreClosedError', async ({ store }) => {
    await store.close();
    for (const call of [
      () => store.appendItems('s1', []),
      () => store.getItems('s1'),
      () => store.popItem('s1'),
      () => store.replaceItems('s1', []),
      () => store.clearItems('s1'),
    ]) {
      await rejectsWith(call(), isSessionStoreClosedError, 'a history call after close');
    }
  });

  describeHistorySemantics(describe, test, history);
});
