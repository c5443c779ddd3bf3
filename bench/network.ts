// The network mode: `npm run bench -- network` (delay per direction: `--delay-ms=2`, or BENCH_DELAY_MS;
// default 1 ms; calls per contender: BENCH_NET_CALLS, default 600).
//
// Loopback answers in tens of microseconds, which hides what users pay on a real network: round trips.
// Here every client reaches redis-server through a delaying TCP proxy (bench/proxy.ts) that holds each
// chunk for a fixed delay each way, and each call is timed on its own (one at a time, each awaited):
// ours against connect-redis get + touch and set, @keyv/redis get, and a read-modify-write done by hand.
// All contenders run in one process, through the same proxy, in short slices that take turns in a
// rotating order, so whatever else the machine does hits every contender alike.

import { Socket } from 'node:net';
import { createKeyv } from '@keyv/redis';
import { RedisStore } from 'connect-redis';
import type { SessionData as ExpressSessionData } from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { SessionData, SessionInput } from '../src/codec/SessionData.js';
import { startRedisProcess } from '../tests/helpers/redis-servers.js';
import { sessionIds, sessionInput } from './fixtures.js';
import { formatUs, printTable, serverCpuSeconds } from './lib.js';
import { loadLibrary } from './library.js';
import { type ProxyStats, startDelayProxy } from './proxy.js';

export interface NetworkBenchSettings {
  /** Delay the proxy adds in each direction, in milliseconds. */
  delayMs: number;
  /** Timed calls per contender. */
  calls: number;
}

/** Sessions in our store (filled directly, not through the proxy), as in the loopback benchmark. */
const TOTAL_SESSIONS = Number(process.env.BENCH_TOTAL ?? 100_000);
/** Sessions the timed calls cycle through. */
const WORKING_SET = 1000;
/** Calls of one contender in a row before the next contender's turn. */
const SLICE = 10;
/** Untimed rounds first: connections, scripts loaded, JIT. */
const WARMUP_ROUNDS = 3;
/** Sequential calls per contender for the bytes-and-CPU table. */
const PROBE_CALLS = 300;
const TTL_SECONDS = 1800;
const FILL_CONCURRENCY = 512;

/** The compared pairs: label, ours, baseline, the target (baseline latency / ours, at the median). */
const PAIRS: [string, string, string, number?][] = [
  [
    'get (touch: true) / connect-redis get + touch',
    'ours get (touch: true)',
    'connect-redis get + touch',
    1.9,
  ],
  ['set / connect-redis set', 'ours set', 'connect-redis set', 1.0],
  ['get (touch: false) / @keyv/redis get', 'ours get (touch: false)', '@keyv/redis get', 1.0],
  ['update / hand-written GET, SET', 'ours update (1 metadata key)', 'hand-written update: GET, SET EX', 1.9],
  [
    'update / hand-written WATCH, GET, MULTI',
    'ours update (1 metadata key)',
    'hand-written safe update: WATCH, GET, MULTI/SET/EXEC',
  ],
];

type Op = (n: number) => Promise<unknown>;

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
}

function formatMs(ms: number): string {
  return formatUs(ms * 1000);
}

/**
 * Microseconds redis-server spent executing commands since the last CONFIG RESETSTAT (INFO commandstats),
 * leaving out this benchmark's own INFO and CONFIG. A script's inner commands are listed too but already
 * counted in its EVALSHA, so when scripts ran only EVALSHA and EVAL count.
 */
async function commandMicros(client: Redis): Promise<number> {
  const text = await client.info('commandstats');
  const usec = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) {
    usec.set(match[1] as string, Number(match[2]));
  }
  usec.delete('info');
  usec.delete('config');
  const scripts = ['evalsha', 'eval'].filter((name) => usec.has(name));
  const counted = scripts.length > 0 ? scripts : [...usec.keys()];
  return counted.reduce((sum, name) => sum + (usec.get(name) ?? 0), 0);
}

/**
 * Times, for the probe only, every socket write and every chunk of data read in this process (the latest
 * call's first write and last read), by wrapping net.Socket's write and emit until restore(). Calls run
 * one at a time, so these are the current call's.
 */
function watchSockets() {
  const proto = Socket.prototype as unknown as Record<'write' | 'emit', (...args: unknown[]) => unknown>;
  const write = proto.write;
  const emit = proto.emit;
  const watch = {
    firstWrite: Number.NaN,
    lastData: Number.NaN,
    reset() {
      watch.firstWrite = Number.NaN;
      watch.lastData = Number.NaN;
    },
    restore() {
      proto.write = write;
      proto.emit = emit;
    },
  };
  proto.write = function (this: Socket, ...args: unknown[]) {
    if (Number.isNaN(watch.firstWrite)) watch.firstWrite = performance.now();
    return write.apply(this, args);
  };
  proto.emit = function (this: Socket, ...args: unknown[]) {
    if (args[0] === 'data') watch.lastData = performance.now();
    return emit.apply(this, args);
  };
  return watch;
}

export async function runNetworkBench(settings: NetworkBenchSettings): Promise<void> {
  const { RedisSessionStore: Store, InMemorySessionStore, SessionCodec } = await loadLibrary();
  const redis = await startRedisProcess({ args: ['--appendonly', 'no'] });
  const proxy = await startDelayProxy(redis.port, settings.delayMs);
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const viaProxy = `redis://127.0.0.1:${proxy.port}`;
    console.log(
      `\n== Network: redis-server on 127.0.0.1:${redis.port}, every client through a proxy on port ` +
        `${proxy.port} adding ${settings.delayMs} ms each way; ${settings.calls} timed calls per contender, ` +
        `one at a time, in slices of ${SLICE} taking turns ==`,
    );
    const ids = sessionIds('n', TOTAL_SESSIONS);
    const id = (n: number) => ids[n] as string;
    const model = new InMemorySessionStore({ maxSessions: WORKING_SET });
    const records: SessionData[] = [];
    for (let n = 0; n < WORKING_SET; n++) records.push(await model.set(id(n), sessionInput(n)));
    await model.close();
    const plain = records.map((r) => SessionCodec.toPlain(r));
    const inputs = Array.from({ length: WORKING_SET }, (_, n) => sessionInput(n));
    const expressSession = plain.map(
      (p) =>
        ({
          ...p,
          cookie: { originalMaxAge: null, path: '/', httpOnly: true },
        }) as unknown as ExpressSessionData,
    );

    // Set-up and measurement of the server go straight to Redis; only the contenders use the proxy.
    const direct = new Redis(redis.url);
    closers.push(() => direct.quit());
    const filler = new Store({ url: redis.url, keyPrefix: 'bench:' });
    let next = 0;
    await Promise.all(
      Array.from({ length: FILL_CONCURRENCY }, async () => {
        while (next < TOTAL_SESSIONS) {
          const n = next++;
          await filler.set(id(n), sessionInput(n));
        }
      }),
    );
    await filler.close();
    const seed = direct.pipeline();
    for (let n = 0; n < WORKING_SET; n++) {
      seed.set(`raw:${id(n)}`, JSON.stringify(plain[n]), 'EX', TTL_SECONDS);
      seed.set(`cr:${id(n)}`, JSON.stringify(expressSession[n]), 'EX', TTL_SECONDS);
    }
    await seed.exec();

    const store = new Store({ url: viaProxy, keyPrefix: 'bench:' });
    closers.push(() => store.close());
    const nodeRedis = createClient({ url: viaProxy });
    nodeRedis.on('error', (error: unknown) => console.error('node-redis client error', error));
    await nodeRedis.connect();
    closers.push(() => nodeRedis.close());
    const connectStore = new RedisStore({ client: nodeRedis, prefix: 'cr:', ttl: TTL_SECONDS });
    const keyv = createKeyv(viaProxy, { namespace: 'kv' });
    closers.push(() => keyv.disconnect());
    for (let n = 0; n < WORKING_SET; n++) await keyv.set(id(n), plain[n], TTL_SECONDS * 1000);
    // The hand-written updates use ioredis, the client our store is built on. The WATCH variant needs a
    // connection of its own: WATCH belongs to the connection, not to the call.
    const raw = new Redis(viaProxy);
    closers.push(() => raw.quit());
    const watching = new Redis(viaProxy);
    closers.push(() => watching.quit());

    const patch = { metadata: { lastIntent: 'order_status' } };
    // What a user writes for update by hand: read the JSON, change it, write it back with its expiry.
    const modified = (text: string | null) => {
      const session = JSON.parse(text as string) as { metadata: Record<string, unknown>; updatedAt: string };
      session.metadata = { ...session.metadata, ...patch.metadata };
      session.updatedAt = new Date().toISOString();
      return JSON.stringify(session);
    };
    const contenders: [string, Op][] = [
      ['ours get (touch: true)', (n) => store.get(id(n), { touch: true })],
      [
        'connect-redis get + touch',
        async (n) => {
          const session = await connectStore.get(id(n));
          await connectStore.touch(id(n), session as ExpressSessionData);
          return session;
        },
      ],
      ['ours set', (n) => store.set(id(n), inputs[n] as SessionInput)],
      ['connect-redis set', (n) => connectStore.set(id(n), expressSession[n] as ExpressSessionData)],
      ['ours get (touch: false)', (n) => store.get(id(n), { touch: false })],
      ['@keyv/redis get', (n) => keyv.get(id(n))],
      ['ours update (1 metadata key)', (n) => store.update(id(n), patch)],
      [
        'hand-written update: GET, SET EX',
        async (n) => raw.set(`raw:${id(n)}`, modified(await raw.get(`raw:${id(n)}`)), 'EX', TTL_SECONDS),
      ],
      [
        // Safe against a concurrent writer: EXEC fails (null) if the key changed after WATCH; a real
        // caller would retry, which a sequential benchmark never needs.
        'hand-written safe update: WATCH, GET, MULTI/SET/EXEC',
        async (n) => {
          const key = `raw:${id(n)}`;
          await watching.watch(key);
          const text = await watching.get(key);
          const result = await watching.multi().set(key, modified(text), 'EX', TTL_SECONDS).exec();
          if (result === null) throw new Error(`${key} changed during the benchmark's update`);
          return result;
        },
      ],
      // One bare round trip through the proxy: what a call costs before any work.
      ['raw ioredis PING (one round trip)', () => raw.ping()],
    ];
    // Every operation must work before it is timed: a failing call would otherwise be timed as fast.
    for (const [name, op] of contenders) {
      const result = await op(0);
      if (/get/i.test(name) && (result === null || result === undefined)) {
        throw new Error(`${name} found nothing: the benchmark data is missing`);
      }
    }

    let cursor = 0;
    const nextId = () => {
      cursor = cursor + 1 === WORKING_SET ? 0 : cursor + 1;
      return cursor;
    };
    const latencies = contenders.map(() => [] as number[]);
    /** Per round, each contender's mean latency in its slice. */
    const sliceMeans = contenders.map(() => [] as number[]);
    const rounds = Math.ceil(settings.calls / SLICE);
    for (let round = -WARMUP_ROUNDS; round < rounds; round++) {
      if (round === 0) proxy.resetLateness();
      // A rotating order: each contender follows each other one in turn over the rounds.
      for (let k = 0; k < contenders.length; k++) {
        const index = (((round + k) % contenders.length) + contenders.length) % contenders.length;
        const op = (contenders[index] as [string, Op])[1];
        let sum = 0;
        for (let i = 0; i < SLICE; i++) {
          const n = nextId();
          const started = performance.now();
          await op(n);
          const elapsed = performance.now() - started;
          if (round >= 0) (latencies[index] as number[]).push(elapsed);
          sum += elapsed;
        }
        if (round >= 0) (sliceMeans[index] as number[]).push(sum / SLICE);
      }
    }
    const lateness = await proxy.stats();
    const byName = new Map(
      contenders.map(([name], i) => {
        const sorted = (latencies[i] as number[]).slice().sort((a, b) => a - b);
        return [
          name,
          {
            median: quantile(sorted, 0.5),
            p99: quantile(sorted, 0.99),
            mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
            calls: sorted.length,
            slices: sliceMeans[i] as number[],
          },
        ] as const;
      }),
    );
    printTable(
      `Per-call latency through the proxy (${settings.delayMs} ms each way), one call at a time`,
      ['operation', 'median', 'p99', 'mean', 'calls'],
      contenders.map(([name]) => {
        const f = byName.get(name);
        return f === undefined
          ? [name, '', '', '', '']
          : [name, formatMs(f.median), formatMs(f.p99), formatMs(f.mean), String(f.calls)];
      }),
    );
    printTable(
      'Ratios: baseline latency / ours (above 1: ours is faster)',
      ['ratio', 'median', 'p99', 'side by side: median of slices (middle half)', 'target', 'verdict'],
      PAIRS.map(([label, oursName, baseName, target]) => {
        const ours = byName.get(oursName);
        const base = byName.get(baseName);
        if (ours === undefined || base === undefined) throw new Error(`no contender for ${label}`);
        const perSlice = ours.slices.map((o, i) => (base.slices[i] ?? Number.NaN) / o).sort((a, b) => a - b);
        const median = base.median / ours.median;
        return [
          label,
          `${median.toFixed(2)}×`,
          `${(base.p99 / ours.p99).toFixed(2)}×`,
          `${quantile(perSlice, 0.5).toFixed(2)}× (${quantile(perSlice, 0.25).toFixed(2)}× – ${quantile(perSlice, 0.75).toFixed(2)}×)`,
          target === undefined ? '' : `≥ ${target}×`,
          target === undefined ? '' : median >= target ? 'met' : 'MISSED',
        ];
      }),
    );
    console.log(
      `\nProxy accuracy during the timed calls: ${lateness.writes.toLocaleString('en')} chunks written ` +
        `${formatMs(lateness.lateMedianMs)} after their due time at the median, ${formatMs(lateness.lateP99Ms)} ` +
        `at p99, ${formatMs(lateness.lateMaxMs)} at most (never early).`,
    );

    // What each call puts on the wire and costs in CPU, each contender alone for PROBE_CALLS calls, and
    // where its time goes on the client: before its first socket write, from there to its last reply's
    // arrival (the round trips, Redis, and any client work between round trips), and after that reply.
    const rows: string[][] = [];
    const split = watchSockets();
    try {
      for (const [name, op] of contenders) {
        const before: ProxyStats = await proxy.stats();
        await direct.config('RESETSTAT');
        const serverBefore = await serverCpuSeconds(direct);
        const parts = { before: [] as number[], between: [] as number[], after: [] as number[] };
        const cpuBefore = process.cpuUsage();
        for (let i = 0; i < PROBE_CALLS; i++) {
          split.reset();
          const started = performance.now();
          await op(nextId());
          const ended = performance.now();
          parts.before.push(split.firstWrite - started);
          parts.between.push(split.lastData - split.firstWrite);
          parts.after.push(ended - split.lastData);
        }
        const cpu = process.cpuUsage(cpuBefore);
        const serverUs = (((await serverCpuSeconds(direct)) - serverBefore) * 1e6) / PROBE_CALLS;
        const commandUs = (await commandMicros(direct)) / PROBE_CALLS;
        const after = await proxy.stats();
        const per = (a: number, b: number) => ((a - b) / PROBE_CALLS).toFixed(1);
        const median = (values: number[]) =>
          formatMs(
            quantile(
              values.sort((a, b) => a - b),
              0.5,
            ),
          );
        rows.push([
          name,
          per(after.up.bytes, before.up.bytes),
          per(after.up.chunks, before.up.chunks),
          per(after.down.bytes, before.down.bytes),
          per(after.down.chunks, before.down.chunks),
          median(parts.before),
          median(parts.between),
          median(parts.after),
          formatUs((cpu.user + cpu.system) / PROBE_CALLS),
          formatUs(serverUs),
          formatUs(commandUs),
        ]);
      }
    } finally {
      split.restore();
    }
    printTable(
      `Per call, each contender alone (${PROBE_CALLS} sequential calls): bytes and socket reads through the ` +
        'proxy, client time (medians) before the first write, from it to the last reply, after that reply, CPU ' +
        '(server: redis-server in all, socket work included; in commands: INFO commandstats)',
      [
        'operation',
        'bytes up',
        'reads up',
        'bytes down',
        'reads down',
        'before write',
        'write→reply',
        'after reply',
        'client CPU',
        'server CPU',
        'in commands',
      ],
      rows,
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await proxy.close();
    await redis.stop();
  }
}
