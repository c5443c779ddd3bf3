// The `durability` option on a standalone master with one replica: writes resolve once the replica
// acknowledged them; with the replica stopped (SIGSTOP) they reject with SessionNotDurableError within
// durability.timeoutMs plus a margin, and the write is on the master all the same. Reads never wait, not
// even behind a write that does.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isSessionNotDurableError,
  isSessionValidationError,
  RedisSessionStore,
  type SessionNotDurableError,
} from '../src/index.js';
import { sessionKey } from '../src/redis/keys.js';
import { HOST, type RedisServerHandle, waitUntil } from './helpers/redis-process.js';
import { parseInfo, redisCommand, replicasCaughtUp } from './helpers/redis-resp.js';
import { startRedisProcess } from './helpers/redis-standalone.js';
import { expectOrderAfterReconnect } from './helpers/script-cache.js';

const TIMEOUT_MS = 300;
/** Scheduling slack on a busy 2-core machine, in milliseconds. */
const MARGIN_MS = 700;
/**
 * The wait of `patient`, the store for writes that must resolve: far above a replica's acknowledgement
 * time (milliseconds, hundreds on a loaded machine), so that they resolve however slow the machine is.
 */
const PATIENT_TIMEOUT_MS = 2000;

let master: RedisServerHandle;
let replica: RedisServerHandle;
let store: RedisSessionStore;
let patient: RedisSessionStore;
let plain: RedisSessionStore;

beforeAll(async () => {
  master = await startRedisProcess();
  replica = await startRedisProcess({ args: ['--replicaof', HOST, String(master.port)] });
  await waitUntil('replica link up', 20_000, async () => {
    const info = parseInfo(await redisCommand(replica.port, ['INFO', 'replication']));
    return info.get('master_link_status') === 'up' && (await replicasCaughtUp(master.port, 1));
  });
  store = new RedisSessionStore({
    url: master.url,
    keyPrefix: 'dur:',
    durability: { replicas: 1, timeoutMs: TIMEOUT_MS },
  });
  patient = new RedisSessionStore({
    url: master.url,
    keyPrefix: 'dur:',
    commandTimeoutMs: PATIENT_TIMEOUT_MS + 3000,
    durability: { replicas: 1, timeoutMs: PATIENT_TIMEOUT_MS },
  });
  plain = new RedisSessionStore({ url: master.url, keyPrefix: 'dur:' });
});

afterAll(async () => {
  replica?.resume();
  await store?.close();
  await patient?.close();
  await plain?.close();
  await replica?.stop();
  await master?.stop();
});

/** Each write through the store `s()`, on a session that exists unless the call creates it. */
const writesThrough = (s: () => RedisSessionStore): [string, (id: string) => Promise<unknown>][] => [
  ['set', (id) => s().set(id, { userId: 'u' })],
  ['getOrCreate (creates)', (id) => s().getOrCreate(`${id}-new`, { userId: 'u' })],
  ['update', (id) => s().update(id, { metadata: { k: 1 } })],
  ['incrementCounter', (id) => s().incrementCounter(id, 'messageCount')],
  ['touch', (id) => s().touch(id, { ttlSeconds: 900 })],
  ['delete', (id) => s().delete(id)],
];
const writes = writesThrough(() => store);

/** Waits until a durable write (of session `id`) resolves again: the resumed replica acknowledges. */
async function replicaAcknowledgesAgain(id: string): Promise<void> {
  await waitUntil('replica acknowledges writes again', 10_000, async () =>
    patient.set(id, { userId: 'u' }).then(
      () => true,
      () => false,
    ),
  );
}

/** What `server` holds for `key` (bypassing the store). */
async function get(server: RedisServerHandle, key: string): Promise<string | null> {
  const client = new Redis(server.url, { lazyConnect: true });
  try {
    await client.connect();
    return await client.get(key);
  } finally {
    client.disconnect();
  }
}

describe('durability with a connected replica', () => {
  it('every write resolves, and the replica holds it when it does', async () => {
    expect((await store.getStats()).durability).toEqual({ replicas: 1, timeoutMs: TIMEOUT_MS });
    for (const [name, write] of writesThrough(() => patient)) {
      const id = `ok-${name.replace(/\W+/g, '-')}`;
      await plain.set(id, { userId: 'before' });
      await write(id);
      const key = sessionKey('dur:', name.startsWith('getOrCreate') ? `${id}-new` : id);
      // Read at once on both servers: WAIT returned only after the replica acknowledged the write.
      const [onPrimary, onReplica] = await Promise.all([get(master, key), get(replica, key)]);
      expect(onReplica, name).toBe(onPrimary);
      if (name === 'delete') expect(onPrimary).toBeNull();
      else expect(onPrimary).not.toBeNull();
    }
  });
});

describe('durable writes made together', () => {
  it('share one WAIT, and each resolves once the replica holds it', async () => {
    // Each script has run on the write connection once, so the burst below is EVALSHA only.
    await patient.set('together-0', { userId: 'u' });
    await patient.update('together-0', { metadata: { k: 0 } });
    await patient.incrementCounter('together-0', 'messageCount');
    await redisCommand(master.port, ['CONFIG', 'RESETSTAT']);
    const ids = Array.from({ length: 30 }, (_, i) => `together-${i}`);
    const results = await Promise.all(
      ids.flatMap((id) => [
        patient.set(id, { userId: id }),
        patient.update(id, { metadata: { k: id } }),
        patient.incrementCounter(id, 'messageCount', 3),
      ]),
    );
    expect(results.filter((_, i) => i % 3 === 2)).toEqual(ids.map(() => 3));
    const waits = parseInfo(await redisCommand(master.port, ['INFO', 'commandstats'])).get('cmdstat_wait');
    expect(waits).toMatch(/^calls=1,/);
    // Read at once on the replica: the one WAIT returned after it acknowledged all 90 writes.
    for (const id of ids) {
      const key = sessionKey('dur:', id);
      const [onPrimary, onReplica] = await Promise.all([get(master, key), get(replica, key)]);
      expect(onReplica, id).toBe(onPrimary);
      expect(onPrimary).toContain(`"k"\t:"${id}"`);
    }
  });
});

describe('durability with the replica stopped', () => {
  it('each write rejects with SessionNotDurableError in time, and is applied on the master', async () => {
    const ids = writes.map(([name]) => `stall-${name.replace(/\W+/g, '-')}`);
    for (const id of ids) await plain.set(id, { userId: 'before', metadata: { k: 0 } });
    replica.pause();
    try {
      for (const [i, [name, write]] of writes.entries()) {
        const id = ids[i] as string;
        const started = performance.now();
        const error = await write(id).then(
          () => new Error(`${name} resolved with the replica stopped`),
          (e: unknown) => e,
        );
        const elapsed = performance.now() - started;
        expect(isSessionNotDurableError(error), `${name}: ${String(error)}`).toBe(true);
        const e = error as SessionNotDurableError;
        expect(e.code).toBe('NOT_DURABLE');
        expect(e.acknowledgedReplicas).toBe(0);
        expect(e.requiredReplicas).toBe(1);
        expect(e.message).toMatch(/applied on the Redis master but not confirmed/);
        expect(e.sessionId).toBe(name.startsWith('getOrCreate') ? `${id}-new` : id);
        expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
        expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      }
      // Every one of those writes is on the master.
      const [setId, createId, updateId, incrementId, touchId, deleteId] = ids as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      expect((await plain.get(setId, { touch: false }))?.userId).toBe('u');
      expect((await plain.get(`${createId}-new`, { touch: false }))?.userId).toBe('u');
      expect((await plain.get(updateId, { touch: false }))?.metadata).toEqual({ k: 1 });
      expect((await plain.get(incrementId, { touch: false }))?.messageCount).toBe(1);
      // The touch set a 900 s TTL; the session was written with the 1800 s default.
      const touched = await plain.get(touchId, { touch: false });
      expect((touched?.expiresAt?.getTime() ?? 0) - Date.now()).toBeLessThan(901_000);
      expect(await get(master, sessionKey('dur:', deleteId))).toBeNull();
      expect(await plain.exists(deleteId)).toBe(false);

      // Reads send no WAIT, with or without touch: they answer at once.
      const started = performance.now();
      expect(await store.get(setId)).not.toBeNull();
      expect(await store.get(setId, { touch: false })).not.toBeNull();
      expect(await store.exists(setId)).toBe(true);
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
      // A getOrCreate that finds the session, and a write that changes nothing (absent session), carry
      // the WAIT (the script decides whether it writes) but have nothing to confirm: they resolve.
      expect((await store.getOrCreate(setId)).created).toBe(false);
      expect(await store.update('stall-absent', { escalated: true })).toBeNull();
      expect(await store.delete('stall-absent')).toBe(false);
    } finally {
      replica.resume();
    }
    // Once the replica is back, writes resolve again.
    await replicaAcknowledgesAgain('after-resume');
  });

  it('reads do not queue behind a write waiting for its replicas', async () => {
    await plain.set('queue', { userId: 'u' });
    replica.pause();
    try {
      const write = patient.incrementCounter('queue', 'messageCount').catch((e: unknown) => e);
      const started = performance.now();
      const reads = await Promise.all([patient.get('queue'), patient.get('queue', { touch: false })]);
      // Durable writes have their own connection: the reads answer while the WAIT still blocks.
      expect(performance.now() - started).toBeLessThan(PATIENT_TIMEOUT_MS / 2);
      expect(reads.every((r) => r !== null)).toBe(true);
      expect(isSessionNotDurableError(await write)).toBe(true);
    } finally {
      replica.resume();
    }
  });

  it('writes made together wait once: with the replica stopped a burst rejects within one timeoutMs', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    for (const id of ids) await plain.set(id, { userId: 'before' });
    await store.get(ids[0] as string);
    replica.pause();
    try {
      const started = performance.now();
      // Mixed writes, all made in one tick; with one WAIT each they would take 20 × timeoutMs in turn,
      // past commandTimeoutMs (2 s), and the later ones would fail as STORE_UNAVAILABLE instead.
      const results = await Promise.all(
        ids.map((id, i) =>
          (i % 2 === 0
            ? store.set(id, { userId: 'after' })
            : store.incrementCounter(id, 'messageCount')
          ).then(
            () => new Error(`${id} resolved with the replica stopped`),
            (e: unknown) => e,
          ),
        ),
      );
      const elapsed = performance.now() - started;
      for (const [i, error] of results.entries()) {
        expect(isSessionNotDurableError(error), `${ids[i]}: ${String(error)}`).toBe(true);
        expect((error as SessionNotDurableError).sessionId).toBe(ids[i]);
      }
      expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      // Applied on the master all the same.
      const after = await Promise.all(ids.map((id) => plain.get(id, { touch: false })));
      expect(after.map((s, i) => (i % 2 === 0 ? s?.userId : s?.messageCount))).toEqual(
        ids.map((_, i) => (i % 2 === 0 ? 'after' : 1)),
      );
    } finally {
      replica.resume();
    }
    await replicaAcknowledgesAgain('after-burst');
  });

  it('writes made while a group waits form the next group, which waits its own turn only', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `next-${i}`);
    for (const id of ids) await plain.set(id, { userId: 'before' });
    await redisCommand(master.port, ['CONFIG', 'RESETSTAT']);
    replica.pause();
    try {
      const started = performance.now();
      const settle = (id: string) =>
        store.incrementCounter(id, 'messageCount').then(
          () => new Error(`${id} resolved with the replica stopped`),
          (e: unknown) => e,
        );
      const firstBurst = ids.slice(0, 10).map(settle);
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 3));
      // Made one at a time while the first group's WAIT blocks the connection: one group, not ten.
      const secondBurst: Promise<unknown>[] = [];
      for (const id of ids.slice(10)) {
        secondBurst.push(settle(id));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const results = await Promise.all([...firstBurst, ...secondBurst]);
      const elapsed = performance.now() - started;
      expect(results.every((e) => isSessionNotDurableError(e))).toBe(true);
      expect(elapsed).toBeLessThan(2 * TIMEOUT_MS + MARGIN_MS);
    } finally {
      replica.resume();
    }
    const waits = parseInfo(await redisCommand(master.port, ['INFO', 'commandstats'])).get('cmdstat_wait');
    expect(waits).toMatch(/^calls=2,/);
    await replicaAcknowledgesAgain('after-next');
  });

  it('a script error is reported as itself, not as a durability failure', async () => {
    const session = await patient.set('conflict', { userId: 'u' });
    await expect(
      patient.update('conflict', { escalated: true }, { expectedVersion: session.version + 5 }),
    ).rejects.toMatchObject({ code: 'SESSION_CONFLICT' });
  });

  it('after a reconnect, writes made together keep their order even when only some scripts are cached', async () => {
    // The writes that bring the write connection back load their own script only.
    await expectOrderAfterReconnect(
      master.url,
      patient,
      (s) => s.incrementCounter('order', 'messageCount'),
      plain,
    );
  });

  it('runs the script from its source when the server has not cached it (NOSCRIPT)', async () => {
    const admin = new Redis(master.url);
    try {
      await admin.script('FLUSH');
      const session = await patient.set('noscript', { userId: 'again' });
      expect(session.userId).toBe('again');
      await admin.script('FLUSH');
      expect(await patient.incrementCounter('noscript', 'messageCount', 2)).toBe(2);
    } finally {
      admin.disconnect();
    }
  });
});

describe('durability option validation', () => {
  const make =
    (durability: unknown, extra: Record<string, unknown> = {}) =>
    () =>
      new RedisSessionStore({
        url: `redis://${HOST}:1`,
        durability,
        ...extra,
      } as RedisSessionStore.Options);
  it.each([
    [{}, 'durability.replicas'],
    [{ replicas: 0 }, 'durability.replicas'],
    [{ replicas: 1.5 }, 'durability.replicas'],
    [{ replicas: '1' }, 'durability.replicas'],
    [{ replicas: 1, timeoutMs: 0 }, 'durability.timeoutMs'],
    [{ replicas: 1, timeoutMs: Number.NaN }, 'durability.timeoutMs'],
    [{ replicas: 1, timeoutMs: 2000 }, 'durability.timeoutMs'],
    [{ replicas: 1, timout: 500 }, 'durability.timout'],
    [1, 'durability'],
    [null, 'durability'],
  ])('rejects %j (field %s)', (durability, field) => {
    let error: unknown;
    try {
      make(durability)();
    } catch (e) {
      error = e;
    }
    expect(isSessionValidationError(error)).toBe(true);
    expect((error as { field?: string }).field).toBe(field);
  });

  it('accepts a timeoutMs below a raised commandTimeoutMs', async () => {
    const s = new RedisSessionStore({
      url: master.url,
      commandTimeoutMs: 3000,
      durability: { replicas: 2, timeoutMs: 2500 },
    });
    expect((await s.getStats()).durability).toEqual({ replicas: 2, timeoutMs: 2500 });
    await s.close();
  });
});
