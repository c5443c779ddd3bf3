// A lost route: a proxy between the store and Redis keeps every connection open but forwards nothing.
// Calls must fail within commandTimeoutMs while it lasts, and when the route comes back while the old
// connection stays dead forever (state a NAT or load balancer forgot), the same store must find that out
// and open a new connection by itself, within a few seconds.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSessionStoreUnavailableError, type Logger, RedisSessionStore } from '../src/index.js';
import { type BlackholeProxy, startBlackholeProxy } from './helpers/blackhole-proxy.js';
import { HOST, type RedisServerHandle, waitUntil } from './helpers/redis-process.js';
import { startRedisProcess } from './helpers/redis-standalone.js';

const TIMEOUT_MS = 1000;
/** Scheduling slack on a busy 2-core machine. */
const MARGIN_MS = 700;
/**
 * How soon the store must work again once the route is back: a dead connection is found within two
 * commandTimeoutMs (a call, then a PING), a handshake into the outage within connectTimeoutMs, and the
 * next reconnect attempt comes within maxReconnectDelayMs.
 */
const RECOVERY_BOUND_MS = 2 * TIMEOUT_MS + 1000 + 1000 + MARGIN_MS;

let server: RedisServerHandle;
let proxy: BlackholeProxy;
let store: RedisSessionStore | undefined;

beforeAll(async () => {
  server = await startRedisProcess();
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  await proxy?.close();
});

afterAll(async () => {
  await server?.stop();
});

function warnings(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const noop = () => {};
  return {
    messages,
    logger: { debug: noop, info: noop, error: noop, warn: (message) => messages.push(message) },
  };
}

/** Runs `call`, expecting STORE_UNAVAILABLE within the bound; returns how long it took. */
async function rejectsInTime(name: string, call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  const error = await call().then(
    () => new Error(`${name} resolved through a blackholed route`),
    (e: unknown) => e,
  );
  const elapsed = performance.now() - started;
  expect(isSessionStoreUnavailableError(error), `${name}: ${String(error)}`).toBe(true);
  expect((error as { code?: string }).code).toBe('STORE_UNAVAILABLE');
  expect(elapsed, name).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  return elapsed;
}

/** Polls until a call goes through again; returns the time from `since` to the first success. */
async function recovery(s: RedisSessionStore, since: number): Promise<number> {
  let recoveredAt = 0;
  await waitUntil('the store to work again', 20_000, async () => {
    try {
      await s.get('probe', { touch: false });
      recoveredAt = performance.now();
      return true;
    } catch {
      return false;
    }
  });
  return recoveredAt - since;
}

describe('a lost route (a proxy that keeps connections open and forwards nothing)', () => {
  it('calls fail in time; the store replaces its dead connection once the route is back', async () => {
    proxy = await startBlackholeProxy({ host: HOST, port: server.port });
    const log = warnings();
    store = new RedisSessionStore({
      url: proxy.url,
      keyPrefix: 'lost:',
      commandTimeoutMs: TIMEOUT_MS,
      connectTimeoutMs: 1000,
      logger: log.logger,
    });
    const s = store;
    await s.set('c', { userId: 'u' });
    expect(await s.incrementCounter('c', 'messageCount')).toBe(1);

    proxy.blackhole();
    // All at once, on the connection that was working: the increment is written into the outage, and
    // Redis gets it when the route comes back, after its caller saw a timeout.
    const times = await Promise.all([
      rejectsInTime('incrementCounter', () => s.incrementCounter('c', 'messageCount')),
      rejectsInTime('get', () => s.get('c')),
      rejectsInTime('set', () => s.set('d', {})),
    ]);
    console.info('blackholed route, ms per call:', times.map(Math.round));
    const pinged = performance.now();
    expect(await s.ping()).toBe(false);
    expect(performance.now() - pinged).toBeLessThan(TIMEOUT_MS + MARGIN_MS);

    // The outage outlasts the detection: the store replaces its connection into the outage, and that
    // one's handshake gets no reply either.
    await waitUntil('a connection opened during the outage', 10_000, async () => proxy.accepted >= 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const openedDuringOutage = proxy.accepted;
    // The old connection (and any opened during the outage) stays dead; only new ones go through. What
    // the store sent into the outage reaches Redis now; its replies never come back.
    const restored = performance.now();
    proxy.restore({ deliverHeld: true });
    const recoveredMs = await recovery(s, restored);
    console.info(`recovered ${Math.round(recoveredMs)} ms after the route came back`);
    expect(recoveredMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(log.messages.some((m) => /answers nothing/.test(m))).toBe(true);
    expect(proxy.accepted).toBeGreaterThan(openedDuringOutage);

    // The increment that timed out was applied all the same: a timeout says nothing about the outcome.
    expect((await s.get('c', { touch: false }))?.messageCount).toBe(2);
    await s.set('d', { userId: 'after' });
    expect((await s.get('d'))?.userId).toBe('after');
  });

  it('a store idle through the outage recovers once calls resume on the dead connection', async () => {
    proxy = await startBlackholeProxy({ host: HOST, port: server.port });
    store = new RedisSessionStore({
      url: proxy.url,
      keyPrefix: 'lost:',
      commandTimeoutMs: TIMEOUT_MS,
      connectTimeoutMs: 1000,
    });
    const s = store;
    await s.set('e', {});
    proxy.blackhole();
    proxy.restore();
    const restored = performance.now();
    const recoveredMs = await recovery(s, restored);
    console.info(
      `idle store: recovered ${Math.round(recoveredMs)} ms after the first call on the dead connection`,
    );
    expect(recoveredMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(proxy.accepted).toBeGreaterThan(1);
  });

  it('a client passed in is not closed: the store warns and calls keep failing in time', async () => {
    proxy = await startBlackholeProxy({ host: HOST, port: server.port });
    const { Redis } = await import('ioredis');
    const client = new Redis(proxy.url, { maxRetriesPerRequest: 0 });
    const log = warnings();
    store = new RedisSessionStore({
      client,
      keyPrefix: 'lost:',
      commandTimeoutMs: TIMEOUT_MS,
      logger: log.logger,
    });
    const s = store;
    try {
      await s.set('f', {});
      proxy.blackhole();
      proxy.restore();
      await rejectsInTime('get', () => s.get('f'));
      await waitUntil('the warning', 5000, async () => log.messages.some((m) => /passed in/.test(m)));
      expect(client.status).toBe('ready');
      await rejectsInTime('get again', () => s.get('f'));
      // What the warning tells the user to do brings the store back.
      client.disconnect(true);
      await recovery(s, performance.now());
    } finally {
      client.disconnect();
    }
  });
});
