// Per-tool counters and a latency window, and the snapshot `ToolRunner.metrics()` returns.
import type { CircuitBreaker, CircuitState } from './CircuitBreaker.js';

/** Figures for one tool since the runner was created. */
export interface ToolMetrics {
  /** Calls to `run`. */
  calls: number;
  /** Calls that returned a value. */
  successes: number;
  /** Failed attempts (a call retried twice then successful counts 2). */
  failures: number;
  /** Backoff waits started, i.e. attempts beyond the first. */
  retries: number;
  /** Attempts that hit their timeout. */
  timeouts: number;
  /** Calls refused by an open breaker without invoking the tool. */
  shortCircuits: number;
  circuitState: CircuitState;
  consecutiveFailures: number;
  /**
   * Whole-call latency (retries and backoff waits included) over the last 128 calls that reached the
   * tool, in milliseconds; null before the first.
   */
  latencyMs: { last: number; avg: number; p95: number; max: number } | null;
}

/** Calls kept in the latency window: enough for a stable p95, small enough to sort on every snapshot. */
const LATENCY_WINDOW = 128;

export class ToolMetricsRecorder {
  calls = 0;
  successes = 0;
  failures = 0;
  retries = 0;
  timeouts = 0;
  /** A ring buffer of the last LATENCY_WINDOW latencies, in milliseconds. */
  readonly #latencies: number[] = [];
  #next = 0;
  #last = 0;

  recordLatency(ms: number): void {
    this.#last = ms;
    if (this.#latencies.length < LATENCY_WINDOW) this.#latencies.push(ms);
    else this.#latencies[this.#next] = ms;
    this.#next = (this.#next + 1) % LATENCY_WINDOW;
  }

  /** The figures now, with the breaker's own counters and its recorded state. */
  snapshot(breaker: CircuitBreaker): ToolMetrics {
    let latencyMs: ToolMetrics['latencyMs'] = null;
    if (this.#latencies.length > 0) {
      const sorted = [...this.#latencies].sort((a, b) => a - b);
      const sum = sorted.reduce((total, ms) => total + ms, 0);
      const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
      latencyMs = { last: this.#last, avg: sum / sorted.length, p95, max: sorted[sorted.length - 1] ?? 0 };
    }
    return {
      calls: this.calls,
      successes: this.successes,
      failures: this.failures,
      retries: this.retries,
      timeouts: this.timeouts,
      shortCircuits: breaker.shortCircuits,
      circuitState: breaker.recordedState,
      consecutiveFailures: breaker.consecutiveFailures,
      latencyMs,
    };
  }
}
