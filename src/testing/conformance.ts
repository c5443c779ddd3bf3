// The conformance suite: the behaviour every SessionStore must show. The built-in stores run it in this
// project's tests; authors of other backends run it against theirs. It needs only `describe` and `it`
// from the test runner and asserts with node:assert, so vitest, jest, mocha and node:test all work.
import assert from 'node:assert/strict';
import type { SessionData } from '../codec/SessionData.js';
import {
  isSessionConflictError,
  isSessionStoreClosedError,
  isSessionValidationError,
} from '../errors/errors.js';
import { encodedSize } from '../store/records.js';
import type { SessionStore, SessionStoreOptions } from '../store/SessionStore.js';
import { describeHistoryConformance, type HistoryConformanceOptions } from './history.js';

/** What the suite passes to the factory for each test. */
export interface ConformanceContext {
  /** Clock to inject (epoch ms). With `clock: 'manual'` the suite moves it instead of sleeping. */
  now: () => number;
  /** Common options this test needs; the factory must pass them to the store. */
  options: SessionStoreOptions;
}

export interface ConformanceOptions {
  /**
   * `manual`: the store uses `context.now`, and the suite advances it (no sleeping).
   * `real`: the store keeps real time; expiry tests sleep a few hundred milliseconds.
   * Default `real`.
   */
  clock?: 'manual' | 'real';
  /** The runner's `describe` and `it`. Default: the globals of that name. */
  describe?: (name: string, body: () => void) => void;
  it?: (name: string, body: () => Promise<void>, timeout?: number) => void;
  /** Per-test timeout in ms passed to `it`. Default 20,000. */
  timeoutMs?: number;
  /** The conversation-history group: `false` leaves it out; an object passes its options. Default on. */
  history?: boolean | HistoryConformanceOptions;
}

export type StoreFactory = (context: ConformanceContext) => SessionStore | Promise<SessionStore>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Values that must round-trip exactly through every write path. */
export const EXACT_METADATA_VALUES: Record<string, unknown> = {
  emptyArray: [],
  emptyObject: {},
  nullValue: null,
  maxSafe: 2 ** 53 - 1,
  minSafe: -(2 ** 53 - 1),
  pointThree: 0.1 + 0.2,
  tinyNegative: -0.000001,
  huge: 1.7976931348623157e308,
  unicode: 'héllo wörld — 你好 🙂',
  lineSeparator: 'a\u2028b\u2029c',
  quotes: 'say "hi" \\ \n\t',
  nestedEmpty: [[{}], [], [{}, {}], { a: [] }],
  bool: false,
  zero: 0,
};

/** Ids the contract requires every store to accept and keep apart. */
export const VALID_IDS: readonly string[] = [
  'plain',
  'with:colon',
  'with:{brace}',
  '{hashtag}',
  'star*',
  '*',
  'ünïcødé-会话-🙂',
  '__proto__',
  'constructor',
  'x'.repeat(512),
  ' spaced id ',
];

/** Ids every store must refuse with SessionValidationError. */
export const INVALID_IDS: readonly unknown[] = [
  '',
  'x'.repeat(513),
  'line\nbreak',
  'nul\u0000',
  'tab\t',
  'del\u007f',
  42,
  null,
  undefined,
];

async function rejectsWith<E>(
  promise: Promise<unknown>,
  guard: (e: unknown) => e is E,
  message: string,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (guard(error)) return error;
    assert.fail(`${message}: got ${String(error)}`);
  }
  assert.fail(`${message}: the call resolved`);
}

const validation = (p: Promise<unknown>, what: string) =>
  rejectsWith(p, isSessionValidationError, `${what} should reject with SessionValidationError`);

/**
 * Registers the conformance tests for one backend. `createStore` is called once per test (with the
 * options that test needs) and the store is closed afterwards.
 */
export function describeSessionStoreConformance(
  name: string,
  createStore: StoreFactory,
  suiteOptions: ConformanceOptions = {},
): void {
  const g = globalThis as { describe?: ConformanceOptions['describe']; it?: ConformanceOptions['it'] };
  const describe = suiteOptions.describe ?? g.describe;
  const it = suiteOptions.it ?? g.it;
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new TypeError(
      "describeSessionStoreConformance needs describe() and it(): pass them in the options ({ describe, it }) or enable your runner's globals",
    );
  }
  const manual = suiteOptions.clock === 'manual';
  const timeout = suiteOptions.timeoutMs ?? 20_000;

  interface Harness {
    store: SessionStore;
    /** Lets `ms` pass: moves the manual clock, or sleeps. */
    wait(ms: number): Promise<void>;
  }

  const test = (title: string, body: (h: Harness) => Promise<void>, options: SessionStoreOptions = {}) => {
    it(
      title,
      async () => {
        let offset = 0;
        const start = Date.now();
        const now = () => start + offset;
        const store = await createStore({ now: manual ? now : Date.now, options });
        const wait = async (ms: number) => {
          if (manual) offset += ms;
          else await sleep(ms);
        };
        try {
          await body({ store, wait });
        } finally {
          await store.close();
        }
      },
      timeout,
    );
  };

  describe(`SessionStore conformance: ${name}`, () => {
    describe('get and set', () => {
      test('get returns null for an absent session', async ({ store }) => {
        assert.equal(await store.get('absent'), null);
        assert.equal(await store.exists('absent'), false);
      });

      test('set stores a session with defaults and returns what was stored', async ({ store }) => {
        const before = Date.now();
        const saved = await store.set('s1', { userId: 'u1', metadata: { plan: 'pro' } });
        assert.equal(saved.sessionId, 's1');
        assert.equal(saved.userId, 'u1');
        assert.equal(saved.threadId, null);
        assert.equal(saved.messageCount, 0);
        assert.equal(saved.escalated, false);
        assert.equal(saved.requestId, null);
        assert.deepEqual(saved.metadata, { plan: 'pro' });
        assert.equal(saved.version, 1);
        assert.ok(saved.createdAt instanceof Date && saved.updatedAt instanceof Date);
        assert.ok(saved.expiresAt instanceof Date, 'expiresAt is assigned on write');
        const ttlMs = saved.expiresAt.getTime() - saved.updatedAt.getTime();
        assert.ok(Math.abs(ttlMs - 1800_000) < 2_000, `default TTL is 1800 s, got ${ttlMs} ms`);
        assert.deepEqual(await store.get('s1', { touch: false }), saved);
        assert.ok(saved.createdAt.getTime() >= before - 60_000);
      });

      test('set replaces the data, keeps createdAt and bumps version', async ({ store, wait }) => {
        const first = await store.set('s1', { userId: 'u1', metadata: { a: 1, b: 2 }, escalated: true });
        await wait(20);
        const second = await store.set('s1', { metadata: { c: 3 } });
        assert.equal(second.createdAt.getTime(), first.createdAt.getTime());
        assert.ok(second.updatedAt.getTime() >= first.updatedAt.getTime());
        assert.equal(second.version, 2);
        assert.equal(second.userId, null, 'set replaces: unspecified fields take their defaults');
        assert.equal(second.escalated, false);
        assert.deepEqual(second.metadata, { c: 3 });
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
        assert.equal(saved.createdAt.toISOString(), createdAt.toISOString());
        const again = await store.set('s1', saved);
        assert.equal(again.threadId, 't-1');
        assert.equal(again.messageCount, 7);
        assert.equal(again.requestId, 'r-1');
        assert.equal(again.version, 2, 'a version passed in is ignored: the store assigns it');
      });

      test('set rejects a mismatched sessionId, unknown fields and wrong types', async ({ store }) => {
        await validation(store.set('s1', { sessionId: 'other' }), 'mismatched sessionId');
        await validation(store.set('s1', { colour: 'red' } as never), 'unknown field');
        await validation(store.set('s1', { messageCount: -1 }), 'negative messageCount');
        await validation(store.set('s1', { messageCount: 1.5 }), 'fractional messageCount');
        await validation(store.set('s1', { escalated: 'yes' } as never), 'non-boolean escalated');
        await validation(store.set('s1', { metadata: [] as never }), 'array metadata');
        await validation(store.set('s1', 'text' as never), 'non-object data');
        assert.equal(await store.exists('s1'), false, 'nothing was stored');
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
        assert.ok(got);
        got.metadata.other = 1;
        got.lastActivity.setFullYear(1999);
        const created = await store.getOrCreate('s1');
        created.session.metadata.third = 3;
        const updated = await store.update('s1', { metadata: { z: 1 } });
        assert.ok(updated);
        (updated.metadata.nested as { list: unknown[] }).list.length = 0;
        const fresh = await store.get('s1', { touch: false });
        assert.ok(fresh);
        assert.equal(fresh.userId, 'u1');
        assert.deepEqual(fresh.metadata, { nested: { list: [1, { deep: 'x' }], obj: { k: 'v' } }, z: 1 });
        assert.notEqual(fresh.createdAt.getFullYear(), 1999);
        assert.notEqual(fresh.lastActivity.getFullYear(), 1999);
      });
    });

    describe('getOrCreate', () => {
      test('creates once, then returns the same session', async ({ store }) => {
        const first = await store.getOrCreate('s1', { userId: 'u1', metadata: { channel: 'web' } });
        assert.equal(first.created, true);
        assert.equal(first.session.userId, 'u1');
        assert.equal(first.session.version, 1);
        assert.equal(typeof first.session.threadId, 'string');
        assert.ok((first.session.threadId as string).length > 0, 'a threadId is generated');
        assert.deepEqual(first.session.metadata, { channel: 'web' });
        const second = await store.getOrCreate('s1', { userId: 'someone-else' });
        assert.equal(second.created, false);
        assert.equal(second.session.userId, 'u1', 'init is ignored for an existing session');
        assert.equal(second.session.threadId, first.session.threadId);
        assert.equal(second.session.version, 1);
      });

      test('keeps a given threadId', async ({ store }) => {
        const { session } = await store.getOrCreate('s1', { threadId: 'thread-given' });
        assert.equal(session.threadId, 'thread-given');
      });

      test('100 concurrent calls: exactly one created, one threadId', async ({ store }) => {
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => store.getOrCreate('race', { userId: `u${i}` })),
        );
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(new Set(results.map((r) => r.session.threadId)).size, 1);
        assert.equal(new Set(results.map((r) => r.session.userId)).size, 1);
        const stored = await store.get('race', { touch: false });
        assert.equal(stored?.threadId, results[0]?.session.threadId);
      });
    });

    describe('update', () => {
      test('merges metadata key by key and removes keys set to undefined', async ({ store }) => {
        await store.set('s1', { userId: 'u1', metadata: { a: 1, b: 2, c: 3 } });
        const updated = await store.update('s1', {
          escalated: true,
          metadata: { b: 20, c: undefined, d: 4 },
        });
        assert.ok(updated);
        assert.deepEqual(updated.metadata, { a: 1, b: 20, d: 4 });
        assert.equal(updated.escalated, true);
        assert.equal(updated.userId, 'u1', 'fields not in the patch are kept');
        assert.equal(updated.version, 2);
        assert.deepEqual(await store.get('s1', { touch: false }), updated);
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
        assert.ok(updated);
        assert.equal(updated.userId, 'u2');
        assert.equal(updated.threadId, 't2');
        assert.equal(updated.messageCount, 5);
        assert.equal(updated.escalated, true);
        assert.equal(updated.requestId, 'r2');
        const cleared = await store.update('s1', { userId: null, requestId: null });
        assert.equal(cleared?.userId, null);
        assert.equal(cleared?.requestId, null);
      });

      test('returns null for an absent session and creates nothing', async ({ store }) => {
        assert.equal(await store.update('absent', { escalated: true }), null);
        assert.equal(await store.exists('absent'), false);
      });

      test('an unknown key or a bad value is a SessionValidationError and writes nothing', async ({
        store,
      }) => {
        await store.set('s1', { metadata: { a: 1 } });
        await validation(store.update('s1', { colour: 'red' } as never), 'unknown patch key');
        await validation(store.update('s1', { createdAt: new Date() } as never), 'store-assigned key');
        await validation(store.update('s1', { version: 3 } as never), 'version in a patch');
        await validation(store.update('s1', { messageCount: -2 }), 'negative messageCount');
        await validation(store.update('s1', { metadata: { f: () => 1 } } as never), 'function metadata');
        const after = await store.get('s1', { touch: false });
        assert.equal(after?.version, 1);
        assert.deepEqual(after?.metadata, { a: 1 });
      });

      test('expectedVersion: a match writes, a stale one conflicts and writes nothing', async ({ store }) => {
        const saved = await store.set('s1', { metadata: { n: 1 } });
        const ok = await store.update('s1', { metadata: { n: 2 } }, { expectedVersion: saved.version });
        assert.equal(ok?.version, saved.version + 1);
        const error = await rejectsWith(
          store.update('s1', { metadata: { n: 3 } }, { expectedVersion: saved.version }),
          isSessionConflictError,
          'stale expectedVersion',
        );
        // Guards, not instanceof: a backend may load another copy of this package than the suite.
        assert.equal(error.name, 'SessionConflictError');
        assert.equal(error.code, 'SESSION_CONFLICT');
        const after = await store.get('s1', { touch: false });
        assert.equal(after?.version, saved.version + 1);
        assert.deepEqual(after?.metadata, { n: 2 });
        assert.equal(await store.update('absent', { escalated: true }, { expectedVersion: 1 }), null);
      });

      test('concurrent updates of distinct metadata keys all land', async ({ store }) => {
        await store.set('s1', {});
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.update('s1', { metadata: { [`k${i}`]: i } })),
        );
        const after = await store.get('s1', { touch: false });
        assert.equal(Object.keys(after?.metadata ?? {}).length, 50);
        assert.equal(after?.version, 51);
      });
    });

    describe('incrementCounter', () => {
      test('increments messageCount and metadata keys; absent keys count from 0', async ({ store }) => {
        await store.set('s1', { messageCount: 2, metadata: { clicks: 10, label: 'x' } });
        assert.equal(await store.incrementCounter('s1', 'messageCount'), 3);
        assert.equal(await store.incrementCounter('s1', 'messageCount', 5), 8);
        assert.equal(await store.incrementCounter('s1', 'clicks', -3), 7);
        assert.equal(await store.incrementCounter('s1', 'fresh'), 1);
        assert.equal(await store.incrementCounter('s1', 'fresh', 41), 42);
        const after = await store.get('s1', { touch: false });
        assert.equal(after?.messageCount, 8);
        assert.deepEqual(after?.metadata, { clicks: 7, label: 'x', fresh: 42 });
        assert.equal(after?.version, 6);
      });

      test('a non-number field is an error and changes nothing', async ({ store }) => {
        await store.set('s1', { metadata: { label: 'x', nested: { n: 1 }, fraction: 1.5, nothing: null } });
        for (const field of ['label', 'nested', 'fraction', 'nothing']) {
          await validation(store.incrementCounter('s1', field), `incrementing ${field}`);
        }
        const after = await store.get('s1', { touch: false });
        assert.equal(after?.version, 1);
        assert.deepEqual(after?.metadata, { label: 'x', nested: { n: 1 }, fraction: 1.5, nothing: null });
      });

      test('a fractional, non-finite or non-number delta is an error', async ({ store }) => {
        await store.set('s1', {});
        for (const delta of [0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1']) {
          await validation(
            store.incrementCounter('s1', 'messageCount', delta as number),
            `delta ${String(delta)}`,
          );
        }
        assert.equal((await store.get('s1', { touch: false }))?.messageCount, 0);
      });

      test('a result outside the safe range, or a negative messageCount, is an error', async ({ store }) => {
        await store.set('s1', { messageCount: 1, metadata: { big: 2 ** 53 - 2 } });
        await validation(store.incrementCounter('s1', 'big', 5), 'overflowing counter');
        await validation(store.incrementCounter('s1', 'messageCount', -2), 'negative messageCount');
        const after = await store.get('s1', { touch: false });
        assert.equal(after?.messageCount, 1);
        assert.equal(after?.metadata.big, 2 ** 53 - 2);
      });

      test('returns null for an absent session and creates nothing', async ({ store }) => {
        assert.equal(await store.incrementCounter('absent', 'messageCount'), null);
        assert.equal(await store.incrementCounter('absent', 'meta'), null);
        assert.equal(await store.exists('absent'), false);
      });

      test('concurrent increments are all counted', async ({ store }) => {
        await store.set('s1', {});
        await Promise.all(Array.from({ length: 100 }, () => store.incrementCounter('s1', 'messageCount')));
        await Promise.all(Array.from({ length: 50 }, () => store.incrementCounter('s1', 'hits', 2)));
        const after = await store.get('s1', { touch: false });
        assert.equal(after?.messageCount, 100);
        assert.equal(after?.metadata.hits, 100);
      });
    });

    describe('version', () => {
      test('rises by one per data write, and not on reads or touches', async ({ store }) => {
        assert.equal((await store.set('s1', {})).version, 1);
        assert.equal((await store.update('s1', { escalated: true }))?.version, 2);
        await store.incrementCounter('s1', 'messageCount');
        assert.equal((await store.get('s1'))?.version, 3, 'get with touch does not bump version');
        await store.touch('s1');
        assert.equal((await store.get('s1', { touch: false }))?.version, 3);
        assert.equal((await store.getOrCreate('s1')).session.version, 3);
        assert.equal((await store.set('s1', {})).version, 4);
      });
    });

    describe('touch, exists and delete', () => {
      test('touch slides the TTL and lastActivity without changing data', async ({ store, wait }) => {
        const saved = await store.set('s1', { metadata: { a: 1 } }, { ttlSeconds: 60 });
        await wait(50);
        assert.equal(await store.touch('s1'), true);
        const after = await store.get('s1', { touch: false });
        assert.ok(after?.expiresAt && saved.expiresAt);
        assert.ok(after.expiresAt.getTime() > saved.expiresAt.getTime(), 'expiresAt moved forward');
        assert.ok(after.lastActivity.getTime() > saved.lastActivity.getTime(), 'lastActivity moved forward');
        assert.equal(after.updatedAt.getTime(), saved.updatedAt.getTime(), 'updatedAt is for data writes');
        assert.deepEqual(after.metadata, { a: 1 });
        assert.equal(after.version, saved.version);
        assert.equal(await store.touch('absent'), false);
        assert.equal(await store.exists('absent'), false);
      });

      test('delete removes and reports whether something was deleted', async ({ store }) => {
        await store.set('s1', {});
        assert.equal(await store.exists('s1'), true);
        assert.equal(await store.delete('s1'), true);
        assert.equal(await store.exists('s1'), false);
        assert.equal(await store.get('s1'), null);
        assert.equal(await store.delete('s1'), false);
        assert.equal(await store.countActive(), 0);
      });
    });

    describe('expiry', () => {
      test('a session expires after its TTL', async ({ store, wait }) => {
        await store.set('short', {}, { ttlSeconds: 0.4 });
        await store.set('long', {}, { ttlSeconds: 60 });
        assert.equal(await store.exists('short'), true);
        await wait(700);
        assert.equal(await store.get('short'), null);
        assert.equal(await store.exists('short'), false);
        assert.equal(await store.touch('short'), false);
        assert.equal(await store.update('short', { escalated: true }), null);
        assert.equal(await store.incrementCounter('short', 'messageCount'), null);
        assert.equal(await store.delete('short'), false);
        assert.equal(await store.countActive(), 1);
        assert.deepEqual(await store.listActive(), ['long']);
      });

      test("get with touch slides expiry by the session's own TTL; get without touch does not", async ({
        store,
        wait,
      }) => {
        await store.set('touched', {}, { ttlSeconds: 0.6 });
        await store.set('untouched', {}, { ttlSeconds: 0.6 });
        await wait(400);
        assert.ok(await store.get('touched', { touch: true }));
        assert.ok(await store.get('untouched', { touch: false }));
        await wait(400);
        assert.ok(await store.get('touched', { touch: false }), 'touched session is still alive at 0.8 s');
        assert.equal(
          await store.get('untouched', { touch: false }),
          null,
          'untouched session expired at 0.6 s',
        );
      });

      test('every write slides by the TTL the session was last written with', async ({ store, wait }) => {
        await store.set('s1', { metadata: {} }, { ttlSeconds: 0.6 });
        await wait(400);
        await store.update('s1', { metadata: { a: 1 } });
        await wait(400);
        assert.equal(await store.incrementCounter('s1', 'messageCount'), 1, 'update slid the TTL');
        await wait(400);
        assert.equal(await store.touch('s1'), true, 'incrementCounter slid the TTL');
        await wait(400);
        const alive = await store.get('s1', { touch: false });
        assert.ok(alive, 'touch slid the TTL');
        assert.ok(alive.expiresAt);
        const remaining = alive.expiresAt.getTime() - alive.lastActivity.getTime();
        assert.ok(
          remaining <= 700,
          `slides use the session's 0.6 s TTL, not the default (got ${remaining} ms)`,
        );
        await wait(800);
        assert.equal(await store.exists('s1'), false);
      });

      test('touch with ttlSeconds changes the TTL the session remembers', async ({ store, wait }) => {
        await store.set('s1', {}, { ttlSeconds: 60 });
        assert.equal(await store.touch('s1', { ttlSeconds: 0.4 }), true);
        await wait(250);
        assert.equal(await store.touch('s1'), true);
        await wait(700);
        assert.equal(await store.exists('s1'), false, 'the touch without ttlSeconds slid by 0.4 s');
      });

      test(
        'touchOnGet: false makes get a plain read unless asked',
        async ({ store, wait }) => {
          await store.set('s1', {}, { ttlSeconds: 0.6 });
          await wait(400);
          assert.ok(await store.get('s1'));
          await wait(400);
          assert.equal(await store.get('s1'), null);
        },
        { touchOnGet: false },
      );

      test(
        'maxLifetimeSeconds caps the life no touch can extend',
        async ({ store, wait }) => {
          const saved = await store.set('s1', {}, { ttlSeconds: 0.6 });
          assert.ok(saved.expiresAt);
          assert.ok(saved.expiresAt.getTime() - saved.createdAt.getTime() <= 1000);
          await wait(400);
          assert.equal(await store.touch('s1'), true);
          await wait(400);
          assert.ok(await store.get('s1'), 'still within its lifetime');
          await wait(400);
          assert.equal(await store.touch('s1'), false, 'lifetime cap reached at 1.0 s despite touches');
          assert.equal(await store.get('s1'), null);
        },
        { maxLifetimeSeconds: 1 },
      );

      test(
        'a session whose createdAt is already past maxLifetimeSeconds is written as expired',
        async ({ store }) => {
          const createdAt = new Date('1960-01-01T00:00:00.000Z');
          const saved = await store.set('old', { createdAt });
          assert.equal(saved.createdAt.getTime(), createdAt.getTime());
          assert.ok(saved.expiresAt !== null && saved.expiresAt.getTime() <= createdAt.getTime() + 60_000);
          const created = await store.getOrCreate('older', { createdAt });
          assert.equal(created.created, true);
          assert.equal(await store.get('old'), null);
          assert.equal(await store.get('older'), null);
          assert.equal(await store.countActive(), 0);
          assert.deepEqual(await store.listActive(), []);
        },
        { maxLifetimeSeconds: 60 },
      );

      test(
        'defaultTtlSeconds applies to writes without ttlSeconds',
        async ({ store, wait }) => {
          await store.set('s1', {});
          await store.getOrCreate('s2');
          await wait(700);
          assert.equal(await store.exists('s1'), false);
          assert.equal(await store.exists('s2'), false);
        },
        { defaultTtlSeconds: 0.4 },
      );

      test('cleanupExpired removes what expired and returns how many', async ({ store, wait }) => {
        for (const id of ['a', 'b', 'c']) await store.set(id, {}, { ttlSeconds: 0.3 });
        for (const id of ['d', 'e']) await store.set(id, {}, { ttlSeconds: 60 });
        await wait(600);
        assert.equal(await store.cleanupExpired(), 3);
        assert.equal(await store.cleanupExpired(), 0);
        assert.equal(await store.countActive(), 2);
        assert.deepEqual((await store.listActive()).sort(), ['d', 'e']);
      });

      test('TTLs that are not positive finite numbers are refused', async ({ store }) => {
        for (const ttlSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10', null]) {
          await validation(
            store.set('s1', {}, { ttlSeconds: ttlSeconds as number }),
            `ttlSeconds ${String(ttlSeconds)}`,
          );
          await validation(
            store.getOrCreate('s1', {}, { ttlSeconds: ttlSeconds as number }),
            `ttlSeconds ${String(ttlSeconds)}`,
          );
        }
        await store.set('s1', {});
        await validation(store.touch('s1', { ttlSeconds: -5 }), 'negative touch TTL');
        assert.equal(await store.countActive(), 1);
      });
    });

    describe('listActive, countActive and stats', () => {
      test('count and list unexpired sessions, paginated, in a stable order', async ({ store }) => {
        const ids = Array.from({ length: 25 }, (_, i) => `s-${i}`);
        for (const id of ids) await store.set(id, {});
        assert.equal(await store.countActive(), 25);
        const pages: string[] = [];
        for (let offset = 0; offset < 30; offset += 10)
          pages.push(...(await store.listActive({ limit: 10, offset })));
        assert.deepEqual([...pages].sort(), [...ids].sort(), 'pages cover every id exactly once');
        assert.deepEqual(
          await store.listActive({ limit: 10, offset: 0 }),
          pages.slice(0, 10),
          'order is stable',
        );
        assert.deepEqual(await store.listActive({ limit: 100 }), pages);
        assert.deepEqual(await store.listActive({ limit: 0 }), []);
        assert.deepEqual(await store.listActive({ limit: 5, offset: 25 }), []);
        await validation(store.listActive({ limit: -1 }), 'negative limit');
        await validation(store.listActive({ offset: 1.5 }), 'fractional offset');
      });

      test('getStats reports the store type and active sessions', async ({ store }) => {
        await store.set('a', {});
        await store.set('b', {});
        const stats = await store.getStats();
        assert.equal(typeof stats.storeType, 'string');
        assert.ok(stats.storeType.length > 0);
        assert.equal(stats.activeSessions, 2);
      });

      test('ping answers true while open', async ({ store }) => {
        assert.equal(await store.ping(), true);
      });
    });

    describe('close', () => {
      test('after close, calls reject with SessionStoreClosedError; closing twice is fine', async ({
        store,
      }) => {
        await store.set('s1', {});
        await store.close();
        await store.close();
        await store[Symbol.asyncDispose]();
        const calls: [string, () => Promise<unknown>][] = [
          ['get', () => store.get('s1')],
          ['set', () => store.set('s1', {})],
          ['getOrCreate', () => store.getOrCreate('s1')],
          ['update', () => store.update('s1', {})],
          ['incrementCounter', () => store.incrementCounter('s1', 'messageCount')],
          ['touch', () => store.touch('s1')],
          ['delete', () => store.delete('s1')],
          ['exists', () => store.exists('s1')],
          ['listActive', () => store.listActive()],
          ['countActive', () => store.countActive()],
          ['cleanupExpired', () => store.cleanupExpired()],
          ['getStats', () => store.getStats()],
        ];
        for (const [method, call] of calls) {
          const error = await rejectsWith(call(), isSessionStoreClosedError, `${method} after close`);
          assert.equal(error.name, 'SessionStoreClosedError');
        }
        assert.equal(await store.ping(), false, 'ping never throws; it answers false after close');
      });
    });

    describe('session ids', () => {
      test('valid ids of every shape work and stay apart', async ({ store }) => {
        for (const [i, id] of VALID_IDS.entries()) await store.set(id, { messageCount: i });
        for (const [i, id] of VALID_IDS.entries()) {
          const got = await store.get(id, { touch: false });
          assert.equal(got?.sessionId, id);
          assert.equal(got?.messageCount, i, `id ${JSON.stringify(id.slice(0, 20))} kept its own data`);
        }
        assert.equal(await store.countActive(), VALID_IDS.length);
        assert.deepEqual((await store.listActive({ limit: 1000 })).sort(), [...VALID_IDS].sort());
        assert.equal(await store.incrementCounter('*', 'messageCount'), 6);
        assert.equal(await store.delete('*'), true);
        assert.equal(await store.exists('star*'), true, 'a * id is not a pattern');
      });

      test('invalid ids are a SessionValidationError on every method', async ({ store }) => {
        for (const id of INVALID_IDS) {
          const bad = id as string;
          await validation(store.get(bad), `get(${JSON.stringify(id)})`);
          await validation(store.set(bad, {}), `set(${JSON.stringify(id)})`);
          await validation(store.getOrCreate(bad), `getOrCreate(${JSON.stringify(id)})`);
          await validation(store.update(bad, {}), `update(${JSON.stringify(id)})`);
          await validation(
            store.incrementCounter(bad, 'messageCount'),
            `incrementCounter(${JSON.stringify(id)})`,
          );
          await validation(store.touch(bad), `touch(${JSON.stringify(id)})`);
          await validation(store.delete(bad), `delete(${JSON.stringify(id)})`);
          await validation(store.exists(bad), `exists(${JSON.stringify(id)})`);
        }
        const error = await rejectsWith(store.get(''), isSessionValidationError, 'empty id');
        assert.equal(error.name, 'SessionValidationError');
        assert.equal(error.code, 'SESSION_VALIDATION');
        assert.match(error.message, /sessionId/);
        assert.equal(await store.countActive(), 0);
      });
    });

    describe('metadata', () => {
      test('__proto__ and constructor keys round-trip as data and Object.prototype stays clean', async ({
        store,
      }) => {
        const metadata = JSON.parse(
          '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"safe":1}',
        );
        const saved = await store.set('s1', { metadata });
        assert.ok(Object.hasOwn(saved.metadata, '__proto__'));
        assert.deepEqual(Object.keys(saved.metadata).sort(), ['__proto__', 'constructor', 'safe']);
        await store.update('s1', { metadata: JSON.parse('{"__proto__":{"again":true}}') });
        await store.incrementCounter('s1', '__proto__x');
        const got = await store.get('s1', { touch: false });
        assert.ok(got);
        assert.equal(Object.getPrototypeOf(got.metadata), Object.prototype);
        assert.deepEqual(Object.getOwnPropertyDescriptor(got.metadata, '__proto__')?.value, { again: true });
        assert.deepEqual(got.metadata.constructor, { prototype: { polluted: true } });
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(({} as Record<string, unknown>).again, undefined);
        assert.equal(Object.keys(Object.prototype).length, 0);
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
          assert.match(String((error as Error).message), new RegExp(key), `the error names ${key}`);
        }
        assert.equal(await store.exists('s1'), false);
        await store.set('s1', { metadata: { ok: true } });
        for (const [key, value] of cases) {
          const error = await validation(
            store.update('s1', { metadata: { [key]: value } as never }),
            `patch.metadata.${key}`,
          );
          assert.match(String((error as Error).message), new RegExp(key));
        }
        const after = await store.get('s1', { touch: false });
        assert.deepEqual(after?.metadata, { ok: true });
        assert.equal(after?.version, 1);
      });

      test('metadata values round-trip exactly on every write path', async ({ store }) => {
        const saved = await store.set('s1', { metadata: EXACT_METADATA_VALUES as never });
        assert.deepEqual(saved.metadata, EXACT_METADATA_VALUES);
        assert.deepEqual((await store.get('s1'))?.metadata, EXACT_METADATA_VALUES);
        const updated = await store.update('s1', { metadata: { other: 'key' } });
        assert.deepEqual(updated?.metadata, { ...EXACT_METADATA_VALUES, other: 'key' });
        await store.incrementCounter('s1', 'counter', 3);
        await store.incrementCounter('s1', 'messageCount');
        const after = await store.get('s1', { touch: false });
        assert.deepEqual(after?.metadata, { ...EXACT_METADATA_VALUES, other: 'key', counter: 3 });
        await store.set('s2', {});
        const patched = await store.update('s2', { metadata: EXACT_METADATA_VALUES as never });
        assert.deepEqual(patched?.metadata, EXACT_METADATA_VALUES);
        const created = await store.getOrCreate('s3', { metadata: EXACT_METADATA_VALUES as never });
        assert.deepEqual(created.session.metadata, EXACT_METADATA_VALUES);
        assert.deepEqual((await store.get('s3', { touch: false }))?.metadata, EXACT_METADATA_VALUES);
        assert.ok(Object.is((await store.get('s2', { touch: false }))?.metadata.zero, 0));
        // JSON has no negative zero: every store hands back 0, as JSON text would.
        const negativeZero = await store.set('s4', { metadata: { nz: -0, list: [-0] } });
        assert.ok(Object.is(negativeZero.metadata.nz, 0));
        const readBack = await store.get('s4', { touch: false });
        assert.ok(readBack);
        assert.ok(Object.is(readBack.metadata.nz, 0));
        assert.ok(Object.is((readBack.metadata.list as number[])[0], 0));
      });

      test(
        'an oversized session is an error, and nothing is stored',
        async ({ store }) => {
          const big = 'x'.repeat(5000);
          const error = await validation(store.set('s1', { metadata: { big } }), 'oversized set');
          assert.match(String((error as Error).message), /maxSessionBytes/);
          assert.equal(await store.exists('s1'), false);
          await validation(store.getOrCreate('s2', { metadata: { big } }), 'oversized getOrCreate');
          assert.equal(await store.exists('s2'), false);
          await store.set('s3', { metadata: { small: 'y'.repeat(1000) } });
          await validation(store.update('s3', { metadata: { more: big } }), 'oversized update');
          const after = await store.get('s3', { touch: false });
          assert.deepEqual(Object.keys(after?.metadata ?? {}), ['small']);
          assert.equal(after?.version, 1);
          // A counter can grow a session too: a new key over the cap is refused and writes nothing.
          await store.set('s5', { metadata: { pad: 'p'.repeat(3700) } });
          await validation(store.incrementCounter('s5', 'k'.repeat(600)), 'counter key over the cap');
          const counted = await store.get('s5', { touch: false });
          assert.deepEqual(Object.keys(counted?.metadata ?? {}), ['pad']);
          assert.equal(counted?.version, 1);
          assert.equal(
            await store.incrementCounter('s5', 'small'),
            1,
            'a counter within the cap still works',
          );
          // An oversized init only matters when it would create: an existing session comes back as it is.
          const existing = await store.getOrCreate('s3', { metadata: { big } });
          assert.equal(existing.created, false);
          assert.deepEqual(Object.keys(existing.session.metadata), ['small']);
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
          assert.equal(encodedSize(session), 4096, 'the padded session fills the cap exactly');
          while (session.version < 9) {
            session = (await store.update('s1', { metadata: { pad } })) as SessionData;
          }
          assert.equal(encodedSize(session), 4096);
          await validation(store.incrementCounter('s1', 'messageCount', 0), 'a counter write one byte over');
          await validation(store.update('s1', { metadata: { pad } }), 'an update one byte over');
          const kept = await store.get('s1', { touch: false });
          assert.equal(kept?.version, 9, 'nothing was written');
          assert.equal(kept && encodedSize(kept), 4096);
        },
        { maxSessionBytes: 4096 },
      );
    });

    const history = suiteOptions.history ?? true;
    if (history !== false) describeHistoryConformance(describe, test, history === true ? {} : history);
  });
}

export type { SessionData };
