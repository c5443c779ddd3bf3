// Shared harness for the benchmarks: runs groups of tinybench tasks, turns batched samples into ops/s and
// prints aligned tables and ratios. Every figure in BENCHMARKS.md comes out of these functions.
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Redis } from 'ioredis';
import { Bench } from 'tinybench';

/** One benchmarked operation. `fn` performs `batch` operations per call (sync or async). */
export interface BenchCase {
  name: string;
  fn: () => unknown;
  /** Operations one call of `fn` performs; ops/s = batch / mean call time. Default 1. */
  batch?: number;
}

export interface BenchFigure {
  name: string;
  /** Operations per second in the fastest round: `batch` × calls per second. */
  opsPerSec: number;
  /** Mean time of one operation in the fastest round (one call divided by `batch`), in microseconds. */
  meanUs: number;
  /** Relative margin of error of the fastest round's mean call time, in percent (95% confidence). */
  rme: number;
  /** Calls sampled in the fastest round. */
  samples: number;
  /** Operations per second of every round, in round order: the spread between runs. */
  rounds: number[];
  /**
   * Process CPU time (user + system, all threads) per operation, in microseconds: the lowest of the
   * rounds. Less sensitive than wall time to other work on the machine.
   */
  cpuUs: number;
}

export interface GroupSettings {
  /** Measuring budget per task and round, in milliseconds. */
  timeMs: number;
  /** Warmup budget per task and round, in milliseconds (JIT, caches, connection pools). */
  warmupMs: number;
  /**
   * Times the whole group runs, its cases interleaved. Other work on the machine can only slow a case
   * down, so the fastest round is reported and the others give the spread.
   */
  rounds: number;
}

interface RoundFigure {
  opsPerSec: number;
  meanUs: number;
  rme: number;
  samples: number;
  cpuUs: number;
}

// A full garbage collection on demand, without starting Node with --expose-gc.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function runRound(cases: BenchCase[], settings: GroupSettings): Promise<RoundFigure[]> {
  const bench = new Bench({
    time: settings.timeMs,
    warmupTime: settings.warmupMs,
    // Sequential iterations at the bench level; concurrency, when wanted, lives inside a case's fn.
    iterations: 16,
    warmupIterations: 8,
    throws: true,
  });
  const cpu = new Map<string, number>();
  for (const c of cases) {
    let start: NodeJS.CpuUsage | undefined;
    bench.add(c.name, c.fn, {
      beforeAll: (mode) => {
        // Every case starts on a collected heap: none pays for garbage that an earlier case (or the data
        // fill) left behind. Measured: the fill's garbage slowed whichever cases ran next by up to 30 %.
        collectGarbage();
        if (mode === 'run') start = process.cpuUsage();
      },
      afterAll: (mode) => {
        if (mode !== 'run' || start === undefined) return;
        const used = process.cpuUsage(start);
        cpu.set(c.name, used.user + used.system);
      },
    });
  }
  await bench.run();
  return cases.map((c) => {
    const result = bench.getTask(c.name)?.result;
    if (result === undefined || !('latency' in result)) {
      throw new Error(`benchmark ${c.name} produced no statistics (state ${result?.state})`);
    }
    const batch = c.batch ?? 1;
    const meanMs = result.latency.mean;
    const samples = result.latency.samplesCount;
    return {
      opsPerSec: (batch * 1000) / meanMs,
      meanUs: (meanMs * 1000) / batch,
      rme: result.latency.rme,
      samples,
      cpuUs: (cpu.get(c.name) ?? Number.NaN) / (samples * batch),
    };
  });
}

/**
 * Runs the cases one after another (never in parallel with each other), `settings.rounds` times, and
 * returns one figure per case, in order. Each call of a case's `fn` is one tinybench sample.
 */
export async function runGroup(cases: BenchCase[], settings: GroupSettings): Promise<BenchFigure[]> {
  const rounds: RoundFigure[][] = [];
  for (let r = 0; r < settings.rounds; r++) rounds.push(await runRound(cases, settings));
  return cases.map((c, i) => {
    const perRound = rounds.map((round) => round[i] as RoundFigure);
    const best = perRound.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
    return {
      name: c.name,
      ...best,
      rounds: perRound.map((f) => f.opsPerSec),
      cpuUs: Math.min(...perRound.map((f) => f.cpuUs)),
    };
  });
}

export function formatOps(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k`;
  return opsPerSec.toFixed(0);
}

export function formatUs(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  if (us >= 10) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(2)} µs`;
}

/** Prints a plain-text table with a header row; columns are padded to their widest cell. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

export function printFigures(title: string, figures: BenchFigure[]): void {
  printTable(
    title,
    ['operation', 'ops/s (best)', 'mean/op', '±rme', 'rounds: ops/s min–max', 'CPU/op'],
    figures.map((f) => [
      f.name,
      formatOps(f.opsPerSec),
      formatUs(f.meanUs),
      `${f.rme.toFixed(1)}%`,
      `${formatOps(Math.min(...f.rounds))} – ${formatOps(Math.max(...f.rounds))}`,
      formatUs(f.cpuUs),
    ]),
  );
}

/** A ratio of two throughputs, compared with a target ("≥ target"). */
export interface Ratio {
  label: string;
  /** Ratio of the best rounds. */
  value: number;
  /** Ratio within each round (both cases measured minutes apart at most): the spread. */
  perRound: number[];
  /** The same ratio from process CPU time per operation, which other work on the machine disturbs less. */
  byCpu: number;
  /** Minimum acceptable value; omit for an informative ratio. */
  target?: number;
}

/** `ours` / `base`, from the best rounds and round by round. */
export function ratio(label: string, ours: BenchFigure, base: BenchFigure, target?: number): Ratio {
  return {
    label,
    value: ours.opsPerSec / base.opsPerSec,
    perRound: ours.rounds.map((ops, i) => ops / (base.rounds[i] ?? Number.NaN)),
    byCpu: base.cpuUs / ours.cpuUs,
    ...(target === undefined ? {} : { target }),
  };
}

/** Two decimals, or two significant digits for small ratios such as ours / raw lru-cache. */
export function formatRatio(value: number): string {
  return value >= 0.1 ? `${value.toFixed(2)}×` : `${value.toPrecision(2)}×`;
}

export function printRatios(title: string, ratios: Ratio[]): void {
  printTable(
    title,
    ['ratio', 'best/best', 'per round min–max', 'by CPU/op of this process', 'target', 'verdict'],
    ratios.map((r) => [
      r.label,
      formatRatio(r.value),
      `${formatRatio(Math.min(...r.perRound))} – ${formatRatio(Math.max(...r.perRound))}`,
      formatRatio(r.byCpu),
      r.target === undefined ? '' : `≥ ${r.target}×`,
      r.target === undefined ? '' : r.value >= r.target ? 'met' : 'MISSED',
    ]),
  );
}

export function figure(figures: BenchFigure[], name: string): BenchFigure {
  const found = figures.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no figure named ${name}`);
  return found;
}

/** One line on the machine and how busy it is, printed with every run so figures can be judged. */
export function describeMachine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  const [one, five] = loadavg();
  return (
    `node ${process.version}, ${cpus().length} × ${model}, ` +
    `load average ${one?.toFixed(2)} (1 min) ${five?.toFixed(2)} (5 min)`
  );
}

/** One side-by-side comparison: `ours` and `base` each perform `batch` operations per call. */
export interface PairedCase {
  label: string;
  ours: () => Promise<unknown>;
  base: () => Promise<unknown>;
  target?: number;
}

export interface PairedRatio {
  label: string;
  /** Median over slices of base time / ours time: above 1, ours is faster. */
  median: number;
  /** 25th and 75th percentiles of the same. */
  q1: number;
  q3: number;
  slices: number;
  target?: number;
}

function quantileOf(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
}

/**
 * Measures each pair side by side: short slices of ours and of the baseline, alternating (and swapping
 * which goes first every slice) for `durationMs`, after `warmupMs` of the same. Each slice pair gives one
 * ratio of elapsed times, taken within a few milliseconds of each other, so a burst of other work on the
 * machine hits both sides of most ratios alike; the median of those ratios is the figure. This is the
 * comparison the targets are judged on; the tinybench tables give the absolute figures.
 */
export async function runPaired(
  pairs: PairedCase[],
  settings: { durationMs: number; warmupMs: number },
): Promise<PairedRatio[]> {
  const results: PairedRatio[] = [];
  for (const pair of pairs) {
    const time = async (fn: () => Promise<unknown>) => {
      const started = performance.now();
      await fn();
      return performance.now() - started;
    };
    const warmEnd = performance.now() + settings.warmupMs;
    while (performance.now() < warmEnd) {
      await pair.ours();
      await pair.base();
    }
    collectGarbage();
    const ratios: number[] = [];
    const end = performance.now() + settings.durationMs;
    for (let i = 0; performance.now() < end; i++) {
      let ours: number;
      let base: number;
      if (i % 2 === 0) {
        ours = await time(pair.ours);
        base = await time(pair.base);
      } else {
        base = await time(pair.base);
        ours = await time(pair.ours);
      }
      ratios.push(base / ours);
    }
    ratios.sort((a, b) => a - b);
    results.push({
      label: pair.label,
      median: quantileOf(ratios, 0.5),
      q1: quantileOf(ratios, 0.25),
      q3: quantileOf(ratios, 0.75),
      slices: ratios.length,
      target: pair.target,
    });
  }
  return results;
}

export function printPaired(title: string, ratios: PairedRatio[]): void {
  printTable(
    title,
    ['ratio', 'median', 'middle half of slices', 'slices', 'target', 'verdict'],
    ratios.map((r) => [
      r.label,
      `${r.median.toFixed(2)}×`,
      `${r.q1.toFixed(2)}× – ${r.q3.toFixed(2)}×`,
      String(r.slices),
      r.target === undefined ? '' : `≥ ${r.target}×`,
      r.target === undefined ? '' : r.median >= r.target ? 'met' : 'MISSED',
    ]),
  );
}

/** Operations awaited one after another per tinybench sample in the sequential variant. */
export const SEQUENTIAL_BATCH = 20;
/** Operations in flight at once in the concurrent variant (one sample = one such wave). */
export const CONCURRENCY = 64;

/** One operation on session number `n` of the working set. */
export type Op = (n: number) => Promise<unknown>;

/** The two variants of one operation: a sequential batch and a concurrent wave. */
export function variants(
  name: string,
  op: Op,
  next: () => number,
): { sequential: BenchCase; concurrent: BenchCase } {
  return {
    sequential: {
      name,
      batch: SEQUENTIAL_BATCH,
      fn: async () => {
        for (let i = 0; i < SEQUENTIAL_BATCH; i++) await op(next());
      },
    },
    concurrent: {
      name,
      batch: CONCURRENCY,
      fn: async () => {
        const wave: Promise<unknown>[] = [];
        for (let i = 0; i < CONCURRENCY; i++) wave.push(op(next()));
        await Promise.all(wave);
      },
    },
  };
}

/**
 * redis-server CPU time (user + system, INFO cpu) in seconds since it started: of the whole process, or of
 * its main thread, the one that runs every command.
 */
export async function serverCpuSeconds(client: Redis, thread: 'all' | 'main' = 'all'): Promise<number> {
  const text = await client.info('cpu');
  const suffix = thread === 'main' ? '_main_thread' : '';
  const field = (name: string) =>
    Number(new RegExp(`^${name}${suffix}:([\\d.]+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/**
 * Runs `calls` calls of `op` with `inFlight` callers, each awaiting its call before starting the next (a
 * server with that many requests in flight); the n-th call gets (first + n) % modulo. Returns the elapsed
 * milliseconds.
 */
export async function callers(
  op: (n: number) => Promise<unknown>,
  options: { calls: number; inFlight: number; modulo: number; first?: number },
): Promise<number> {
  const { calls, inFlight, modulo, first = 0 } = options;
  let next = 0;
  const started = performance.now();
  const caller = async () => {
    while (next < calls) await op((first + next++) % modulo);
  };
  await Promise.all(Array.from({ length: inFlight }, caller));
  return performance.now() - started;
}

/** The middle value (the upper one of an even count); NaN for none. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
