// RedisSessionStore against the nearest raw ioredis commands, connect-redis 9 and @keyv/redis 5, all in one
// process run against one redis-server this benchmark starts, sequentially (latency-bound, each operation
// awaited) and with many operations in flight (where client pipelining shows).
import { createKeyv } from '@keyv/redis';
import { RedisStore } from 'connect-redis';
import type { SessionData as ExpressSessionData } from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { SessionData, SessionInput } from '../src/codec/SessionData.js';
import { sessionKey } from '../src/redis/keys.js';
import { startRedisProcess } from '../tests/helpers/redis-standalone.js';
import { sessionIds, sessionInput } from './fixtures.js';
import {
  type BenchCase,
  type BenchFigure,
  CONCURRENCY,
  figure,
  formatRatio,
  formatUs,
  type GroupSettings,
  median,
  type Op,
  type PairedCase,
  printFigures,
  printPaired,
  printRatios,
  printTable,
  type Ratio,
  ratio,
  runGroup,
  runPaired,
  SEQUENTIAL_BATCH,
  serverCpuSeconds,
  variants,
} from './lib.js';
import { loadLibrary } from './library.js';

/**
 * The targets: label, our operation, the baseline, and the ratio ours must reach (ops/s ours / baseline)
 * one call at a time and with CONCURRENCY calls in flight (undefined: reported without a target).
 */
const TARGETS: [string, string, string, number, number | undefined][] = [
  ['get (touch: false) / @keyv/redis get', 'ours get (touch: false)', '@keyv/redis get', 0.6, undefined],
  [
    'get (touch: true) / connect-redis get+touch',
    'ours get (touch: true)',
    'connect-redis get + touch',
    1.2,
    1.0,
  ],
  ['set / connect-redis set', 'ours set', 'connect-redis set', 0.7, 0.8],
];
/** Per target pair: warmup, then alternating slices for this long, in milliseconds. */
const PAIRED_SETTINGS = { warmupMs: 300, durationMs: 4000 };

/** Sessions in our store while every figure is taken, so the live-session index has realistic size. */
const TOTAL_SESSIONS = Number(process.env.BENCH_TOTAL ?? 100_000);
/** Sessions the per-operation benchmarks cycle through (the first of the TOTAL_SESSIONS). */
const WORKING_SET = 1000;
/** Calls in flight while filling the store. */
const FILL_CONCURRENCY = 512;
const TTL_SECONDS = 1800;

/** Runs `task(i)` for i in [0, count) with at most `limit` calls in flight. */
async function forEachConcurrently(
  count: number,
  limit: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < count) await task(nextIndex++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

export async function runRedisBench(settings: GroupSettings): Promise<void> {
  const { RedisSessionStore: Store, InMemorySessionStore, SessionCodec } = await loadLibrary();
  // The tests' own server starter: loopback only, no persistence, ready on PING, always stopped.
  const redis = await startRedisProcess({ args: ['--appendonly', 'no'] });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const ids = sessionIds('s', TOTAL_SESSIONS);
    const id = (n: number) => ids[n] as string;
    // The records every client stores: what our store would hold for the same input.
    const model = new InMemorySessionStore({ maxSessions: WORKING_SET });
    const records: SessionData[] = [];
    for (let n = 0; n < WORKING_SET; n++) records.push(await model.set(id(n), sessionInput(n)));
    await model.close();
    const plain = records.map((r) => SessionCodec.toPlain(r));
    // What our set is given, built once like the baselines' values (the store copies its input).
    const inputs = Array.from({ length: WORKING_SET }, (_, n) => sessionInput(n));

    const raw = new Redis(redis.url);
    const info = await raw.info();
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
    console.log(
      `\n== Redis: ${field('redis_version')} (${field('mem_allocator')}), one server on 127.0.0.1:${redis.port} ==`,
    );
    closers.push(() => raw.quit());
    const nodeRedis = createClient({ url: redis.url });
    nodeRedis.on('error', (error: unknown) => console.error('node-redis client error', error));
    await nodeRedis.connect();
    closers.push(() => nodeRedis.close());
    const connectStore = new RedisStore({ client: nodeRedis, prefix: 'cr:', ttl: TTL_SECONDS });
    const keyv = createKeyv(redis.url, { namespace: 'kv' });
    closers.push(() => keyv.disconnect());
    const store = new Store({ url: redis.url, keyPrefix: 'bench:' });
    closers.push(() => store.close());
    // For the concurrent variant only: what ioredis autopipelining (off by default) changes, on the same
    // data. Our store gets it through `redisOptions`; the raw client gets its own connection.
    const pipelinedStore = new Store({
      url: redis.url,
      keyPrefix: 'bench:',
      redisOptions: { enableAutoPipelining: true },
    });
    closers.push(() => pipelinedStore.close());
    const pipelinedRaw = new Redis(redis.url, { enableAutoPipelining: true });
    closers.push(() => pipelinedRaw.quit());

    // Fill: our store holds TOTAL_SESSIONS; the baselines hold the working set (their cost per operation
    // does not depend on how many keys exist), and connect-redis gets TOTAL_SESSIONS for its SCAN count.
    const fillStarted = performance.now();
    await forEachConcurrently(TOTAL_SESSIONS, FILL_CONCURRENCY, (n) => store.set(id(n), sessionInput(n)));
    const fillMs = performance.now() - fillStarted;
    const expressSession = plain.map(
      (p) =>
        ({
          ...p,
          cookie: { originalMaxAge: null, path: '/', httpOnly: true },
        }) as unknown as ExpressSessionData,
    );
    const json = plain.map((p) => JSON.stringify(p));
    const seed = raw.pipeline();
    for (let n = 0; n < WORKING_SET; n++) {
      seed.set(`raw:${id(n)}`, json[n] as string, 'EX', TTL_SECONDS);
      seed.hset(`rawh:${id(n)}`, 'messageCount', 7);
    }
    await seed.exec();
    // In pipelines of 1000: one pipeline of all TOTAL_SESSIONS would hold ~70 MB of commands at once.
    for (let from = 0; from < TOTAL_SESSIONS; from += 1000) {
      const pipeline = raw.pipeline();
      for (let n = from; n < Math.min(from + 1000, TOTAL_SESSIONS); n++) {
        pipeline.set(`cr:${id(n)}`, JSON.stringify(expressSession[n % WORKING_SET]), 'EX', TTL_SECONDS);
      }
      await pipeline.exec();
    }
    for (let n = 0; n < WORKING_SET; n++) await keyv.set(id(n), plain[n], TTL_SECONDS * 1000);

    let cursor = 0;
    const next = () => {
      cursor = cursor + 1 === WORKING_SET ? 0 : cursor + 1;
      return cursor;
    };
    const ops: [string, Op][] = [];
    const patch = { metadata: { lastIntent: 'order_status' } };
    ops.push(
      ['ours get (touch: false)', (n) => store.get(id(n), { touch: false })],
      ['ours get (touch: true)', (n) => store.get(id(n), { touch: true })],
      ['ours set', (n) => store.set(id(n), inputs[n] as SessionInput)],
      ['ours update (1 metadata key)', (n) => store.update(id(n), patch)],
      ['ours incrementCounter', (n) => store.incrementCounter(id(n), 'messageCount')],
      // Our stored record read by a plain GET without decoding: what our get (touch: false) adds to it
      // is the decoding into a SessionData.
      ['raw ioredis GET of our session record', (n) => raw.get(sessionKey('bench:', id(n)))],
    );
    ops.push(
      ['raw ioredis GET + JSON.parse', async (n) => JSON.parse((await raw.get(`raw:${id(n)}`)) as string)],
      [
        'raw ioredis GETEX EX + JSON.parse',
        async (n) => JSON.parse((await raw.getex(`raw:${id(n)}`, 'EX', TTL_SECONDS)) as string),
      ],
      [
        'raw ioredis JSON.stringify + SET EX',
        (n) => raw.set(`raw:${id(n)}`, JSON.stringify(plain[n]), 'EX', TTL_SECONDS),
      ],
      ['raw ioredis HINCRBY', (n) => raw.hincrby(`rawh:${id(n)}`, 'messageCount', 1)],
      ['connect-redis get', (n) => connectStore.get(id(n))],
      [
        'connect-redis get + touch',
        async (n) => {
          const session = await connectStore.get(id(n));
          await connectStore.touch(id(n), session);
          return session;
        },
      ],
      ['connect-redis set', (n) => connectStore.set(id(n), expressSession[n] as ExpressSessionData)],
      ['@keyv/redis get', (n) => keyv.get(id(n))],
      ['@keyv/redis set', (n) => keyv.set(id(n), plain[n], TTL_SECONDS * 1000)],
    );
    // Every operation must work before it is timed: a failing call would otherwise be timed as fast.
    for (const [name, op] of ops) {
      const result = await op(0);
      const empty =
        result === null ||
        result === undefined ||
        (typeof result === 'object' && Object.keys(result as object).length === 0);
      if (/get/i.test(name) && empty) throw new Error(`${name} found nothing: the benchmark data is missing`);
    }

    // BENCH_ONLY=<regex>: time only the operations whose names match (the ratios need both sides).
    const only = process.env.BENCH_ONLY;
    if (only !== undefined) {
      const pattern = new RegExp(only);
      for (let i = ops.length - 1; i >= 0; i--)
        if (!pattern.test((ops[i] as [string, Op])[0])) ops.splice(i, 1);
    }
    const serverCost = await serverCostPerOp(raw, ops, next);
    const built = ops.map(([name, op]) => variants(name, op, next));
    const pipelinedOps: [string, Op][] = [
      [
        'raw ioredis GET + JSON.parse, autopipelining',
        async (n) => JSON.parse((await pipelinedRaw.get(`raw:${id(n)}`)) as string),
      ],
    ];
    pipelinedOps.unshift(
      ['ours get (touch: false), autopipelining', (n) => pipelinedStore.get(id(n), { touch: false })],
      ['ours set, autopipelining', (n) => pipelinedStore.set(id(n), inputs[n] as SessionInput)],
    );
    for (const [, op] of pipelinedOps) await op(0);
    const pipelined = pipelinedOps.map(([name, op]) => variants(name, op, next).concurrent);
    const countCase: BenchCase[] =
      store === undefined
        ? []
        : [{ name: `ours countActive (${TOTAL_SESSIONS} sessions)`, fn: () => store.countActive() }];
    console.log(
      `Sequential: ${SEQUENTIAL_BATCH} awaited operations per sample; concurrent: waves of ${CONCURRENCY} in flight`,
    );
    const sequential = await runGroup([...built.map((b) => b.sequential), ...countCase], settings);
    const concurrent = await runGroup([...built.map((b) => b.concurrent), ...pipelined], settings);
    // The target ratios again, ours and the baseline alternating slice by slice (see runPaired).
    const byName = new Map(built.map((b) => [b.sequential.name, b]));
    const pairCases = (variant: 'sequential' | 'concurrent'): PairedCase[] =>
      TARGETS.flatMap(([label, oursName, baseName, sequentialTarget, concurrentTarget]) => {
        const ours = byName.get(oursName)?.[variant].fn;
        const base = byName.get(baseName)?.[variant].fn;
        if (ours === undefined || base === undefined) return [];
        const target = variant === 'sequential' ? sequentialTarget : concurrentTarget;
        return [{ label, ours: async () => ours(), base: async () => base(), target }];
      });
    const paired = await runPaired(pairCases('sequential'), PAIRED_SETTINGS);
    const pairedConcurrent = await runPaired(pairCases('concurrent'), PAIRED_SETTINGS);
    const serverStats = await commandStats(raw, 1000);
    const ceilings = await inFlightCeilings(raw, built, concurrent);

    console.log(
      `\nFill: ${TOTAL_SESSIONS.toLocaleString('en')} sessions through RedisSessionStore.set, ` +
        `${FILL_CONCURRENCY} calls in flight: ${(fillMs / 1000).toFixed(2)} s ` +
        `(${Math.round(TOTAL_SESSIONS / (fillMs / 1000)).toLocaleString('en')} sets/s)`,
    );
    printFigures('Sequential (one operation at a time, each awaited: round-trip latency bound)', sequential);
    printFigures(`Concurrent (${CONCURRENCY} operations in flight)`, concurrent);

    const count = await store.countActive();
    if (count !== TOTAL_SESSIONS)
      throw new Error(`countActive returned ${count}, expected ${TOTAL_SESSIONS}`);
    const countFigure = figure(sequential, `ours countActive (${TOTAL_SESSIONS} sessions)`);
    printRatios('Ratios, sequential', targetRatios(sequential, 'sequential'));
    printRatios(`Ratios, ${CONCURRENCY} in flight`, targetRatios(concurrent, 'concurrent'));
    if (paired.length > 0) {
      printPaired(
        `Targets, measured side by side (slices of ${SEQUENTIAL_BATCH} sequential operations, ours and the baseline alternating)`,
        paired,
      );
      printPaired(
        `Targets with ${CONCURRENCY} in flight, side by side (slices of one wave of ${CONCURRENCY} operations, alternating)`,
        pairedConcurrent,
      );
    }
    printTable(
      `What Redis's own CPU allows with ${CONCURRENCY} in flight: one redis-server thread runs every command, so ours can reach at most 1 s / (its main-thread CPU per call); against the baseline's ops/s (its median round), that is the highest ratio any client could show`,
      [
        'target',
        'ours: Redis main-thread CPU per call',
        'most ops/s that allows',
        'baseline ops/s',
        'highest ratio',
        'target',
      ],
      ceilings.map((c) => [
        c.label,
        formatUs(c.serverUs),
        Math.round(1e6 / c.serverUs).toLocaleString('en'),
        Math.round(c.baseOpsPerSec).toLocaleString('en'),
        formatRatio(1e6 / c.serverUs / c.baseOpsPerSec),
        c.target === undefined ? '' : `≥ ${c.target}×`,
      ]),
    );
    const countUs = countFigure.meanUs;
    printTable(
      'countActive',
      ['measure', 'value', 'target', 'verdict'],
      [
        [
          `ours countActive at ${TOTAL_SESSIONS.toLocaleString('en')} sessions, mean`,
          formatUs(countUs),
          '< 1 ms',
          countUs < 1000 ? 'met' : 'MISSED',
        ],
      ],
    );
    printTable(
      `Cost per operation (client: this process, sequential run; server: ${PROBE_OPS} sequential calls, nothing else running)`,
      ['operation', 'client CPU/op', 'server CPU/op', 'busiest command', 'its µs/call'],
      ops.map(([name]) => {
        const cost = serverCost.get(name);
        return [
          name,
          formatUs(figure(sequential, name).cpuUs),
          formatUs(cost?.cpuUs ?? Number.NaN),
          cost?.command ?? '?',
          (cost?.commandUs ?? Number.NaN).toFixed(2),
        ];
      }),
    );
    printTable(
      'Server side during the timed runs (INFO commandstats; script-internal calls listed too), µs per call',
      ['command', 'calls', 'µs per call'],
      serverStats.map((c) => [c.command, c.calls.toLocaleString('en'), c.usecPerCall.toFixed(2)]),
    );
    // connect-redis has no index: counting is a SCAN over the keyspace. Two calls, for scale.
    const scans: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const length = (await connectStore.length()) as number;
      scans.push(`${formatUs((performance.now() - started) * 1000)} (${length} keys)`);
    }
    console.log(`\nFor scale: connect-redis length() (SCAN) at ${TOTAL_SESSIONS} keys: ${scans.join(', ')}`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await redis.stop();
  }
}

/** Sequential calls per operation when measuring the server's CPU time. */
const PROBE_OPS = 2000;

interface ServerCost {
  /** redis-server CPU time per operation, socket reads and writes included, in microseconds. */
  cpuUs: number;
  /** The command that took the most server time (e.g. evalsha for a script), and its time per call. */
  command: string;
  commandUs: number;
}

/**
 * What each operation costs the server, over PROBE_OPS sequential calls with nothing else running on
 * it. Command statistics are reset before each operation, so the table printed at the end covers only
 * the timed benchmarks after the last probe.
 */
async function serverCostPerOp(
  client: Redis,
  ops: [string, Op][],
  next: () => number,
): Promise<Map<string, ServerCost>> {
  const costs = new Map<string, ServerCost>();
  for (const [name, op] of ops) {
    await client.config('RESETSTAT');
    const before = await serverCpuSeconds(client);
    for (let i = 0; i < PROBE_OPS; i++) await op(next());
    const cpuUs = (((await serverCpuSeconds(client)) - before) * 1e6) / PROBE_OPS;
    const stats = await commandStats(client, PROBE_OPS / 2);
    const top = stats.reduce<CommandStat | undefined>(
      (best, c) => (best === undefined || c.calls * c.usecPerCall > best.calls * best.usecPerCall ? c : best),
      undefined,
    );
    costs.set(name, { cpuUs, command: top?.command ?? '?', commandUs: top?.usecPerCall ?? Number.NaN });
  }
  await client.config('RESETSTAT');
  return costs;
}

interface CommandStat {
  command: string;
  calls: number;
  usecPerCall: number;
}

/** Per-command call counts and server time (commands with at least `minCalls` calls), busiest first. */
async function commandStats(client: Redis, minCalls: number): Promise<CommandStat[]> {
  const text = await client.info('commandstats');
  const stats: CommandStat[] = [];
  for (const line of text.split('\r\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/.exec(line);
    if (match === null) continue;
    stats.push({ command: match[1] as string, calls: Number(match[2]), usecPerCall: Number(match[3]) });
  }
  return stats.filter((c) => c.calls >= minCalls).sort((a, b) => b.calls - a.calls);
}

interface Ceiling {
  label: string;
  /** redis-server main-thread CPU per call of ours (commands, socket reads and writes, event loop). */
  serverUs: number;
  /** The baseline's ops/s in its median round. */
  baseOpsPerSec: number;
  target: number | undefined;
}

/** Waves of CONCURRENCY calls per target when measuring Redis's time per call in flight. */
const CEILING_WAVES = 200;

/**
 * For each target with a concurrent goal: the CPU redis-server's main thread spends per call of ours with
 * CONCURRENCY in flight (the same waves as the timed run), beside the baseline's concurrent ops/s.
 */
async function inFlightCeilings(
  client: Redis,
  built: { sequential: BenchCase; concurrent: BenchCase }[],
  concurrent: BenchFigure[],
): Promise<Ceiling[]> {
  const ceilings: Ceiling[] = [];
  for (const [label, oursName, baseName, , target] of TARGETS) {
    const ours = built.find((b) => b.concurrent.name === oursName)?.concurrent;
    const base = concurrent.find((f) => f.name === baseName);
    if (ours === undefined || base === undefined || target === undefined) continue;
    const before = await serverCpuSeconds(client, 'main');
    for (let i = 0; i < CEILING_WAVES; i++) await ours.fn();
    const serverUs =
      (((await serverCpuSeconds(client, 'main')) - before) * 1e6) / (CEILING_WAVES * CONCURRENCY);
    ceilings.push({ label, serverUs, baseOpsPerSec: median(base.rounds), target });
  }
  return ceilings;
}

/** The ratios with targets, plus ours against the raw command nearest to the same work. */
function targetRatios(figures: BenchFigure[], variant: 'sequential' | 'concurrent'): Ratio[] {
  const pairs: [string, string, string, number?][] = [
    ...TARGETS.map(([label, ours, base, sequential, concurrent]): [string, string, string, number?] => [
      label,
      ours,
      base,
      variant === 'sequential' ? sequential : concurrent,
    ]),
    ['get (touch: false) / raw GET', 'ours get (touch: false)', 'raw ioredis GET + JSON.parse'],
    [
      'get (touch: false) / raw GET, same record',
      'ours get (touch: false)',
      'raw ioredis GET of our session record',
    ],
    ['get (touch: true) / raw GETEX', 'ours get (touch: true)', 'raw ioredis GETEX EX + JSON.parse'],
    ['set / raw SET EX', 'ours set', 'raw ioredis JSON.stringify + SET EX'],
    ['incrementCounter / raw HINCRBY', 'ours incrementCounter', 'raw ioredis HINCRBY'],
    ['update / raw SET EX', 'ours update (1 metadata key)', 'raw ioredis JSON.stringify + SET EX'],
  ];
  const timed = new Set(figures.map((f) => f.name));
  // With BENCH_ONLY some operations are not timed: only the ratios with both sides are printed.
  return pairs
    .filter(([, ours, base]) => timed.has(ours) && timed.has(base))
    .map(([label, ours, base, target]) => ratio(label, figure(figures, ours), figure(figures, base), target));
}
