// The store built from a `url` against the same store on a client the user made: one with ioredis
// autopipelining on, and one with ioredis defaults. 64 callers each await their call and start the next
// (a server handling requests), so there are always 64 calls in flight, unlike the waves of bench/redis.ts
// where all 64 start in one tick. Slices of each variant alternate, so a busy machine slows all alike; the
// ratio is per pair of neighbouring slices, its median reported.
import { Redis } from 'ioredis';
import type { SessionInput } from '../src/codec/SessionData.js';
import { startRedisProcess } from '../tests/helpers/redis-standalone.js';
import { sessionIds, sessionInput } from './fixtures.js';
import { callers, formatOps, median, printTable } from './lib.js';
import { loadLibrary } from './library.js';

/** Calls in flight at every moment. */
const IN_FLIGHT = 64;
/** Calls per slice (one slice: one variant, IN_FLIGHT callers until this many calls are done). */
const SLICE_CALLS = 2000;
/** Per operation: warmup, then alternating slices for this long, in milliseconds. */
const WARMUP_MS = 500;
const DURATION_MS = Number(process.env.BENCH_CLIENTS_MS ?? 5000);
const WORKING_SET = 1000;
/** The ratio an autopipelining client must reach against the url store (ops/s theirs / ours). */
const TARGET = 1.0;

type Op = (n: number) => Promise<unknown>;

/** One slice: IN_FLIGHT callers until `calls` calls are done; returns the elapsed milliseconds. */
const slice = (op: Op, calls: number, first: number): Promise<number> =>
  callers(op, { calls, inFlight: IN_FLIGHT, modulo: WORKING_SET, first });

export async function runClientsBench(): Promise<void> {
  const { RedisSessionStore: Store } = await loadLibrary();
  const redis = await startRedisProcess({ args: ['--appendonly', 'no'] });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const ids = sessionIds('c', WORKING_SET);
    const inputs = ids.map((_, n) => sessionInput(n));
    const autopipelined = new Redis(redis.url, { enableAutoPipelining: true });
    closers.push(() => autopipelined.quit());
    // Without re-sends after a reconnect the store needs no operation ids on its writes (docs/redis.md).
    const noResend = new Redis(redis.url, {
      enableAutoPipelining: true,
      autoResendUnfulfilledCommands: false,
    });
    closers.push(() => noResend.quit());
    const plain = new Redis(redis.url);
    closers.push(() => plain.quit());
    const stores = {
      url: new Store({ url: redis.url, keyPrefix: 'cu:' }),
      autopipelining: new Store({ client: autopipelined, keyPrefix: 'ca:' }),
      'autopipelining, autoResendUnfulfilledCommands: false': new Store({
        client: noResend,
        keyPrefix: 'cn:',
      }),
      'ioredis defaults': new Store({ client: plain, keyPrefix: 'cd:' }),
    };
    for (const store of Object.values(stores)) closers.push(() => store.close());
    const names = Object.keys(stores) as (keyof typeof stores)[];
    for (const store of Object.values(stores)) {
      for (let n = 0; n < WORKING_SET; n++) await store.set(ids[n] as string, inputs[n] as SessionInput);
    }

    const operations: [string, (store: (typeof stores)['url']) => Op][] = [
      ['set', (s) => (n) => s.set(ids[n] as string, inputs[n] as SessionInput)],
      ['get (touch: true)', (s) => (n) => s.get(ids[n] as string, { touch: true })],
      ['get (touch: false)', (s) => (n) => s.get(ids[n] as string, { touch: false })],
    ];
    console.log(
      `\n== The store on your own ioredis client: ${IN_FLIGHT} calls always in flight, slices of ${SLICE_CALLS} calls alternating ==`,
    );
    const rows: string[][] = [];
    for (const [label, make] of operations) {
      const ops = names.map((name) => make(stores[name]));
      const warmEnd = performance.now() + WARMUP_MS;
      while (performance.now() < warmEnd) for (const op of ops) await slice(op, SLICE_CALLS / 4, 0);
      const times = names.map(() => [] as number[]);
      const ratios = names.map(() => [] as number[]);
      const end = performance.now() + DURATION_MS;
      for (let round = 0; performance.now() < end; round++) {
        // Alternate the order, so neither variant always runs right after the other.
        const order = round % 2 === 0 ? names.map((_, i) => i) : names.map((_, i) => names.length - 1 - i);
        const taken: number[] = [];
        for (const i of order) taken[i] = await slice(ops[i] as Op, SLICE_CALLS, round * 7);
        names.forEach((_, i) => {
          times[i]?.push(taken[i] as number);
          ratios[i]?.push((taken[0] as number) / (taken[i] as number));
        });
      }
      names.forEach((name, i) => {
        const opsPerSec = (SLICE_CALLS / median(times[i] as number[])) * 1000;
        const ratio = median(ratios[i] as number[]);
        const isTarget = name === 'autopipelining';
        rows.push([
          `${label}, ${name === 'url' ? 'store from a url' : `your client (${name})`}`,
          formatOps(opsPerSec),
          i === 0 ? '1 (baseline)' : `${ratio.toFixed(2)}×`,
          isTarget ? `≥ ${TARGET.toFixed(1)}×` : '',
          isTarget ? (ratio >= TARGET ? 'met' : 'MISSED') : '',
        ]);
      });
    }
    printTable(
      'Throughput against the store from a url (median of neighbouring-slice ratios)',
      ['operation, store', 'ops/s (median slice)', 'ratio', 'target', 'verdict'],
      rows,
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await redis.stop();
  }
}
