// Least-privilege ACL: a Redis user holding exactly RedisSessionStore.aclRules() runs the whole conformance suite,
// is refused keys outside its prefix, and one missing command surfaces as a configuration error that
// names the command. The rules themselves come from the script registry (acl.ts).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSessionStoreConfigError, RedisSessionStore } from '../src/index.js';
import { scriptCommands } from '../src/redis/acl.js';
import { SCRIPTS } from '../src/redis/scripts.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { startRedis } from './helpers/redis-standalone.js';
import { rejection } from './helpers/rejection.js';

let server: RedisServerHandle;
let admin: Redis;
let n = 0;

/** Creates (or replaces) ACL user `name` with password `name-pw` and exactly `rules`. */
async function aclUser(name: string, rules: string[]): Promise<string> {
  await admin.call('ACL', 'SETUSER', name, 'reset', 'on', `>${name}-pw`, ...rules);
  return `redis://${name}:${name}-pw@127.0.0.1:${server.port}`;
}

let suiteUrl = '';

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
  suiteUrl = await aclUser('suite', RedisSessionStore.aclRules({ keyPrefix: 'aclsuite:' }));
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

describeSessionStoreConformance(
  'RedisSessionStore as an ACL user holding exactly RedisSessionStore.aclRules()',
  ({ options }) => {
    n += 1;
    return new RedisSessionStore({ url: suiteUrl, keyPrefix: `aclsuite:${n}:`, ...options });
  },
  {
    clock: 'real',
    describe,
    it,
  },
);

describe('RedisSessionStore.aclRules', () => {
  it('lists every command every registered script calls, and every redis.call names its command literally', () => {
    const rules = RedisSessionStore.aclRules({ keyPrefix: 'p:' });
    for (const [op, script] of Object.entries(SCRIPTS)) {
      const calls = script.lua.match(/redis\.p?call\(/g) ?? [];
      const commands = scriptCommands(script.lua);
      expect(commands.length, op).toBeGreaterThan(0);
      // A command chosen at run time could not be read from the source.
      expect(script.lua.match(/redis\.p?call\(\s*'[A-Za-z]+'/g)?.length, op).toBe(calls.length);
      for (const command of commands) expect(rules, `${op}: ${command}`).toContain(`+${command}`);
    }
    expect(rules.slice(0, 3)).toEqual(['~p:*', 'resetchannels', '-@all']);
    for (const command of ['evalsha', 'eval', 'get', 'exists', 'ping', 'info']) {
      expect(rules).toContain(`+${command}`);
    }
  });

  it('escapes glob characters of the prefix, adds what a Cluster needs, refuses braces', () => {
    expect(RedisSessionStore.aclRules({ keyPrefix: 'a*b?[c]\\:' })[0]).toBe('~a\\*b\\?\\[c\\]\\\\:*');
    expect(RedisSessionStore.aclRules()[0]).toBe('~session:*');
    const cluster = RedisSessionStore.aclRules({ mode: 'cluster' });
    for (const rule of ['+cluster|slots', '+cluster|info', '+asking']) expect(cluster).toContain(rule);
    expect(RedisSessionStore.aclRules()).not.toContain('+cluster|slots');
    expect(RedisSessionStore.aclRules()).not.toContain('+wait');
    expect(RedisSessionStore.aclRules({ durability: true })).toContain('+wait');
    expect(() => RedisSessionStore.aclRules({ keyPrefix: 'a{b}' })).toThrow(/without \{ or \}/);
  });
});

describe('an ACL user with the generated rules', () => {
  it('is refused a key outside its prefix, by the store and directly', async () => {
    const url = await aclUser('narrow', RedisSessionStore.aclRules({ keyPrefix: 'mine:' }));
    const outside = new RedisSessionStore({ url, keyPrefix: 'theirs:' });
    const direct = new Redis(url);
    try {
      const error = await rejection(outside.set('s1', {}));
      expect(isSessionStoreConfigError(error)).toBe(true);
      expect(error.message).toMatch(/key pattern does not cover the store's keyPrefix/);
      await expect(direct.get('theirs:x')).rejects.toThrow(/NOPERM/);
      // Inside the prefix, only the store's commands: no KEYS, no FLUSHALL.
      expect(await direct.get('mine:x')).toBeNull();
      await expect(direct.call('KEYS', 'mine:*')).rejects.toThrow(/NOPERM/);
      await expect(direct.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
      expect(await admin.exists('theirs:x')).toBe(0);
    } finally {
      await outside.close();
      direct.disconnect();
    }
  });

  it('two stores with their own prefixes and users cannot read each other’s sessions', async () => {
    const aliceUrl = await aclUser('alice', RedisSessionStore.aclRules({ keyPrefix: 'alice:' }));
    const bobUrl = await aclUser('bob', RedisSessionStore.aclRules({ keyPrefix: 'bob:' }));
    const alice = new RedisSessionStore({ url: aliceUrl, keyPrefix: 'alice:' });
    const bob = new RedisSessionStore({ url: bobUrl, keyPrefix: 'bob:' });
    // Bob's user, configured with Alice's prefix: the only way his store could name her keys.
    const bobAsAlice = new RedisSessionStore({ url: bobUrl, keyPrefix: 'alice:' });
    try {
      await alice.set('shared-id', { metadata: { owner: 'alice' } });
      await bob.set('shared-id', { metadata: { owner: 'bob' } });
      expect((await alice.get('shared-id'))?.metadata).toEqual({ owner: 'alice' });
      expect((await bob.get('shared-id'))?.metadata).toEqual({ owner: 'bob' });
      for (const call of [
        () => bobAsAlice.get('shared-id'),
        () => bobAsAlice.get('shared-id', { touch: false }),
        () => bobAsAlice.exists('shared-id'),
        () => bobAsAlice.delete('shared-id'),
        () => bobAsAlice.listActive(),
      ]) {
        const error = await rejection(call());
        expect(isSessionStoreConfigError(error), error.message).toBe(true);
      }
      expect((await alice.get('shared-id'))?.metadata).toEqual({ owner: 'alice' });
    } finally {
      await Promise.all([alice.close(), bob.close(), bobAsAlice.close()]);
    }
  });

  it('one command missing: a configuration error naming the command and the ACL, at once', async () => {
    const rules = RedisSessionStore.aclRules({ keyPrefix: 'lack:' }).filter((rule) => rule !== '+zadd');
    const url = await aclUser('lacking', rules);
    const store = new RedisSessionStore({ url, keyPrefix: 'lack:', commandTimeoutMs: 2000 });
    try {
      const started = performance.now();
      const error = await rejection(store.set('s1', {}));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(isSessionStoreConfigError(error)).toBe(true);
      expect(error.message).toMatch(/may not run ZADD, which the store's set script calls/);
      expect(error.message).toMatch(/RedisSessionStore.aclRules/);
      expect(error.message).not.toMatch(/unavailable/i);
      expect(String((error.cause as Error).message)).toMatch(/can't run this command/);
      // A command the client sends itself is named as Redis names it.
      await aclUser(
        'lacking',
        rules.filter((rule) => rule !== '+exists'),
      );
      const direct = await rejection(store.exists('s1'));
      expect(isSessionStoreConfigError(direct)).toBe(true);
      expect(direct.message).toMatch(/may not run EXISTS/);
    } finally {
      await store.close();
    }
  });
});
