// RedisSessionStore over TLS: the whole conformance suite on a TLS-only redis-server (a throwaway CA), and
// the errors a TLS misconfiguration gives: they say what is wrong, not that Redis may be down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isSessionStoreConfigError,
  isSessionStoreUnavailableError,
  RedisSessionStore,
} from '../src/index.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import { startTlsRedis, type TlsRedisHandle } from './helpers/redis-tls.js';
import { rejection } from './helpers/rejection.js';

let server: TlsRedisHandle;
let n = 0;

beforeAll(async () => {
  server = await startTlsRedis();
});

afterAll(async () => {
  await server?.stop();
});

describeSessionStoreConformance(
  'RedisSessionStore over TLS (rediss://, redisOptions.tls.ca)',
  ({ options }) => {
    n += 1;
    return new RedisSessionStore({
      url: server.url,
      redisOptions: { tls: { ca: server.ca } },
      keyPrefix: `tls${n}:`,
      ...options,
    });
  },
  {
    clock: 'real',
    describe,
    it,
  },
);

async function waitForStatus(store: RedisSessionStore, status: string, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (store.client.status !== status && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(store.client.status).toBe(status);
}

describe('TLS misconfiguration explains itself', () => {
  it('the store really talks TLS: ping over rediss:// works', async () => {
    const store = new RedisSessionStore({ url: server.url, redisOptions: { tls: { ca: server.ca } } });
    try {
      expect(await store.ping()).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('redis:// pointed at the TLS port: unavailable, saying the server may expect TLS', async () => {
    const store = new RedisSessionStore({
      url: `redis://127.0.0.1:${server.port}`,
      commandTimeoutMs: 800,
    });
    try {
      const error = await rejection(store.get('s1'));
      expect(isSessionStoreUnavailableError(error)).toBe(true);
      expect(error.message).toMatch(/may expect TLS/);
      expect(error.message).toMatch(/rediss:\/\//);
      expect(error.message).toMatch(/redisOptions\.tls/);
    } finally {
      await store.close();
    }
  });

  for (const [label, tlsOptions] of [
    ['no CA', () => ({})],
    ['the wrong CA', () => ({ ca: server.otherCa })],
  ] as const) {
    it(`rediss:// with ${label}: a configuration error at once, naming the certificate check and the option`, async () => {
      const store = new RedisSessionStore({
        url: server.url,
        redisOptions: { tls: tlsOptions() },
        commandTimeoutMs: 2000,
      });
      try {
        const started = performance.now();
        const error = await rejection(store.get('s1'));
        expect(performance.now() - started).toBeLessThan(1000);
        expect(isSessionStoreConfigError(error)).toBe(true);
        expect(error.message).toMatch(/certificate could not be verified/);
        expect(error.message).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
        expect(error.message).toMatch(/redisOptions\.tls\.ca/);
        expect(error.message).not.toMatch(/running/);
        expect((error.cause as { code?: string }).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
        // No reconnecting: the connection ends (once its socket has closed), and later calls reject the
        // same way at once.
        await waitForStatus(store, 'end', 1000);
        const again = await rejection(store.get('s1'));
        expect(isSessionStoreConfigError(again)).toBe(true);
      } finally {
        await store.close();
      }
    });
  }
});
