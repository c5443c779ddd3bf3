// Redis Cluster under faults: (a) kill -9 of one master under load — the other shards keep serving and
// the killed shard resumes once its replica is promoted; (b) slots resharded under load with
// `redis-cli --cluster reshard` — counters stay exact and no CROSSSLOT/MOVED/ASK/TRYAGAIN reaches the user.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isSessionStoreUnavailableError, RedisSessionStore } from '../../src/index.js';
import { sessionKey } from '../../src/redis/keys.js';
import { type ClusterMaster, runRedisCli, startCluster } from '../helpers/redis-cluster.js';
import { waitUntil } from '../helpers/redis-process.js';
import { redisCommand } from '../helpers/redis-resp.js';
import { checkLedger, describeError, quantile, WriteLoad } from './load.js';

/** `cluster-node-timeout` for these clusters, in milliseconds. */
const NODE_TIMEOUT_MS = 2_000;
/** How long the killed shard may stay unavailable before the test fails, in milliseconds. */
const SHARD_RECOVERY_BOUND_MS = 30_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** The port of the master serving `slot` in `masters`, or undefined. */
function ownerOf(masters: ClusterMaster[], slot: number): number | undefined {
  return masters.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to))?.port;
}

/** Hash slot of the session key of `id` under `prefix`, as the server computes it. */
async function slotOf(port: number, prefix: string, id: string): Promise<number> {
  return Number(await redisCommand(port, ['CLUSTER', 'KEYSLOT', sessionKey(prefix, id)]));
}

/** Redirection and slot errors must be handled inside the client/store, never surface to the user. */
const REDIRECTION = /CROSSSLOT|MOVED|\bASK\b|TRYAGAIN/;
function mentionsRedirection(error: unknown): boolean {
  return REDIRECTION.test(describeError(error));
}

/**
 * The replication offsets of master `port`: its own, and the one its (single) replica has acknowledged,
 * from `INFO replication` (`master_repl_offset`, `slave0:…,offset=N,…`).
 */
async function replicationOffsets(port: number): Promise<{ master: number; replica: number }> {
  const info = String(await redisCommand(port, ['INFO', 'replication']));
  const master = Number(/^master_repl_offset:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  if (!Number.isFinite(master)) throw new Error(`no master_repl_offset in INFO replication of ${port}`);
  const replica = Number(/^slave0:.*offset=(\d+)/m.exec(info)?.[1] ?? -1);
  return { master, replica };
}

describe('Redis Cluster under faults', () => {
  // `no`: partial availability, the other shards must serve throughout. `yes` (Redis's default): every
  // master refuses commands while a slot range has no master; measured, and the whole store must recover.
  it.each(['no', 'yes'] as const)(
    'kill -9 of one master (cluster-require-full-coverage %s): the killed shard resumes after promotion',
    async (fullCoverage) => {
      const cluster = await startCluster({
        masters: 3,
        replicasPerMaster: 1,
        nodeTimeoutMs: NODE_TIMEOUT_MS,
        args: ['--cluster-require-full-coverage', fullCoverage],
      });
      cleanups.push(() => cluster.stop());
      const prefix = 'cfail:';
      const store = new RedisSessionStore({ cluster: { nodes: cluster.nodes }, keyPrefix: prefix });
      cleanups.push(() => store.close());
      const before = await cluster.masters();
      const seed = before[0]?.port as number;
      // Each writer gets sessions of one master only (writer w: master w % 3), so that calls stuck on the
      // dead shard never hold up a writer's sessions on the healthy ones.
      const byMaster = new Map<number, string[]>(before.map((m) => [m.port, []]));
      for (let i = 0; [...byMaster.values()].some((ids) => ids.length < 12); i += 1) {
        const id = `cf-${i}`;
        const ids = byMaster.get(ownerOf(before, await slotOf(seed, prefix, id)) as number) as string[];
        if (ids.length < 12) ids.push(id);
      }
      const ports = before.map((m) => m.port);
      const sessionIds = Array.from({ length: 9 }, (_, w) =>
        (byMaster.get(ports[w % 3] as number) as string[]).slice(
          Math.floor(w / 3) * 4,
          Math.floor(w / 3) * 4 + 4,
        ),
      );
      const load = new WriteLoad({ stores: [store], sessionIds, idPrefix: 'cf' });
      cleanups.push(() => load.stop());
      const shardOf = new Map<string, number>();
      for (const [port, ids] of byMaster) for (const id of ids) shardOf.set(id, port);
      // The victim: the first master; the two others and their writers must carry on.
      const victim = ports[0] as number;
      const victimSlots = before.find((m) => m.port === victim)?.slots ?? [];
      const onVictim = load.sessions.filter((s) => shardOf.get(s.id) === victim).map((s) => s.id);
      const elsewhere = load.sessions.filter((s) => shardOf.get(s.id) !== victim).map((s) => s.id);
      expect(onVictim.length).toBe(12);
      expect(elsewhere.length).toBe(24);

      await load.start();
      // Replication is asynchronous: what the replica has not received when its master dies is lost. The
      // sessions were just created; wait (a health check) until the victim's replica has them, so that a
      // session missing after the failover is a bug, while later writes may be lost and are measured.
      const created = (await replicationOffsets(victim)).master;
      await waitUntil('the creations on the victim replica', 10_000, async () => {
        return (await replicationOffsets(victim)).replica >= created;
      });
      await load.waitFor('writes before the kill', 10_000, () => load.successTimes.length >= 300);
      const atKill = await replicationOffsets(victim);
      const killedAt = load.now();
      await cluster.node(victim).kill('SIGKILL');

      // Promotion: another, healthy master owns the victim's first slot (polled, as a health check).
      const firstSlot = victimSlots[0]?.[0] as number;
      let newMaster: number | undefined;
      await waitUntil('replica promotion', SHARD_RECOVERY_BOUND_MS, async () => {
        const now = await cluster.masters();
        const owner = now.find((m) => m.port === ownerOf(now, firstSlot));
        newMaster = owner !== undefined && !owner.failed && owner.port !== victim ? owner.port : undefined;
        return newMaster !== undefined;
      });
      const promotedAt = load.now();
      const victimSet = new Set(onVictim);
      await load.waitFor('writes on the killed shard after promotion', SHARD_RECOVERY_BOUND_MS, () =>
        load.successes.some((s) => s.at > killedAt && victimSet.has(s.sessionId)),
      );
      const shardBackAt = Math.min(
        ...load.successes.filter((s) => s.at > killedAt && victimSet.has(s.sessionId)).map((s) => s.at),
      );
      // Let every session on the killed shard write again after recovery.
      await load.waitFor('every session of the killed shard writes again', SHARD_RECOVERY_BOUND_MS, () =>
        onVictim.every((id) => (load.lastSuccessBySession.get(id) ?? -1) > promotedAt),
      );
      const recoveredAt = load.now();
      await sleep(2_000);
      await load.stop();

      const check = await checkLedger(load, store);
      const elsewhereSet = new Set(elsewhere);
      const outage = (at: number) => at >= killedAt && at <= promotedAt;
      const otherShardCalls = load.successes.filter((s) => outage(s.at) && elsewhereSet.has(s.sessionId));
      const otherShardOk = otherShardCalls.length;
      const otherShardFailures = load.failures.filter((f) => outage(f.at) && elsewhereSet.has(f.sessionId));
      const victimFailures = load.failures.filter((f) => f.at >= killedAt && victimSet.has(f.sessionId));
      const figures = {
        fullCoverage,
        victimSessions: onVictim.length,
        otherSessions: elsewhere.length,
        promotionAfterMs: Math.round(promotedAt - killedAt),
        killedShardUnavailableMs: Math.round(shardBackAt - killedAt),
        otherShardSuccessesDuringOutage: otherShardOk,
        otherShardFailuresDuringOutage: otherShardFailures.length,
        otherShardLatencyP99DuringOutageMs: Math.round(
          quantile(
            otherShardCalls.map((c) => c.ms),
            0.99,
          ),
        ),
        otherShardLatencyMaxDuringOutageMs: Math.round(Math.max(0, ...otherShardCalls.map((c) => c.ms))),
        killedShardFailures: victimFailures.length,
        killedShardFailuresCitingRedirection: victimFailures.filter((f) => mentionsRedirection(f.error))
          .length,
        failLatencyMaxMs: Math.round(Math.max(0, ...load.failures.map((f) => f.ms))),
        failLatencyP99Ms: Math.round(
          quantile(
            load.failures.map((f) => f.ms),
            0.99,
          ),
        ),
        acknowledgedIncrements: check.ackedTotal,
        storedIncrements: check.storedTotal,
        lostAcknowledgedIncrements: check.lostIncrements,
        lostAcknowledgedUpdates: check.lostUpdates,
        recoveredAfterMs: Math.round(recoveredAt - killedAt),
        // Bytes of the replication stream the replica had not acknowledged (it acknowledges once a second).
        replicaUnackedBytesAtKill: atKill.master - atKill.replica,
      };
      console.log('[faults] cluster master kill -9:', JSON.stringify(figures));

      expect(load.unexpected.map((u) => `${u.op} ${u.sessionId}: ${describeError(u.error)}`)).toEqual([]);
      expect(load.failures.every((f) => isSessionStoreUnavailableError(f.error))).toBe(true);
      // While the killed shard fails over, ioredis bounces between the replica (MOVED to the dead master)
      // and the dead master until its redirection budget runs out: that surfaces as a typed, bounded
      // SessionStoreUnavailableError of the killed shard. With cluster-require-full-coverage yes every
      // master answers CLUSTERDOWN until the promotion, ioredis retries that on a random node, which
      // answers MOVED, and the same budget can run out for a session of any shard (seen: 2 of 27,634
      // calls on the healthy shards in one run). Outside those cases, or once the shard is back, a
      // redirection error reaching the user is a bug.
      const redirectionAllowed = (f: { sessionId: string; at: number }) =>
        f.at < recoveredAt && (victimSet.has(f.sessionId) || fullCoverage === 'yes');
      expect(
        load.failures
          .filter((f) => mentionsRedirection(f.error))
          .filter((f) => !redirectionAllowed(f))
          .map((f) => describeError(f.error)),
      ).toEqual([]);
      expect(load.failures.filter((f) => f.at >= recoveredAt).map((f) => describeError(f.error))).toEqual([]);
      if (fullCoverage === 'no') {
        // Every session on the other masters kept writing while the killed shard was down.
        for (const id of elsewhere) {
          expect(load.successes.some((s) => outage(s.at) && s.sessionId === id)).toBe(true);
        }
        expect(otherShardFailures.map((f) => `${f.sessionId}: ${describeError(f.error)}`)).toEqual([]);
      }
      // Every session, on every shard, writes again after the recovery.
      for (const s of load.sessions) {
        expect(load.lastSuccessBySession.get(s.id) ?? -1).toBeGreaterThan(recoveredAt);
      }
      // The killed shard failed (it really was down) and came back within the bound.
      expect(victimFailures.length).toBeGreaterThan(0);
      expect(shardBackAt - killedAt).toBeLessThan(SHARD_RECOVERY_BOUND_MS);
      // Acknowledged writes on the shards that stayed up are all there; the killed shard may lose some
      // (asynchronous replication): measured above, not asserted. Nothing is counted twice anywhere.
      const otherLost = check.details.filter((d) => elsewhere.some((id) => d.startsWith(`${id}:`)));
      expect(otherLost).toEqual([]);
      expect(check.missingSessions).toBe(0);
      expect(check.phantomIncrements).toBe(0);
      expect(check.phantomSeqs).toBe(0);
    },
  );

  it('reshards slots under load: counters stay exact and no redirection error reaches the user', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: NODE_TIMEOUT_MS });
    cleanups.push(() => cluster.stop());
    const prefix = 'cresh:';
    const store = new RedisSessionStore({ cluster: { nodes: cluster.nodes }, keyPrefix: prefix });
    cleanups.push(() => store.close());
    const load = new WriteLoad({ stores: [store], writers: 8, sessionsPerWriter: 8, idPrefix: 'cr' });
    cleanups.push(() => load.stop());

    const before = await cluster.masters();
    const [from, to] = before as [ClusterMaster, ClusterMaster];
    const fromId = String(await redisCommand(from.port, ['CLUSTER', 'MYID']));
    const toId = String(await redisCommand(to.port, ['CLUSTER', 'MYID']));
    // redis-cli moves the source's lowest slots first; take enough of them to move sessions of ours.
    const slots = new Map<string, number>();
    for (const s of load.sessions) slots.set(s.id, await slotOf(from.port, prefix, s.id));
    const firstOfFrom = from.slots[0]?.[0] as number;
    const moveCount = 3_000;
    const moving = load.sessions.filter((s) => {
      const slot = slots.get(s.id) as number;
      return slot >= firstOfFrom && slot < firstOfFrom + moveCount;
    });
    expect(moving.length).toBeGreaterThan(0);

    await load.start();
    await load.waitFor('writes before resharding', 10_000, () => load.successTimes.length >= 300);
    const reshardStart = load.now();
    await runRedisCli(
      [
        '--cluster',
        'reshard',
        `127.0.0.1:${from.port}`,
        '--cluster-from',
        fromId,
        '--cluster-to',
        toId,
        '--cluster-slots',
        String(moveCount),
        '--cluster-yes',
      ],
      90_000,
    );
    const reshardEnd = load.now();
    // A little load on the new layout, then stop and compare.
    const countAtEnd = load.successTimes.length;
    await load.waitFor('writes after resharding', 10_000, () => load.successTimes.length >= countAtEnd + 300);
    await load.stop();

    const after = await cluster.masters();
    const movedSessions = moving.filter((s) => ownerOf(after, slots.get(s.id) as number) === to.port);
    const check = await checkLedger(load, store);
    const duringReshard = load.successes.filter((s) => s.at >= reshardStart && s.at <= reshardEnd);
    const figures = {
      slotsMoved: moveCount,
      sessionsMoved: movedSessions.length,
      reshardMs: Math.round(reshardEnd - reshardStart),
      successesDuringReshard: duringReshard.length,
      successesOnMovedSessionsDuringReshard: duringReshard.filter((s) =>
        moving.some((m) => m.id === s.sessionId),
      ).length,
      failures: load.failures.length,
      acknowledgedIncrements: check.ackedTotal,
      storedIncrements: check.storedTotal,
      unknownOutcomeIncrements: check.unknownTotal,
    };
    console.log('[faults] cluster reshard:', JSON.stringify(figures));

    expect(load.unexpected.map((u) => `${u.op} ${u.sessionId}: ${describeError(u.error)}`)).toEqual([]);
    expect(
      load.failures.filter((f) => mentionsRedirection(f.error)).map((f) => describeError(f.error)),
    ).toEqual([]);
    // The reshard really moved sessions of ours while they were being written.
    expect(movedSessions.length).toBe(moving.length);
    expect(figures.successesOnMovedSessionsDuringReshard).toBeGreaterThan(0);
    // Exact counters: nothing lost, nothing doubled.
    expect(check.details).toEqual([]);
    expect(load.failures.map((f) => describeError(f.error))).toEqual([]);
    expect(check.storedTotal).toBe(check.ackedTotal);
  });
});
