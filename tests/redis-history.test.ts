// Conversation history on one real redis-server, beyond the conformance suite: one command on the wire
// per history method and per beginTurn (MONITOR), the keys (one slot, expiry moving with the record on
// every write), what delete, clearItems and a re-created session leave behind, the size of a batch, and
// a second send of one call (the same internal operation id) applied once.
import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { RedisHistory } from '../src/redis/history.js';
import { bucketOf, indexKey, itemsKey, KeySpace, operationIdsKey, sessionKey } from '../src/redis/keys.js';
import { absentSessionInit, type HistoryWriteContext } from '../src/store/history.js';
import type { ResolvedStoreOptions } from '../src/store/types.js';
import { rawHistoryContext } from './helpers/raw-history.js';
import { monitorCommands } from './helpers/redis-monitor.js';
import { useRedisServer } from './helpers/redis-suite.js';

const suite = useRedisServer();
let n = 0;

function newStore(options: Partial<RedisSessionStore.Options> = {}): RedisSessionStore {
  n += 1;
  return suite.track(new RedisSessionStore({ url: suite.server.url, keyPrefix: `h${n}:`, ...options }));
}

/** PEXPIRETIME of a key, in epoch ms (-2 absent, -1 no expiry). */
const pexpireTime = async (key: string) => Number(await suite.admin.call('PEXPIRETIME', key));

const prefixOf = async (store: RedisSessionStore) => (await store.getStats()).keyPrefix as string;

describe('one command on the wire per history method', () => {
  it('appendItems, getItems, popItem, replaceItems, clearItems and beginTurn each send one EVALSHA (getItems without touch one LRANGE)', async () => {
    const monitor = await monitorCommands(suite.server.url);
    try {
      const store = newStore();
      const touchless = newStore({ touchOnGet: false });
      // Warm-up: connect and load every script once (the first call of each script is an EVAL).
      for (const s of [store, touchless]) {
        await s.appendItems('warm', [{ a: 1 }]);
        await s.getItems('warm');
        await s.popItem('warm');
        await s.replaceItems('warm', [{ b: 1 }]);
        await s.clearItems('warm');
        await s.beginTurn('warm');
      }
      const countCommands = monitor.commandsOf;
      const items = Array.from({ length: 50 }, (_, i) => ({ role: 'user', content: `m${i}` }));
      const cases: [string, () => Promise<unknown>][] = [
        ['appendItems (creates)', () => store.appendItems('s1', items.slice(0, 3))],
        ['appendItems (50 items)', () => store.appendItems('s1', items)],
        ['appendItems (operationId)', () => store.appendItems('s1', [{ x: 1 }], { operationId: 'op' })],
        ['appendItems (replayed)', () => store.appendItems('s1', [{ x: 1 }], { operationId: 'op' })],
        ['getItems (touch)', () => store.getItems('s1')],
        ['getItems (limit, no touch)', () => store.getItems('s1', { limit: 20, touch: false })],
        ['getItems (touchOnGet false)', () => touchless.getItems('s1')],
        ['getItems (limit 0, no touch)', () => store.getItems('s1', { limit: 0, touch: false })],
        ['getItems (absent)', () => store.getItems('absent')],
        ['getItems (absent, no touch)', () => store.getItems('absent', { touch: false })],
        ['popItem', () => store.popItem('s1')],
        [
          'replaceItems (suffix)',
          () => store.replaceItems('s1', [{ y: 1 }], { expectedSuffix: [items[49]!] }),
        ],
        ['replaceItems (whole)', () => store.replaceItems('s1', items.slice(0, 5))],
        ['clearItems', () => store.clearItems('s1')],
        ['beginTurn (creates)', () => store.beginTurn('t1')],
        ['beginTurn (existing, with history)', () => store.beginTurn('s1', {}, { historyLimit: 20 })],
      ];
      const counts: Record<string, string[]> = {};
      for (const [name, call] of cases) counts[name] = await countCommands(call);
      // A read without touch changes nothing: a plain LRANGE, as get without touch is a plain GET.
      const plain = (name: string) => name.includes('no touch') || name.includes('touchOnGet false');
      for (const [name] of cases) expect(counts[name], name).toEqual([plain(name) ? 'lrange' : 'evalsha']);
    } finally {
      monitor.close();
    }
  });
});

describe('keys and expiry of the history', () => {
  it('the items and operation ids share the session slot; names per keys.ts', async () => {
    const store = newStore();
    const prefix = await prefixOf(store);
    const id = '{evil}:x';
    await store.appendItems(id, [{ a: 1 }], { operationId: 'op-1' });
    const bucket = bucketOf(id);
    const keys = [
      sessionKey(prefix, id),
      indexKey(prefix, bucket),
      itemsKey(prefix, id),
      operationIdsKey(prefix, id),
    ];
    expect(new Set(keys.map((key) => calculateSlot(key))).size).toBe(1);
    expect(itemsKey(prefix, id)).toBe(`${prefix}{b${bucket}}:h:${id}`);
    expect(await suite.admin.lrange(itemsKey(prefix, id), 0, -1)).toEqual(['{"a":1}']);
    expect(await suite.admin.type(operationIdsKey(prefix, id))).toBe('hash');
  });

  it('every write and touch moves the items to the record’s expiry (PEXPIREAT to the same ms)', async () => {
    const store = newStore();
    const prefix = await prefixOf(store);
    const record = sessionKey(prefix, 's1');
    const items = itemsKey(prefix, 's1');
    const sameExpiry = async (what: string) => {
      const [r, i] = await Promise.all([pexpireTime(record), pexpireTime(items)]);
      expect(r, what).toBeGreaterThan(0);
      expect(i, what).toBe(r);
      return r;
    };
    await store.appendItems('s1', [{ a: 1 }], { ttlSeconds: 50 });
    let last = await sameExpiry('appendItems');
    const steps: [string, () => Promise<unknown>][] = [
      ['set', () => store.set('s1', { userId: 'u' }, { ttlSeconds: 60 })],
      ['update', () => store.update('s1', { escalated: true })],
      ['incrementCounter', () => store.incrementCounter('s1', 'messageCount')],
      ['touch', () => store.touch('s1', { ttlSeconds: 70 })],
      ['get with touch', () => store.get('s1')],
      ['getOrCreate', () => store.getOrCreate('s1')],
      ['getItems with touch', () => store.getItems('s1')],
      ['beginTurn', () => store.beginTurn('s1')],
      ['appendItems', () => store.appendItems('s1', [{ b: 2 }], { ttlSeconds: 80 })],
      ['replaceItems', () => store.replaceItems('s1', [{ c: 3 }, { d: 4 }])],
      ['popItem', () => store.popItem('s1')],
    ];
    for (const [what, step] of steps) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await step();
      const now = await sameExpiry(what);
      expect(now, `${what} slid the expiry`).toBeGreaterThan(last);
      last = now;
    }
    expect(await store.getItems('s1')).toEqual([{ c: 3 }]);
    expect((await store.get('s1', { touch: false }))?.metadata).toEqual({});
  });

  it('delete and clearItems drop the items and the operation ids; a session created anew has none', async () => {
    const store = newStore();
    const prefix = await prefixOf(store);
    await store.appendItems('s1', [{ a: 1 }], { operationId: 'op' });
    expect(await store.clearItems('s1')).toBe(1);
    expect(await suite.admin.exists(itemsKey(prefix, 's1'), operationIdsKey(prefix, 's1'))).toBe(0);
    await store.appendItems('s1', [{ a: 1 }], { operationId: 'op' });
    expect(await store.delete('s1')).toBe(true);
    expect(await suite.admin.exists(itemsKey(prefix, 's1'), operationIdsKey(prefix, 's1'))).toBe(0);
    // Leftovers of a record that vanished without our scripts (eviction): a new session does not inherit them.
    await store.appendItems('s2', [{ old: 1 }], { operationId: 'op' });
    await suite.admin.del(sessionKey(prefix, 's2'));
    expect(await store.getItems('s2')).toEqual([]);
    expect(await store.appendItems('s2', [{ fresh: 1 }], { operationId: 'op' })).toBe(1);
    expect(await store.getItems('s2')).toEqual([{ fresh: 1 }]);
    await store.appendItems('s3', [{ old: 1 }]);
    await suite.admin.del(sessionKey(prefix, 's3'));
    expect((await store.beginTurn('s3')).items).toEqual([]);
    expect(await store.getItems('s3')).toEqual([]);
  });

  it('a batch larger than one Lua unpack goes in whole and in order; trimOldest trims it', async () => {
    const store = newStore({ maxItems: 20_000 });
    const batch = Array.from({ length: 12_000 }, (_, i) => ({ i }));
    expect(await store.appendItems('big', batch)).toBe(12_000);
    expect(await store.getItems('big', { limit: 2 })).toEqual([{ i: 11_998 }, { i: 11_999 }]);
    expect((await store.getItems('big', { touch: false })).map((item) => item.i)).toEqual(
      batch.map((item) => item.i),
    );
    const trimming = newStore({ maxItems: 5, itemsOverflow: 'trimOldest' });
    expect(await trimming.replaceItems('t', batch.slice(0, 9))).toBe(5);
    expect(await trimming.getItems('t')).toEqual(batch.slice(4, 9));
  });

  it('beginTurn counts like incrementCounter: version and the messageCount range', async () => {
    const store = newStore();
    const { session } = await store.beginTurn('s1', { metadata: { note: 'x' } });
    expect(session.version).toBe(2);
    expect(session.messageCount).toBe(1);
    const stored = await store.get('s1', { touch: false });
    expect(stored).toEqual(session);
    await store.set('max', { messageCount: Number.MAX_SAFE_INTEGER });
    await expect(store.beginTurn('max')).rejects.toMatchObject({ field: 'messageCount' });
    await expect(store.beginTurn('new-max', { messageCount: Number.MAX_SAFE_INTEGER })).rejects.toMatchObject(
      {
        field: 'messageCount',
      },
    );
    expect(await store.exists('new-max')).toBe(false);
  });
});

describe('a second send of the same call (internal operation id) is applied once', () => {
  it('appendItems, popItem, replaceItems, clearItems and beginTurn replay their first outcome', async () => {
    const store = newStore();
    const prefix = `${await prefixOf(store)}resend:`;
    // Every call through this key space carries the SAME internal operation id per round, as a
    // re-sent command does; `round` starts a new "call".
    let round = 0;
    const keys = new KeySpace(prefix, true);
    const forWrite = keys.forWrite.bind(keys);
    keys.forWrite = (id: string) => {
      const fresh = forWrite(id);
      fresh[fresh.length - 1] = `${prefix}{b${bucketOf(id)}}:op:round-${round}`;
      return fresh;
    };
    const options: ResolvedStoreOptions = {
      defaultTtlMs: 60_000,
      maxLifetimeMs: undefined,
      touchOnGet: true,
      maxSessionBytes: 1024 * 1024,
      maxItems: 100,
      maxItemBytes: 1024,
      itemsOverflow: 'reject',
      operationIdTtlMs: 60_000,
    };
    const history = new RedisHistory(store.client, keys, options, {
      run: (_id, call) => call(),
      assertReplySize: () => {},
    });
    const context = (): HistoryWriteContext =>
      rawHistoryContext({ init: absentSessionInit('t'), maxItems: 100 });
    const twice = async <T>(call: () => Promise<T>): Promise<[T, T]> => {
      round += 1;
      return [await call(), await call()];
    };
    expect(await twice(() => history.append('s', ['{"a":1}', '{"a":2}'], context()))).toEqual([2, 2]);
    expect(await twice(() => history.pop('s'))).toEqual(['{"a":2}', '{"a":2}']);
    expect(await twice(() => history.replace('s', ['{"r":1}'], ['{"a":1}'], context()))).toEqual([1, 1]);
    const [first, second] = await twice(() => history.beginTurn('s', context().init, undefined, 5));
    expect(first.session.messageCount).toBe(1);
    expect(second.session).toEqual(first.session);
    expect(second.items).toEqual(['{"r":1}']);
    expect(await twice(() => history.clear('s'))).toEqual([1, 1]);
    const [created, again] = await twice(() => history.beginTurn('new', context().init, undefined, 5));
    expect(created.created).toBe(true);
    expect(again.created).toBe(true);
    expect(again.session.messageCount).toBe(1);
    const recorded = await history.getItems('s', undefined, false);
    expect(recorded).toEqual([]);
  });
});
