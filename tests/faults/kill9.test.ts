// kill -9 under load: a redis-server with appendonly yes + appendfsync always is SIGKILLed mid-run and
// restarted on the same port and dir. Every acknowledged write survives, calls during the outage fail fast
// with SessionStoreUnavailableError, and the same store instances carry on after the restart.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isSessionStoreUnavailableError, RedisSessionStore } from '../../src/index.js';
import type { RedisServerHandle } from '../helpers/redis-process.js';
import { startRedisProcess } from '../helpers/redis-standalone.js';
import { checkLedger, describeError, quantile, WriteLoad } from './load.js';

/** The store's documented bound on one call (commandTimeoutMs default), in milliseconds. */
const BOUND_MS = 2_000;
/** Scheduling slack on a loaded two-core machine on top of the bound, in milliseconds. */
const SLACK_MS = 500;
/** Load before the kill, minimum outage, and load after recovery, in milliseconds. */
const BEFORE_KILL_MS = 4_000;
const OUTAGE_MS = 3_000;
const AFTER_RECOVERY_MS = 4_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

describe('kill -9 of a standalone redis-server (AOF, appendfsync always) under load', () => {
  it('keeps every acknowledged write, fails fast during the outage and recovers by itself', async () => {
    const server: RedisServerHandle = await startRedisProcess({
      args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    });
    cleanups.push(() => server.stop());
    const stores = [0, 1].map(() => {
      const store = new RedisSessionStore({ url: server.url, keyPrefix: 'kill9:', defaultTtlSeconds: 3600 });
      cleanups.push(() => store.close());
      return store;
    });
    const load = new WriteLoad({ stores, writers: 8, sessionsPerWriter: 4, idPrefix: 'k9' });
    cleanups.push(() => load.stop());

    await load.start();
    await load.waitFor('writes before the kill', 10_000, () => load.successTimes.length >= 200);
    await sleep(Math.max(0, BEFORE_KILL_MS - load.now()));

    const killedAt = load.now();
    await server.kill('SIGKILL');
    // The outage itself (not a readiness wait): long enough that the store has been down for more than
    // one call's bound, so both failure paths — waiting for a reconnect and failing at once — are taken.
    await sleep(OUTAGE_MS);
    await load.waitFor('failed calls during the outage', 10_000, () =>
      load.failures.some((f) => f.at > killedAt + BOUND_MS),
    );
    const restartAt = load.now();
    await server.restart();
    const upAt = load.now();
    await load.waitFor('successful writes from every session after the restart', 20_000, () =>
      load.sessions.every((s) => successesAfter(load, s.id, upAt)),
    );
    const firstSuccessAfter = Math.min(...load.successTimes.filter((t) => t >= killedAt));
    await sleep(AFTER_RECOVERY_MS);
    await load.stop();

    const check = await checkLedger(load, stores[0] as RedisSessionStore);
    const outageFailures = load.failures.filter((f) => f.at >= killedAt);
    const failMs = outageFailures.map((f) => f.ms);
    const afterRestart = load.successesSince(upAt);
    const figures = {
      acknowledgedIncrements: check.ackedTotal,
      storedIncrements: check.storedTotal,
      unknownOutcomeIncrements: check.unknownTotal,
      lostAcknowledgedIncrements: check.lostIncrements,
      lostAcknowledgedUpdates: check.lostUpdates,
      failedCallsDuringOutage: outageFailures.length,
      failLatencyP50Ms: Math.round(quantile(failMs, 0.5)),
      failLatencyP99Ms: Math.round(quantile(failMs, 0.99)),
      failLatencyMaxMs: Math.round(Math.max(...failMs)),
      outageAsSeenByClientsMs: Math.round(firstSuccessAfter - killedAt),
      serverDownMs: Math.round(upAt - killedAt),
      restartTookMs: Math.round(upAt - restartAt),
      successfulCallsAfterRestart: afterRestart,
    };
    console.log('[faults] kill -9 standalone:', JSON.stringify(figures));

    expect(load.unexpected.map((u) => `${u.op} ${u.sessionId}: ${describeError(u.error)}`)).toEqual([]);
    // Acknowledged means durable: with appendfsync always nothing acknowledged may be missing.
    expect(check.details).toEqual([]);
    expect(check.missingSessions).toBe(0);
    expect(check.lostIncrements).toBe(0);
    expect(check.lostUpdates).toBe(0);
    expect(check.phantomIncrements).toBe(0);
    expect(check.phantomSeqs).toBe(0);
    // The outage really happened and was reported as such, within the documented bound.
    expect(outageFailures.length).toBeGreaterThan(0);
    expect(outageFailures.every((f) => isSessionStoreUnavailableError(f.error))).toBe(true);
    expect(Math.max(...failMs)).toBeLessThanOrEqual(BOUND_MS + SLACK_MS);
    // The same store instances carried on: both wrote successfully after the restart.
    expect(afterRestart).toBeGreaterThan(100);
    for (const storeIndex of [0, 1]) {
      const theirs = load.sessions.filter((s) => s.storeIndex === storeIndex);
      expect(theirs.every((s) => successesAfter(load, s.id, upAt))).toBe(true);
    }
  });
});

/** Whether `sessionId` had a successful call that started at or after `at`. */
function successesAfter(load: WriteLoad, sessionId: string, at: number): boolean {
  return (load.lastSuccessBySession.get(sessionId) ?? -1) >= at;
}
