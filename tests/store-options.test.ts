// Unknown constructor options are rejected, naming the option (SessionValidationError `field`) and
// suggesting the known name a typo is closest to; every known option is still accepted.
import { describe, expect, it } from 'vitest';
import {
  createSessionStore,
  InMemorySessionStore,
  isSessionValidationError,
  RedisSessionStore,
  type SessionValidationError,
} from '../src/index.js';

function thrown(make: () => unknown): SessionValidationError {
  try {
    make();
  } catch (error) {
    expect(isSessionValidationError(error), String(error)).toBe(true);
    return error as SessionValidationError;
  }
  throw new Error('expected the constructor to throw');
}

/** A URL nothing listens on: the constructors never connect before the first call. */
const URL = 'redis://127.0.0.1:1';

describe('unknown constructor options', () => {
  it('RedisSessionStore names a misspelt option and suggests the right one', () => {
    const error = thrown(
      () => new RedisSessionStore({ url: URL, durablity: { replicas: 1 } } as RedisSessionStore.Options),
    );
    expect(error.field).toBe('durablity');
    expect(error.message).toBe('Unknown RedisSessionStore option "durablity": did you mean durability?');
  });

  it('RedisSessionStore suggests common options too, case-insensitively', () => {
    const error = thrown(
      () => new RedisSessionStore({ url: URL, defaultTTLSeconds: 60 } as RedisSessionStore.Options),
    );
    expect(error.field).toBe('defaultTTLSeconds');
    expect(error.message).toMatch(/did you mean defaultTtlSeconds\?$/);
  });

  it('lists the known options when nothing is close', () => {
    const error = thrown(
      () => new RedisSessionStore({ url: URL, zzzzzzzz: true } as RedisSessionStore.Options),
    );
    expect(error.field).toBe('zzzzzzzz');
    expect(error.message).toMatch(/expected one of .*durability/);
  });

  it('InMemorySessionStore names a misspelt option, its own or a common one', () => {
    const own = thrown(() => new InMemorySessionStore({ maxSesions: 5 } as never));
    expect(own.field).toBe('maxSesions');
    expect(own.message).toBe('Unknown InMemorySessionStore option "maxSesions": did you mean maxSessions?');
    const common = thrown(() => new InMemorySessionStore({ touchOnGett: false } as never));
    expect(common.field).toBe('touchOnGett');
    expect(common.message).toMatch(/did you mean touchOnGet\?$/);
    // A Redis-only option is unknown to the in-memory store.
    expect(thrown(() => new InMemorySessionStore({ keyPrefix: 'x' } as never)).field).toBe('keyPrefix');
  });

  it('createSessionStore passes them on to the store it builds, which rejects them', async () => {
    await expect(createSessionStore({ env: {}, memory: { maxSesions: 3 } } as never)).rejects.toMatchObject({
      code: 'SESSION_VALIDATION',
      field: 'maxSesions',
    });
    await expect(
      createSessionStore({ env: {}, redis: { url: URL, keyPrefx: 'a:' } } as never),
    ).rejects.toMatchObject({ code: 'SESSION_VALIDATION', field: 'keyPrefx' });
  });

  it('every known option is accepted', async () => {
    const common = {
      defaultTtlSeconds: 60,
      maxLifetimeSeconds: 600,
      touchOnGet: false,
      maxSessionBytes: 1000,
      logger: undefined,
      maxItems: 10,
      maxItemBytes: 100,
      itemsOverflow: 'trimOldest' as const,
      operationIdTtlSeconds: 60,
    };
    const memory = new InMemorySessionStore({ ...common, maxSessions: 5, now: Date.now });
    await memory.close();
    const redis = new RedisSessionStore({
      ...common,
      url: URL,
      redisOptions: {},
      keyPrefix: 'k:',
      commandTimeoutMs: 1000,
      connectTimeoutMs: 1000,
      maxReconnectDelayMs: 1000,
      durability: { replicas: 1, timeoutMs: 500 },
    });
    await redis.close();
  });
});
