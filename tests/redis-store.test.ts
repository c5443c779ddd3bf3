// RedisSessionStore beyond the conformance suite, on one real redis-server: one command on the wire per
// method (counted with MONITOR), exact metadata on every write path, corrupted records, user-supplied
// clients, option checks, createSessionStore, and the no-SCAN rule for src/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  createSessionStore,
  InMemorySessionStore,
  isSessionDecodeError,
  isSessionStoreUnavailableError,
  isSessionValidationError,
  RedisSessionStore,
  type SessionData,
} from '../src/index.js';
import { bucketOf, indexKey, sessionKey } from '../src/redis/keys.js';
import { WRITTEN_LENGTH } from '../src/redis/layout.js';
import { encodedSize } from '../src/store/records.js';
import { EXACT_METADATA_VALUES } from '../src/testing/index.js';
import { monitorCommands } from './helpers/redis-monitor.js';
import { freePort } from './helpers/redis-ports.js';
import { useRedisServer } from './helpers/redis-suite.js';
import { rejection } from './helpers/rejection.js';

const suite = useRedisServer();
let n = 0;

function newStore(options: Partial<RedisSessionStore.Options> = {}): RedisSessionStore {
  n += 1;
  const store = new RedisSessionStore({ url: suite.server.url, keyPrefix: `t${n}:`, ...options });
  return suite.track(store);
}

describe('one command on the wire per method', () => {
  it('counts the commands each method sends (MONITOR, Lua-internal calls excluded)', async () => {
    const monitor = await monitorCommands(suite.server.url);
    try {
      const store = newStore();
      const touchless = newStore({ touchOnGet: false });
      // Warm-up: connect and load every script once (the first call of each script is an EVAL).
      for (const s of [store, touchless]) {
        await s.set('warm', { metadata: { a: 1 } });
        await s.get('warm');
        await s.get('warm', { touch: false });
        await s.getOrCreate('warm');
        await s.getOrCreate('warm-new');
        await s.update('warm', { metadata: { b: 2 } });
        await s.incrementCounter('warm', 'messageCount');
        await s.touch('warm');
        await s.exists('warm');
        await s.delete('warm-new');
        await s.countActive();
      }
      const countCommands = monitor.commandsOf;
      const cases: [string, () => Promise<unknown>][] = [
        ['get (touch)', () => store.get('s1')],
        ['get (no touch)', () => store.get('s1', { touch: false })],
        ['get (touchOnGet false)', () => touchless.get('s1')],
        ['set', () => store.set('s1', { userId: 'u', metadata: { x: [1, 2] } })],
        ['update', () => store.update('s1', { escalated: true, metadata: { y: 1, x: undefined } })],
        ['incrementCounter', () => store.incrementCounter('s1', 'hits', 2)],
        ['getOrCreate (new)', () => store.getOrCreate('s2', { userId: 'u2' })],
        ['getOrCreate (existing)', () => store.getOrCreate('s2')],
        ['touch', () => store.touch('s1', { ttlSeconds: 60 })],
        ['exists', () => store.exists('s1')],
        ['delete', () => store.delete('s2')],
        ['countActive', () => store.countActive()],
        ['get of an absent session', () => store.get('absent')],
      ];
      const counts: Record<string, string[]> = {};
      for (const [name, call] of cases) counts[name] = await countCommands(call);
      for (const [name] of cases) {
        expect(counts[name], name).toHaveLength(1);
      }
      // Scripts go out as EVALSHA once loaded; exists is the plain EXISTS command.
      expect(counts.set).toEqual(['evalsha']);
      expect(counts.exists).toEqual(['exists']);
    } finally {
      monitor.close();
    }
  });
});

describe('metadata round-trips exactly', () => {
  const values = {
    ...EXACT_METADATA_VALUES,
    arraysOfEmptyObjects: [[{}, {}], [[{}]], []],
    tinyNegative: -0.000001,
    deep: { a: [{ b: [{}] }], c: {} },
    bigFraction: 123456789.12345679,
  };

  it('through set, get, update, incrementCounter and getOrCreate', async () => {
    const store = newStore();
    const saved = await store.set('m1', { metadata: values });
    expect(saved.metadata).toStrictEqual(values);
    expect((await store.get('m1'))?.metadata).toStrictEqual(values);
    await store.update('m1', { metadata: { other: 'x' } });
    await store.incrementCounter('m1', 'count', 7);
    await store.incrementCounter('m1', 'messageCount', 2);
    const after = await store.get('m1', { touch: false });
    expect(after?.metadata).toStrictEqual({ ...values, other: 'x', count: 7 });
    expect(after?.messageCount).toBe(2);

    await store.set('m2', {});
    expect((await store.update('m2', { metadata: values }))?.metadata).toStrictEqual(values);
    expect((await store.get('m2'))?.metadata).toStrictEqual(values);

    const created = await store.getOrCreate('m3', { metadata: values });
    expect(created.session.metadata).toStrictEqual(values);
    expect((await store.getOrCreate('m3')).session.metadata).toStrictEqual(values);
    // Each value is stored as the exact JSON text Node wrote, in its own entry of the record.
    const record = (await suite.admin.get(sessionKey(`t${n}:`, 'm3'))) as string;
    expect(record).toContain('\n"arraysOfEmptyObjects"\t:[[{},{}],[[{}]],[]]');
    expect(record).toContain('\n"tinyNegative"\t:-0.000001');
  });
});

describe('size accounting', () => {
  it('the size kept by update and incrementCounter stays the exact encoded size', async () => {
    const store = newStore({ maxSessionBytes: 20_000 });
    const key = sessionKey(`t${n}:`, 'sz');
    const sizeField = async (k: string) =>
      Number(((await suite.admin.get(k)) as string).slice(2 + 17 * 6, 2 + 17 * 7));
    // After every write the field equals JSON.stringify(session)'s byte length: first and last metadata
    // entries (no comma), removals down to none, counters new and old, and versions gaining a digit.
    const steps: (() => Promise<unknown>)[] = [
      () => store.set('sz', { userId: 'u' }),
      () => store.incrementCounter('sz', 'first', 7),
      () => store.update('sz', { metadata: { first: undefined } }),
      () => store.update('sz', { metadata: { a: 'x'.repeat(100), 'ü key': [1, 2] } }),
      () =>
        store.update('sz', { userId: null, threadId: 'thread-ünï', metadata: { b: { c: 'é'.repeat(50) } } }),
      () => store.update('sz', { metadata: { a: undefined, 'ü key': 'short', d: null } }),
      () => store.incrementCounter('sz', 'fresh', 123456),
      () => store.incrementCounter('sz', 'messageCount', 99),
      () => store.update('sz', { requestId: 'r'.repeat(30), escalated: true, messageCount: 5 }),
      () =>
        store.update('sz', {
          metadata: { b: undefined, 'ü key': undefined, d: undefined, fresh: undefined },
        }),
      () => store.incrementCounter('sz', 'fresh', 1),
      () => store.incrementCounter('sz', 'fresh', 9),
    ];
    for (let i = 0; i < 100; i++)
      steps.push(() => store.incrementCounter('sz', i % 2 ? 'messageCount' : 'fresh', 1));
    for (const [i, step] of steps.entries()) {
      await step();
      const session = (await store.get('sz', { touch: false })) as SessionData;
      expect(await sizeField(key), `after step ${i} (version ${session.version})`).toBe(encodedSize(session));
    }
    const session = (await store.get('sz', { touch: false })) as SessionData;
    expect(session.version).toBeGreaterThan(100);
    const exact = encodedSize(session);
    // set computes it exactly, also when it replaces a session (version of two digits, kept createdAt,
    // including one outside the years 0 to 9999, whose JSON is longer, kept while later calls give
    // another createdAt or none).
    const far = new Date('+010000-01-01T00:00:00.000Z');
    const near = new Date('2020-01-01T00:00:00.000Z');
    for (const [id, first, later] of [
      ['exact', undefined, undefined],
      ['exact-far', far, far],
      ['exact-far-kept', far, undefined],
      ['exact-far-given', undefined, far],
      ['exact-near-far', near, far],
    ] as const) {
      for (let i = 0; i < 12; i++) {
        await store.set(id, { userId: `u${i}`, createdAt: i === 0 ? first : later, metadata: { i } });
      }
      const replaced = (await store.get(id, { touch: false })) as SessionData;
      expect(replaced.version).toBe(12);
      expect(await sizeField(sessionKey(`t${n}:`, id)), id).toBe(encodedSize(replaced));
    }
    // An update that would pass the limit is refused by the script and writes nothing.
    let error: unknown;
    try {
      await store.update('sz', { metadata: { big: 'y'.repeat(20_000 - exact) } });
    } catch (e) {
      error = e;
    }
    expect(isSessionValidationError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/maxSessionBytes/);
    expect((await store.get('sz', { touch: false }))?.version).toBe(session?.version);
  });
});

describe('corrupted records', () => {
  it('a record edited by hand gives SessionDecodeError, never a crash, null or raw Redis error', async () => {
    const store = newStore();
    const prefix = `t${n}:`;
    // Rewrites the stored record of `key` (see src/redis/record.ts for its layout), keeping its expiry.
    const edit = async (key: string, change: (record: string) => string) => {
      const record = (await suite.admin.get(key)) as string;
      const changed = change(record);
      expect(changed, 'the corruption must change the record').not.toBe(record);
      await suite.admin.set(key, changed, 'KEEPTTL');
    };
    // Header field i (0 = version, 1 = TTL, 2 = createdAt, …) replaced by `text`, padded to its width.
    const header = (i: number, text: string) => (record: string) =>
      record.slice(0, 2 + 17 * i) + text.padEnd(17) + record.slice(2 + 17 * (i + 1));
    const corruptions: [string, (key: string) => Promise<unknown>][] = [
      ['version text', (key) => edit(key, header(0, 'garbage'))],
      ['escalated text', (key) => edit(key, (r) => r.replace('\nfalse\n', '\nmaybe\n'))],
      ['metadata JSON', (key) => edit(key, (r) => r.replace('\t:1}', '\t:{not json}'))],
      ['userId type', (key) => edit(key, (r) => r.replace('\nnull\n', '\n42\n'))],
      ['missing createdAt', (key) => edit(key, header(2, ''))],
      ['truncated record', (key) => edit(key, (r) => r.slice(0, 60))],
      ['ttl text (read with touch)', (key) => edit(key, header(1, 'soon'))],
      ['foreign string', (key) => suite.admin.set(key, 'a string, not a session record', 'KEEPTTL')],
      [
        'wrong key type',
        async (key) => {
          await suite.admin.del(key);
          await suite.admin.hset(key, 'v', '1');
        },
      ],
    ];
    for (const [what, corrupt] of corruptions) {
      const id = `bad-${what}`;
      await store.set(id, { metadata: { bad: 1 } });
      await corrupt(sessionKey(prefix, id));
      for (const touch of [false, true]) {
        if (what.startsWith('ttl') && !touch) continue;
        const error = await rejection(store.get(id, { touch }));
        expect(isSessionDecodeError(error), `${what} (touch ${touch}): ${String(error)}`).toBe(true);
      }
    }
    // Writes on a record whose header or type is broken refuse it too, and leave it as it was.
    for (const what of ['version text', 'truncated record', 'foreign string', 'wrong key type']) {
      const id = `bad-${what}`;
      const key = sessionKey(prefix, id);
      const before = await suite.admin.dump(key);
      const writes: [string, () => Promise<unknown>][] = [
        ['update', () => store.update(id, { metadata: { x: 1 } })],
        ['incrementCounter messageCount', () => store.incrementCounter(id, 'messageCount')],
        ['incrementCounter metadata', () => store.incrementCounter(id, 'bad')],
        ['touch', () => store.touch(id)],
        ['getOrCreate', () => store.getOrCreate(id)],
      ];
      for (const [name, write] of writes) {
        const error = await write().then(
          (value) => new Error(`resolved with ${JSON.stringify(value)}`),
          (e: unknown) => e,
        );
        expect(isSessionDecodeError(error), `${what}, ${name}: ${String(error)}`).toBe(true);
        expect((error as { field?: string }).field, `${what}, ${name}`).toBe('(record)');
      }
      expect(await suite.admin.dump(key), `${what}: nothing written`).toEqual(before);
    }
    // A metadata entry without its tab: update names the field and writes nothing.
    await store.set('bad-entry', { metadata: { n: 1 } });
    const entryKey = sessionKey(prefix, 'bad-entry');
    await edit(entryKey, (r) => r.replace('\t:1}', ':1}'));
    const broken = await suite.admin.dump(entryKey);
    const entryError = await rejection(store.update('bad-entry', { metadata: { m: 2 } }));
    expect(isSessionDecodeError(entryError), String(entryError)).toBe(true);
    expect((entryError as { field?: string }).field).toBe('metadata');
    expect(await suite.admin.dump(entryKey)).toEqual(broken);
    // A corrupted counter is refused as input, not crashed on.
    await store.set('bad-counter', { metadata: { n: 1 } });
    await edit(sessionKey(prefix, 'bad-counter'), (r) => r.replace('\t:1}', '\t:1.5e400}'));
    expect(isSessionValidationError(await rejection(store.incrementCounter('bad-counter', 'n')))).toBe(true);
    // set repairs a corrupted record, whatever the key holds.
    for (const what of ['version text', 'truncated record', 'foreign string', 'wrong key type']) {
      const repaired = await store.set(`bad-${what}`, { userId: 'again' });
      expect(repaired.userId, what).toBe('again');
      expect((await store.get(`bad-${what}`))?.userId, what).toBe('again');
    }
    // Without touch, getOrCreate hands an existing record back as it is: one as short as a creating
    // call's reply (the header's first seven fields) must still be refused, not taken for a creation.
    const plain = newStore({ touchOnGet: false });
    await plain.set('bad-short', {});
    const shortKey = sessionKey(`t${n}:`, 'bad-short');
    await edit(shortKey, (r) => r.slice(0, WRITTEN_LENGTH));
    const shortError = await rejection(plain.getOrCreate('bad-short', { userId: 'new' }));
    expect(isSessionDecodeError(shortError), String(shortError)).toBe(true);
    expect(((await suite.admin.get(shortKey)) as string).length).toBe(WRITTEN_LENGTH);
  });

  it('get with touch returns a live session exactly as it now is stored', async () => {
    const store = newStore();
    await store.set('slide', { userId: 'u', metadata: { a: [1, { b: null }] } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const touched = await store.get('slide', { touch: true });
    const stored = await store.get('slide', { touch: false });
    expect(touched).toEqual(stored);
    expect(touched?.lastActivity.getTime()).toBeGreaterThan(touched?.updatedAt.getTime() as number);
  });

  it('set and a creating getOrCreate write the same record for the same input (and id length)', async () => {
    const store = newStore();
    const input = {
      userId: 'u-1',
      threadId: 't-1',
      requestId: 'r-1',
      messageCount: 12,
      escalated: true,
      createdAt: new Date('2024-02-29T12:00:00.000Z'),
      metadata: { a: [1, { b: null }], ü: 'é', n: -0.000001 },
    };
    await store.set('same-1', input);
    const { created } = await store.getOrCreate('same-2', input);
    expect(created).toBe(true);
    const record = async (id: string) => (await suite.admin.get(sessionKey(`t${n}:`, id))) as string;
    // Everything but updatedAt, lastActivity and expiresAt (header fields 4 to 6), which hold the time.
    const timeless = (r: string) => r.slice(0, 2 + 17 * 3) + r.slice(2 + 17 * 6);
    expect(timeless(await record('same-2'))).toBe(timeless(await record('same-1')));
  });
});

describe('clients and options', () => {
  it('works on a client the user passed, and close() leaves that client open', async () => {
    const client = new Redis(suite.server.url);
    try {
      const store = new RedisSessionStore({ client, keyPrefix: 'user-client:' });
      await store.set('c1', { userId: 'u' });
      expect((await store.get('c1'))?.userId).toBe('u');
      expect((await store.getStats()).ownsClient).toBe(false);
      await store.close();
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
      // A second store on the same client reuses the namespaced scripts.
      const again = new RedisSessionStore({ client, keyPrefix: 'user-client:' });
      expect((await again.get('c1', { touch: false }))?.userId).toBe('u');
      await again.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('a store built from a URL quits its own connection on close', async () => {
    const store = newStore();
    await store.set('u1', {});
    await store.close();
    expect(store.client.status).toBe('end');
  });

  it('rejects bad options with SessionValidationError naming the option', () => {
    const bad: [object, RegExp][] = [
      [{}, /exactly one of url, client, cluster or sentinel/],
      [{ url: suite.server.url, client: suite.admin }, /exactly one of url, client, cluster or sentinel/],
      [{ url: 'http://localhost' }, /url/],
      [{ url: suite.server.url, keyPrefix: 'a{b}' }, /keyPrefix/],
      [{ url: suite.server.url, commandTimeoutMs: 0 }, /commandTimeoutMs/],
      [{ url: suite.server.url, connectTimeoutMs: -1 }, /connectTimeoutMs/],
      [{ client: {} }, /client/],
      [{ cluster: { nodes: [] } }, /cluster/],
      [{ sentinel: { sentinels: 'x' } }, /sentinel/],
      [{ url: suite.server.url, defaultTtlSeconds: -1 }, /defaultTtlSeconds/],
    ];
    for (const [options, message] of bad) {
      let error: unknown;
      try {
        new RedisSessionStore(options as RedisSessionStore.Options);
      } catch (e) {
        error = e;
      }
      expect(isSessionValidationError(error), JSON.stringify(options)).toBe(true);
      expect(String((error as Error).message)).toMatch(message);
    }
  });

  it('keeps ids with braces, colons and stars inside the namespace and its bucket', async () => {
    const store = newStore();
    const prefix = `t${n}:`;
    for (const id of ['{x}', 'a:{b}:c', '*', 'ü{}🙂']) {
      await store.set(id, {});
      const bucket = bucketOf(id);
      expect(await suite.admin.exists(sessionKey(prefix, id))).toBe(1);
      expect(await suite.admin.zscore(indexKey(prefix, bucket), id)).not.toBeNull();
      // The first `{` of the key is ours, so the hash tag is our bucket whatever the id holds.
      expect(sessionKey(prefix, id)).toContain(`{b${bucket}}:s:${id}`);
      expect(sessionKey(prefix, id).indexOf('{')).toBe(prefix.length);
    }
    expect(await store.countActive()).toBe(4);
  });
});

describe('createSessionStore', () => {
  it('picks memory without a URL, Redis with one, and REDIS_URL from the environment', async () => {
    const memory = await createSessionStore({ env: {} });
    expect(memory).toBeInstanceOf(InMemorySessionStore);
    await memory.close();
    const fromUrl = await createSessionStore({ url: suite.server.url, env: {} });
    expect(fromUrl).toBeInstanceOf(RedisSessionStore);
    await fromUrl.set('f1', {});
    await fromUrl.close();
    const fromEnv = await createSessionStore({
      env: { REDIS_URL: suite.server.url },
      redis: { keyPrefix: 'env:' },
    });
    expect(fromEnv).toBeInstanceOf(RedisSessionStore);
    expect((await fromEnv.getStats()).keyPrefix).toBe('env:');
    await fromEnv.close();
  });

  it('rejects an unreachable Redis unless fallbackToMemory, which logs a warning', async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const error = await rejection(
      createSessionStore({ url: deadUrl, env: {}, redis: { commandTimeoutMs: 500 } }),
    );
    expect(isSessionStoreUnavailableError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn(message: string) {
        warnings.push(message);
      },
      error() {},
    };
    const fallback = await createSessionStore({
      url: deadUrl,
      env: {},
      fallbackToMemory: true,
      logger,
      redis: { commandTimeoutMs: 500 },
    });
    expect(fallback).toBeInstanceOf(InMemorySessionStore);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/fallbackToMemory/);
    await fallback.close();
    // The rejection carries what went wrong underneath.
    expect((error as Error).cause).toBeDefined();
  });

  it('without a logger, the fallback is still announced, on the process warning channel', async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const seen: { name: string; code?: string; message: string }[] = [];
    const onWarning = (warning: Error & { code?: string }) =>
      seen.push({ name: warning.name, code: warning.code, message: warning.message });
    process.on('warning', onWarning);
    try {
      const fallback = await createSessionStore({
        url: deadUrl,
        env: {},
        fallbackToMemory: true,
        redis: { commandTimeoutMs: 500 },
      });
      expect(fallback).toBeInstanceOf(InMemorySessionStore);
      await fallback.close();
      await new Promise((resolve) => setImmediate(resolve)); // 'warning' is emitted on the next tick
      expect(seen.filter((w) => w.code === 'AGENT_SESSION_STORE_FALLBACK')).toHaveLength(1);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('no keyspace scans in src/', () => {
  it('src/ never uses SCAN, KEYS or scanStream', () => {
    const root = path.resolve(import.meta.dirname, '../src');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.endsWith('.ts')) files.push(full);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(10);
    const offending: string[] = [];
    for (const file of files) {
      for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
        const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
        const redisCall = /['"`](SCAN|KEYS|HSCAN|SSCAN|ZSCAN)['"`]/i.test(code);
        const clientCall = /\bscan(Stream|Buffer|BufferStream)?\s*\(/i.test(code);
        const keysCall = /\.keys\s*\(/.test(code.replace(/Object\.keys\s*\(/g, ''));
        if (redisCall || clientCall || keysCall)
          offending.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
