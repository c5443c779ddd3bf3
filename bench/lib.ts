// Shared harness for the benchmarks: runs groups of tinybench tasks, turns batched samples into ops/s and
// prints aligned tables and ratios. Every figure in BENCHMARKS.md comes out of these functions.
import { cpus, loadavg } from 'node:os';
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
  /** Operations per second: `batch` × calls per second. */
  opsPerSec: number;
  /** Mean time of one operation (one call divided by `batch`), in microseconds. */
  meanUs: number;
  /** Relative margin of error of the mean call time, in percent (95% confidence). */
  rme: number;
  /** Calls sampled. */
  samples: number;
}

export interface GroupSettings {
  /** Measuring budget per task, in milliseconds. */
  timeMs: number;
  /** Warmup budget per task, in milliseconds (JIT, caches, connection pools). */
  warmupMs: number;
}

/**
 * Runs the cases one after another (never in parallel with each other) and returns one figure per case,
 * in order. Each call of a case's `fn` is one tinybench sample.
 */
export async function runGroup(cases: BenchCase[], settings: GroupSettings): Promise<BenchFigure[]> {
  const bench = new Bench({
    time: settings.timeMs,
    warmupTime: settings.warmupMs,
    // Sequential iterations at the bench level; concurrency, when wanted, lives inside a case's fn.
    iterations: 16,
    warmupIterations: 8,
    throws: true,
  });
  for (const c of cases) bench.add(c.name, c.fn);
  await bench.run();
  return cases.map((c) => {
    const task = bench.getTask(c.name);
    const result = task?.result;
    if (result === undefined || !('latency' in result)) {
      throw new Error(`benchmark ${c.name} produced no statistics (state ${result?.state})`);
    }
    const batch = c.batch ?? 1;
    const meanMs = result.latency.mean;
    return {
      name: c.name,
      opsPerSec: (batch * 1000) / meanMs,
      meanUs: (meanMs * 1000) / batch,
      rme: result.latency.rme,
      samples: result.latency.samplesCount,
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
    ['operation', 'ops/s', 'mean/op', '±rme', 'samples'],
    figures.map((f) => [
      f.name,
      formatOps(f.opsPerSec),
      formatUs(f.meanUs),
      `${f.rme.toFixed(1)}%`,
      String(f.samples),
    ]),
  );
}

/** A ratio of two throughputs, compared with a target ("≥ target" unless `below` is set). */
export interface Ratio {
  label: string;
  value: number;
  /** Minimum acceptable value; omit for an informative ratio. */
  target?: number;
}

/** Two decimals, or two significant digits for small ratios such as ours / raw lru-cache. */
export function formatRatio(value: number): string {
  return value >= 0.1 ? `${value.toFixed(2)}×` : `${value.toPrecision(2)}×`;
}

export function printRatios(title: string, ratios: Ratio[]): void {
  printTable(
    title,
    ['ratio', 'value', 'target', 'verdict'],
    ratios.map((r) => [
      r.label,
      formatRatio(r.value),
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
