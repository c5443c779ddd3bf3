// What the `durability` option costs: the store with `durability: { replicas: 1 }` against the same store
// without it, on a master with one replica (both local redis-server processes this benchmark starts).
// Callers each await their call and start the next, so there are always N calls in flight; slices of the
// two stores alternate, and the ratio of neighbouring slices is reported (its median). Also how many
// durable writes shared each WAIT (group commit, src/redis/durability.ts).
import { HOST, waitUntil } from '../tests/helpers/redis-process.js';
import { parseInfo, redisCommand, replicasCaughtUp } from '../tests/helpers/redis-resp.js';
import { startRedisProcess } from '../tests/helpers/redis-standalone.js';
import { sessionIds, sessionInput } from './fixtures.js';
import { callers, formatOps, median, printTable } from './lib.js';
import { loadLibrary } from './library.js';

const IN_FLIGHT = [1, 16, 64] as const;
/** Calls per slice, per number in flight (one at a time is slower: fewer calls keep slices short). */
const SLICE_CALLS = { 1: 200, 16: 1000, 64: 2000 } as const;
const DURATION_MS = Number(process.env.BENCH_DURABILITY_MS ?? 3000);
const WORKING_SET = 1000;

type Op = (n: number) => Promise<unknown>;

/** One slice: `inFlight` callers until `calls` calls are done; returns the elapsed milliseconds. */
const slice = (op: Op, calls: number, inFlight: number): Promise<number> =>
  callers(op, { calls, inFlight, modulo: WORKING_SET });

/** Calls of WAIT the master has run since its statistics were last reset. */
async function waitCalls(port: number): Promise<number> {
  const stat = parseInfo(await redisCommand(port, ['INFO', 'commandstats'])).get('cmdstat_wait') ?? '';
  return Number(/calls=(\d+)/.exec(stat)?.[1] ?? 0);
}

export async function runDurabilityBench(): Promise<void> {
  const { RedisSessionStore: Store } = await loadLibrary();
  const master = await startRedisProcess({ args: ['--appendonly', 'no'] });
  const closers: (() => Promise<unknown>)[] = [() => master.stop()];
  try {
    const replica = await startRedisProcess({
      args: ['--appendonly', 'no', '--replicaof', HOST, `${master.port}`],
    });
    closers.unshift(() => replica.stop());
    await waitUntil('replica in sync', 20_000, async () => {
      const info = parseInfo(await redisCommand(replica.port, ['INFO', 'replication']));
      return info.get('master_link_status') === 'up' && (await replicasCaughtUp(master.port, 1));
    });
    const plain = new Store({ url: master.url, keyPrefix: 'du:' });
    const durable = new Store({ url: master.url, keyPrefix: 'du:', durability: { replicas: 1 } });
    closers.unshift(
      () => plain.close(),
      () => durable.close(),
    );
    const ids = sessionIds('d', WORKING_SET);
    const inputs = ids.map((_, n) => sessionInput(n));
    for (let n = 0; n < WORKING_SET; n++)
      await plain.set(ids[n] as string, inputs[n] as (typeof inputs)[number]);
    const ops: [string, (store: typeof plain) => Op][] = [
      ['set', (store) => (n) => store.set(ids[n] as string, inputs[n] as (typeof inputs)[number])],
      ['incrementCounter', (store) => (n) => store.incrementCounter(ids[n] as string, 'messageCount')],
    ];
    console.log(
      `\n== Durable writes: redis-server master on ${HOST}:${master.port}, one replica on ${replica.port}; ` +
        `${DURATION_MS} ms of alternating slices per row ==`,
    );
    const rows: string[][] = [];
    for (const [name, make] of ops) {
      for (const inFlight of IN_FLIGHT) {
        const calls = SLICE_CALLS[inFlight];
        const [withOption, without] = [make(durable), make(plain)];
        await slice(withOption, calls, inFlight);
        await slice(without, calls, inFlight);
        const durableMs: number[] = [];
        const plainMs: number[] = [];
        let durableCalls = 0;
        await redisCommand(master.port, ['CONFIG', 'RESETSTAT']);
        const started = performance.now();
        for (let i = 0; performance.now() - started < DURATION_MS; i++) {
          // The one going first swaps every pair of slices.
          const order = i % 2 === 0 ? [true, false] : [false, true];
          for (const isDurable of order) {
            const ms = await slice(isDurable ? withOption : without, calls, inFlight);
            if (isDurable) {
              durableMs.push(ms);
              durableCalls += calls;
            } else plainMs.push(ms);
          }
        }
        const waits = await waitCalls(master.port);
        const ratios = durableMs.map((ms, i) => (plainMs[i] ?? Number.NaN) / ms);
        rows.push([
          `${name}, ${inFlight} in flight`,
          formatOps((calls / median(durableMs)) * 1000),
          formatOps((calls / median(plainMs)) * 1000),
          `${median(ratios).toFixed(2)}×`,
          (durableCalls / Math.max(1, waits)).toFixed(1),
        ]);
      }
    }
    printTable(
      'durability { replicas: 1 } against no option, same master (medians of alternating slices)',
      ['operation', 'durable ops/s', 'plain ops/s', 'durable / plain', 'durable writes per WAIT'],
      rows,
    );
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
