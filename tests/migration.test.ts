// scripts/migrate-sessions.ts on a real redis-server: records written by RedisSessionStore 0.1.0 (a hash per
// session, dumped from 0.1.0 itself into tests/fixtures/redis-0.1.0-records.json) and by the Python service
// (tests/fixtures/python-session-records.json) read back through the current store after migration.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeV010Hash,
  migrateFromPython,
  migrateFromV010,
  sessionKey,
} from '../scripts/migrate-sessions.js';
import { isSessionDecodeError, RedisSessionStore, SessionCodec } from '../src/index.js';
import { useRedisServer } from './helpers/redis-suite.js';

interface V010Dump {
  records: (
    | { key: string; type: 'hash'; pttl: number; fields: string[] }
    | { key: string; type: 'zset'; pttl: number; members: string[] }
  )[];
  /** The sessions as 0.1.0 read them back, JSON-encoded (dates as ISO text). */
  sessions: Record<string, Record<string, unknown>>;
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8'));

const v010 = fixture('redis-0.1.0-records.json') as V010Dump;
const python = fixture('python-session-records.json') as { key: string; value: string }[];

const suite = useRedisServer();

/**
 * Loads the 0.1.0 dump into Redis. Its expiry times are absolute and lie in the past by now, so each live
 * session gets its own remembered TTL from the present (hash expiry and index score alike); an index entry
 * whose hash is gone keeps its past score, as 0.1.0 left it.
 */
async function loadV010(prefix: string): Promise<void> {
  const now = Date.now();
  const ttlOf = new Map<string, number>();
  for (const record of v010.records) {
    if (record.type !== 'hash') continue;
    const key = prefix + record.key.slice('session:'.length);
    const fields = [...record.fields];
    const ttl = Number(fields[fields.indexOf('ttl') + 1]);
    fields[fields.indexOf('ex') + 1] = String(now + ttl);
    await suite.admin.hset(key, ...fields);
    await suite.admin.pexpire(key, ttl);
    ttlOf.set(record.key.slice(record.key.indexOf(':s:') + 3), ttl);
  }
  for (const record of v010.records) {
    if (record.type !== 'zset') continue;
    const key = prefix + record.key.slice('session:'.length);
    for (let i = 0; i < record.members.length; i += 2) {
      const id = record.members[i] as string;
      const ttl = ttlOf.get(id);
      await suite.admin.zadd(key, ttl === undefined ? (record.members[i + 1] as string) : now + ttl, id);
    }
  }
}

describe('migrating RedisSessionStore 0.1.0 records', () => {
  const live = Object.keys(v010.sessions).sort();

  it('computes the same keys 0.1.0 wrote', () => {
    const hashKeys = v010.records.filter((r) => r.type === 'hash').map((r) => r.key);
    expect(live.map((id) => sessionKey('session:', id)).sort()).toEqual([...hashKeys].sort());
  });

  it('rewrites every live 0.1.0 session so that the current store reads it, data and TTL kept', async () => {
    const prefix = 'm1:';
    await loadV010(prefix);
    // 0.1.0 stored a `__proto__` metadata key as any other: one `m:` field holding its JSON text.
    await suite.admin.hset(sessionKey(prefix, 'odd:{id}*'), 'm:"__proto__"', '"plain"');
    const store = suite.track(new RedisSessionStore({ url: suite.server.url, keyPrefix: prefix }));

    // The incompatibility itself: the current store cannot read a 0.1.0 record.
    const before = await store.get('chat-1', { touch: false }).catch((error: unknown) => error);
    expect(isSessionDecodeError(before)).toBe(true);

    const report = await migrateFromV010({ store, redis: suite.admin, keyPrefix: prefix });
    expect(report.failed).toEqual([]);
    expect([...report.migrated].sort()).toEqual(live);

    for (const id of live) {
      const old = SessionCodec.fromPlain(v010.sessions[id]);
      const now = await store.get(id, { touch: false });
      expect(now).not.toBeNull();
      const { userId, threadId, requestId, messageCount, escalated, metadata, createdAt } = now!;
      expect({ userId, threadId, requestId, messageCount, escalated, metadata, createdAt }).toEqual({
        userId: old.userId,
        threadId: old.threadId,
        requestId: old.requestId,
        messageCount: old.messageCount,
        escalated: old.escalated,
        metadata: id === 'odd:{id}*' ? { ...old.metadata, ['__proto__']: 'plain' } : old.metadata,
        createdAt: old.createdAt,
      });
      expect(now!.version).toBe(1);
      // The remembered TTL survived: the expiry is one old TTL after the write.
      const oldTtl = old.expiresAt!.getTime() - old.lastActivity.getTime();
      expect(now!.expiresAt!.getTime() - now!.lastActivity.getTime()).toBe(oldTtl);
    }
    // A record with a __proto__ metadata key keeps it as plain data.
    const odd = await store.get('odd:{id}*', { touch: false });
    expect(Object.hasOwn(odd!.metadata, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(odd!.metadata)).toBe(Object.prototype);
    expect(odd!.metadata['a"b\\c']).toBe('quote\nnewline');
    // The session counts and lists as before.
    expect(await store.countActive()).toBe(live.length);
    // Counters keep counting from the migrated value.
    expect(await store.incrementCounter('chat-1', 'messageCount')).toBe(3);
  });

  it('is idempotent: a second run skips the records already in the current format', async () => {
    const prefix = 'm2:';
    await loadV010(prefix);
    const store = suite.track(new RedisSessionStore({ url: suite.server.url, keyPrefix: prefix }));
    await migrateFromV010({ store, redis: suite.admin, keyPrefix: prefix });
    const after = await store.get('chat-2', { touch: false });
    const again = await migrateFromV010({ store, redis: suite.admin, keyPrefix: prefix });
    expect(again.migrated).toEqual([]);
    expect(again.skipped.map((s) => s.reason)).toEqual(live.map(() => 'already in the current format'));
    expect(await store.get('chat-2', { touch: false })).toEqual(after);
  });

  it('reports a corrupt 0.1.0 record by id and writes nothing for it; dry run writes nothing at all', async () => {
    const prefix = 'm3:';
    await loadV010(prefix);
    const broken = sessionKey(prefix, 'chat-1');
    await suite.admin.hset(broken, 'mc', '"two"');
    const store = suite.track(new RedisSessionStore({ url: suite.server.url, keyPrefix: prefix }));

    const dry = await migrateFromV010({ store, redis: suite.admin, keyPrefix: prefix, dryRun: true });
    expect([...dry.migrated].sort()).toEqual(live.filter((id) => id !== 'chat-1'));
    expect(await suite.admin.type(sessionKey(prefix, 'chat-2'))).toBe('hash');

    const report = await migrateFromV010({ store, redis: suite.admin, keyPrefix: prefix });
    expect(report.failed.map((f) => f.id)).toEqual(['chat-1']);
    expect(report.failed[0]?.error).toContain('messageCount');
    expect(await suite.admin.type(broken)).toBe('hash');
    expect(await suite.admin.type(sessionKey(prefix, 'chat-2'))).toBe('string');
  });

  it('decodes a hash field by field and names a missing one', () => {
    expect(() => decodeV010Hash('x', { ttl: '1000' })).toThrow('"uid" is missing');
  });
});

describe('migrating the Python service records', () => {
  it('copies every agent:session:<id> record into the store with the given TTL', async () => {
    for (const { key, value } of python) await suite.admin.set(key, value, 'PX', 60_000);
    const store = suite.track(new RedisSessionStore({ url: suite.server.url, keyPrefix: 'py:' }));

    const report = await migrateFromPython({ store, source: suite.admin, ttlSeconds: 3600 });
    expect(report.failed).toEqual([]);
    expect([...report.migrated].sort()).toEqual(['sess-esc', 'sess-inc', 'sess-new']);

    for (const { value } of python) {
      const old = SessionCodec.fromJSON(value);
      const now = await store.get(old.sessionId, { touch: false });
      expect(now).toMatchObject({
        sessionId: old.sessionId,
        userId: old.userId,
        threadId: old.threadId,
        requestId: old.requestId,
        messageCount: old.messageCount,
        escalated: old.escalated,
        metadata: old.metadata,
        createdAt: old.createdAt,
        version: 1,
      });
      expect(now!.expiresAt!.getTime() - now!.lastActivity.getTime()).toBe(3_600_000);
    }
    // The source keys are left for the operator to delete once the new service runs.
    expect(await suite.admin.exists(python.map((r) => r.key))).toBe(python.length);
  });

  it('reports a record that does not decode, and one whose key names another session', async () => {
    await suite.admin.set('agent:session:bad', '{"session_id": "bad", "message_count": -1}');
    await suite.admin.set('agent:session:other', (python[0] as { value: string }).value);
    const store = suite.track(new RedisSessionStore({ url: suite.server.url, keyPrefix: 'py2:' }));
    const report = await migrateFromPython({ store, source: suite.admin, dryRun: true });
    const failed = Object.fromEntries(report.failed.map((f) => [f.id, f.error]));
    expect(Object.keys(failed).sort()).toEqual(['agent:session:bad', 'agent:session:other']);
    expect(failed['agent:session:other']).toContain('sess-new');
    expect(await store.countActive()).toBe(0);
  });
});
