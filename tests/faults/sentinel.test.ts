// Sentinel failover under load: the master is SIGKILLed, Sentinel promotes the replica, and a store built
// with the `sentinel` option resumes by itself. Measures how long it was unavailable and how many
// acknowledged writes asynchronous replication lost; asserts what is guaranteed.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isSessionStoreUnavailableError, RedisSessionStore } from '../../src/index.js';
import { waitUntil } from '../helpers/redis-process.js';
import { startSentinelGroup } from '../helpers/redis-sentinel.js';
import { checkLedger, describeError, quantile, WriteLoad } from './load.js';

/** Sentinel `down-after-milliseconds` for this group. */
const DOWN_AFTER_MS = 2_000;
/** How long the store may stay unavailable after the kill before the test fails, in milliseconds. */
const RESUME_BOUND_MS = 30_000;
/** The store's documented bound on one call (commandTimeoutMs default) plus scheduling slack, in ms. */
const CALL_BOUND_MS = 2_000 + 500;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

describe('Sentinel failover under load', () => {
  it('resumes by itself after the replica is promoted; lost acknowledged writes are measured', async () => {
    const group = await startSentinelGroup({ downAfterMs: DOWN_AFTER_MS });
    cleanups.push(() => group.stop());
    const store = new RedisSessionStore({
      sentinel: { sentinels: group.sentinels, name: group.name },
      keyPrefix: 'sentinel:',
      defaultTtlSeconds: 3600,
    });
    cleanups.push(() => store.close());
    const load = new WriteLoad({ stores: [store], writers: 8, sessionsPerWriter: 4, idPrefix: 'sf' });
    cleanups.push(() => load.stop());

    await load.start();
    await load.waitFor('writes before the kill', 10_000, () => load.successTimes.length >= 300);
    const killedAt = load.now();
    await group.master.kill('SIGKILL');

    // Promotion as Sentinel reports it (polled health check, bounded).
    await waitUntil('promotion of the replica', RESUME_BOUND_MS, async () => {
      return (await group.currentMaster()).port === group.replica.port;
    });
    const promotedAt = load.now();
    await load.waitFor('every session writes again after the failover', RESUME_BOUND_MS, () =>
      load.sessions.every((s) => (load.lastSuccessBySession.get(s.id) ?? -1) > killedAt),
    );
    const resumedAt = Math.min(...load.successTimes.filter((t) => t > killedAt));
    const allBackAt = load.now();

    // Baseline on the new master, session by session; increments that start after a session's baseline
    // read must all be there at the end.
    const baseline = new Map<string, { count: number; readDoneAt: number }>();
    for (const s of load.sessions) {
      const session = await store.get(s.id, { touch: false });
      expect(session).not.toBeNull();
      baseline.set(s.id, { count: session?.messageCount ?? -1, readDoneAt: load.now() });
    }
    await sleep(2_000);
    await load.stop();

    const check = await checkLedger(load, store);
    const afterRecovery: string[] = [];
    let ackedAfterRecovery = 0;
    for (const s of load.sessions) {
      const base = baseline.get(s.id) as { count: number; readDoneAt: number };
      const acked = load.successes.filter(
        (e) => e.sessionId === s.id && e.op === 'increment' && e.at > base.readDoneAt,
      ).length;
      ackedAfterRecovery += acked;
      const final = await store.get(s.id, { touch: false });
      if ((final?.messageCount ?? -1) < base.count + acked) {
        afterRecovery.push(
          `${s.id}: ${final?.messageCount} < ${base.count} + ${acked} acknowledged after recovery`,
        );
      }
    }
    const outageFailures = load.failures.filter((f) => f.at >= killedAt);
    const failMs = outageFailures.map((f) => f.ms);
    const figures = {
      downAfterMs: DOWN_AFTER_MS,
      promotionAfterMs: Math.round(promotedAt - killedAt),
      unavailableMs: Math.round(resumedAt - killedAt),
      allSessionsBackAfterMs: Math.round(allBackAt - killedAt),
      failedCalls: outageFailures.length,
      failLatencyP50Ms: Math.round(quantile(failMs, 0.5)),
      failLatencyMaxMs: Math.round(Math.max(0, ...failMs)),
      acknowledgedIncrements: check.ackedTotal,
      storedIncrements: check.storedTotal,
      lostAcknowledgedIncrements: check.lostIncrements,
      sessionsWithLostIncrements: check.details.filter((d) => d.includes('messageCount')).length,
      lostAcknowledgedUpdates: check.lostUpdates,
      acknowledgedIncrementsAfterRecovery: ackedAfterRecovery,
    };
    console.log('[faults] sentinel failover:', JSON.stringify(figures));

    expect(load.unexpected.map((u) => `${u.op} ${u.sessionId}: ${describeError(u.error)}`)).toEqual([]);
    // The master really went away, and the store said so with the typed error within its bound.
    expect(outageFailures.length).toBeGreaterThan(0);
    expect(outageFailures.every((f) => isSessionStoreUnavailableError(f.error))).toBe(true);
    expect(Math.max(...failMs)).toBeLessThanOrEqual(CALL_BOUND_MS);
    // It resumed by itself within the bound, on the promoted replica.
    expect(resumedAt - killedAt).toBeLessThan(RESUME_BOUND_MS);
    expect((await group.currentMaster()).port).toBe(group.replica.port);
    // Writes after recovery are durable on the new master; nothing was applied twice or invented.
    expect(ackedAfterRecovery).toBeGreaterThan(0);
    expect(afterRecovery).toEqual([]);
    expect(check.missingSessions).toBe(0);
    expect(check.phantomIncrements).toBe(0);
    expect(check.phantomSeqs).toBe(0);
    expect(load.failures.filter((f) => f.at >= allBackAt).map((f) => describeError(f.error))).toEqual([]);
  });
});
