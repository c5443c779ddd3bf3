// Soak test of RedisSessionStore (`npm run soak`, by hand, not in CI): fixed concurrency, a mix of
// get/getOrCreate/update/incrementCounter/touch over a bounded set of sessions for a bounded time, with
// throughput and p50/p99 per operation every 10 s, and a check that memory stays flat (heap sampled after a
// full GC every second).
//
//   npm run soak                          60 s, 32 workers, 1000 sessions, own redis-server
//   npm run soak -- --seconds 300         or SOAK_SECONDS=300
//   npm run soak -- --concurrency 64      or SOAK_CONCURRENCY=64
//   npm run soak -- --sessions 10000      or SOAK_SESSIONS=10000
//   REDIS_URL=redis://127.0.0.1:6379 npm run soak    use that server instead of starting one
//
// Exit code 1 when a call failed or memory grew; 0 otherwise.
import v8 from 'node:v8';
import vm from 'node:vm';
import { RedisSessionStore } from '../src/index.js';
import type { RedisServerHandle } from '../tests/helpers/redis-process.js';
import { startRedisProcess } from '../tests/helpers/redis-standalone.js';

const REPORT_EVERY_MS = 10_000;
const MEMORY_SAMPLE_MS = 1_000;
/** Memory counts as flat when the last third's median is within this fraction of the first third's… */
const FLAT_RATIO = 0.1;
/** …or within this many bytes (allocator and JIT noise on a small heap). */
const FLAT_BYTES = 2 * 1024 * 1024;

/**
 * A full garbage collection before each memory sample, so that heapUsed is the live (retained) heap rather
 * than wherever the GC sawtooth happened to be. Enabled at run time: `npm run soak` cannot pass --expose-gc.
 */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const OPS = ['get', 'getOrCreate', 'update', 'incrementCounter', 'touch'] as const;
type Op = (typeof OPS)[number];
/** Share of each operation in the mix (sums to 1): reads dominate, as in a chat service. */
const MIX: Record<Op, number> = {
  get: 0.35,
  getOrCreate: 0.15,
  update: 0.2,
  incrementCounter: 0.2,
  touch: 0.1,
};

function intOption(flag: string, env: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  const raw = at >= 0 ? process.argv[at + 1] : process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${flag} / ${env} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Latency histogram with log-spaced buckets (5 % apart, from 1 µs): constant memory whatever the run
 * length, so that the soak's own bookkeeping cannot make memory grow. Quantiles are within 5 %.
 */
class Histogram {
  static readonly #GROWTH = Math.log(1.05);
  readonly #buckets = new Float64Array(600);
  count = 0;

  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const index = Math.min(this.#buckets.length - 1, Math.floor(Math.log(us) / Histogram.#GROWTH));
    this.#buckets[index] = (this.#buckets[index] ?? 0) + 1;
    this.count += 1;
  }

  /** Upper edge of the bucket holding the q-quantile, in milliseconds. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i += 1) {
      seen += this.#buckets[i] ?? 0;
      if (seen >= rank) return Math.exp((i + 1) * Histogram.#GROWTH) / 1000;
    }
    return Number.NaN;
  }

  reset(): void {
    this.#buckets.fill(0);
    this.count = 0;
  }
}

interface OpStats {
  interval: Histogram;
  total: Histogram;
  errors: number;
}

const stats = Object.fromEntries(
  OPS.map((op) => [op, { interval: new Histogram(), total: new Histogram(), errors: 0 }]),
) as Record<Op, OpStats>;
const errorSamples = new Map<string, number>();

function pickOp(): Op {
  let r = Math.random();
  for (const op of OPS) {
    r -= MIX[op];
    if (r < 0) return op;
  }
  return 'get';
}

async function runOp(store: RedisSessionStore, op: Op, id: string): Promise<void> {
  switch (op) {
    case 'get':
      await store.get(id);
      return;
    case 'getOrCreate':
      await store.getOrCreate(id, { userId: `user-${id}`, metadata: { channel: 'soak' } });
      return;
    case 'update':
      await store.update(id, {
        requestId: `r${Math.floor(Math.random() * 1e9)}`,
        metadata: { lastIntent: Math.random() < 0.5 ? 'billing' : 'shipping' },
      });
      return;
    case 'incrementCounter':
      await store.incrementCounter(id, 'messageCount', 1);
      return;
    case 'touch':
      await store.touch(id);
      return;
  }
}

const fmt = (ms: number) => (Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function printTable(title: string, seconds: number, pick: (s: OpStats) => Histogram): void {
  let all = 0;
  const lines = OPS.map((op) => {
    const s = stats[op];
    const h = pick(s);
    all += h.count;
    return `  ${op.padEnd(17)} ${String(Math.round(h.count / seconds)).padStart(7)} ops/s  p50 ${fmt(
      h.quantile(0.5),
    ).padStart(6)} ms  p99 ${fmt(h.quantile(0.99)).padStart(6)} ms  errors ${s.errors}`;
  });
  console.log(`${title}: ${Math.round(all / seconds)} ops/s in total`);
  for (const line of lines) console.log(line);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const seconds = intOption('--seconds', 'SOAK_SECONDS', 60);
  const concurrency = intOption('--concurrency', 'SOAK_CONCURRENCY', 32);
  const sessions = intOption('--sessions', 'SOAK_SESSIONS', 1_000);

  let server: RedisServerHandle | undefined;
  let url = process.env.REDIS_URL;
  if (url === undefined || url === '') {
    server = await startRedisProcess();
    url = server.url;
  }
  const store = new RedisSessionStore({ url, keyPrefix: `soak:${process.pid}:` });
  console.log(
    `soak: ${seconds} s, ${concurrency} workers, ${sessions} sessions, ${url}${server ? ' (started here)' : ''}, node ${process.version}`,
  );

  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
  });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const memory: { at: number; heapUsed: number; rss: number }[] = [];

  const sampler = setInterval(() => {
    collectGarbage();
    const { heapUsed, rss } = process.memoryUsage();
    memory.push({ at: performance.now() - started, heapUsed, rss });
  }, MEMORY_SAMPLE_MS);
  let lastReport = started;
  const reporter = setInterval(() => {
    const now = performance.now();
    const last = memory.at(-1);
    printTable(`[${Math.round((now - started) / 1000)} s]`, (now - lastReport) / 1000, (s) => s.interval);
    if (last) console.log(`  memory: heapUsed ${mb(last.heapUsed)}, rss ${mb(last.rss)}`);
    for (const op of OPS) stats[op].interval.reset();
    lastReport = now;
  }, REPORT_EVERY_MS);

  const worker = async () => {
    while (!stopping && performance.now() < deadline) {
      const op = pickOp();
      const id = `s${Math.floor(Math.random() * sessions)}`;
      const t0 = performance.now();
      try {
        await runOp(store, op, id);
        const ms = performance.now() - t0;
        stats[op].interval.record(ms);
        stats[op].total.record(ms);
      } catch (error) {
        stats[op].errors += 1;
        const key = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        errorSamples.set(key, (errorSamples.get(key) ?? 0) + 1);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(sampler);
    clearInterval(reporter);
    await store.close();
    await server?.stop();
  }

  const elapsed = (performance.now() - started) / 1000;
  console.log('');
  printTable(`whole run (${elapsed.toFixed(1)} s)`, elapsed, (s) => s.total);

  // Memory: skip the warm-up (JIT, connection, first GCs), then compare the last third with the first.
  const warmupMs = Math.max(5_000, (elapsed * 1000) / 10);
  const steady = memory.filter((m) => m.at >= warmupMs);
  let flat = true;
  if (steady.length < 6) {
    console.log(`memory: too few samples after warm-up (${steady.length}) for a verdict; run longer`);
  } else {
    const third = Math.floor(steady.length / 3);
    for (const field of ['heapUsed', 'rss'] as const) {
      const first = median(steady.slice(0, third).map((m) => m[field]));
      const last = median(steady.slice(-third).map((m) => m[field]));
      const growth = last - first;
      const ok = growth <= Math.max(FLAT_BYTES, first * FLAT_RATIO);
      flat &&= ok;
      console.log(
        `memory ${field}: first third median ${mb(first)}, last third median ${mb(last)}, change ${
          growth >= 0 ? '+' : ''
        }${mb(growth)} (${((growth / first) * 100).toFixed(1)} %) -> ${ok ? 'flat' : 'GROWING'}`,
      );
    }
  }
  const errors = OPS.reduce((n, op) => n + stats[op].errors, 0);
  for (const [message, count] of errorSamples) console.log(`error x${count}: ${message}`);
  console.log(`verdict: memory ${flat ? 'flat' : 'GROWING'}, ${errors} failed calls`);
  if (!flat || errors > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
