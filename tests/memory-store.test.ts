// What only the in-memory store has: LRU eviction at maxSessions, its options, and an expiry index that
// stays exact however often sessions slide.
import { describe, expect, it } from 'vitest';
import { InMemorySessionStore, type SessionData, SessionValidationError } from '../src/index.js';
import { encodedSize } from '../src/store/records.js';

function clock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('InMemorySessionStore', () => {
  it('evicts the least recently used session past maxSessions', async () => {
    const store = new InMemorySessionStore({ maxSessions: 3 });
    await store.set('a', {});
    await store.set('b', {});
    await store.set('c', {});
    await store.get('a'); // a is now the most recently used
    await store.set('d', {});
    expect(await store.exists('b')).toBe(false);
    expect((await store.listActive()).sort()).toEqual(['a', 'c', 'd']);
    expect(await store.countActive()).toBe(3);
    expect(await store.getStats()).toMatchObject({
      storeType: 'memory',
      activeSessions: 3,
      maxSessions: 3,
      evictions: 1,
    });
    await store.close();
  });

  it('a read without touch does not count as use for eviction', async () => {
    const store = new InMemorySessionStore({ maxSessions: 2 });
    await store.set('a', {});
    await store.set('b', {});
    await store.get('a', { touch: false });
    await store.set('c', {});
    expect(await store.exists('a')).toBe(false);
    expect(await store.exists('b')).toBe(true);
    await store.close();
  });

  it('counts exactly after many slides and expiries (the expiry index compacts itself)', async () => {
    const c = clock();
    const store = new InMemorySessionStore({ now: c.now, maxSessions: 5000 });
    for (let i = 0; i < 1000; i++) await store.set(`s${i}`, {}, { ttlSeconds: 10 });
    // 20 rounds of touching the even sessions: 10,000 stale index entries pile up and get compacted.
    for (let round = 0; round < 20; round++) {
      c.advance(400);
      for (let i = 0; i < 1000; i += 2) await store.touch(`s${i}`);
    }
    expect(await store.countActive()).toBe(1000);
    c.advance(2500); // odd sessions are 10.5 s old; even ones were touched 2.5 s ago
    expect(await store.countActive()).toBe(500);
    expect(await store.cleanupExpired()).toBe(500);
    c.advance(10_000);
    expect(await store.countActive()).toBe(0);
    expect(await store.cleanupExpired()).toBe(500);
    await store.close();
  });

  it('rejects bad options with typed errors naming the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ maxSessions: 0 }, /maxSessions/],
      [{ maxSessions: 1.5 }, /maxSessions/],
      [{ now: 5 }, /now/],
      [{ defaultTtlSeconds: 0 }, /defaultTtlSeconds/],
      [{ maxLifetimeSeconds: -1 }, /maxLifetimeSeconds/],
      [{ maxSessionBytes: 0 }, /maxSessionBytes/],
      [{ touchOnGet: 'yes' }, /touchOnGet/],
    ];
    for (const [options, message] of bad) {
      expect(() => new InMemorySessionStore(options as never)).toThrow(SessionValidationError);
      expect(() => new InMemorySessionStore(options as never)).toThrow(message);
    }
  });

  it('uses the injected clock for every timestamp', async () => {
    const c = clock(Date.parse('2030-01-01T00:00:00Z'));
    const store = new InMemorySessionStore({ now: c.now, defaultTtlSeconds: 60 });
    const saved = await store.set('s', {});
    expect(saved.createdAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(saved.expiresAt?.toISOString()).toBe('2030-01-01T00:01:00.000Z');
    c.advance(30_000);
    const got = await store.get('s');
    expect(got?.lastActivity.toISOString()).toBe('2030-01-01T00:00:30.000Z');
    expect(got?.expiresAt?.toISOString()).toBe('2030-01-01T00:01:30.000Z');
    await store.close();
  });

  it('refuses an increment whose version gains a digit past maxSessionBytes, and keeps the session', async () => {
    // The same writes on an uncapped store give the exact size of the session at version 9.
    const writes = async (store: InMemorySessionStore) => {
      await store.set('v', { metadata: { n: 1 } });
      for (let i = 0; i < 8; i++) await store.update('v', { metadata: { n: 1 } });
      return (await store.get('v', { touch: false })) as SessionData;
    };
    const c = clock();
    const atNine = await writes(new InMemorySessionStore({ now: c.now }));
    expect(atNine.version).toBe(9);
    const store = new InMemorySessionStore({ now: c.now, maxSessionBytes: encodedSize(atNine) });
    expect((await writes(store)).version).toBe(9);
    // Delta 0: the counter keeps its digits, only the version (9 → 10) grows by one byte.
    await expect(store.incrementCounter('v', 'n', 0)).rejects.toThrow(SessionValidationError);
    await expect(store.incrementCounter('v', 'messageCount', 0)).rejects.toThrow(SessionValidationError);
    expect((await store.get('v', { touch: false }))?.version).toBe(9);
    await store.close();
  });
});
