// The one wrapper every tool call goes through. It composes the pieces in ./runner/: the retry policy
// (exponential backoff with jitter, waited out with an abortable sleep), the per-attempt timeout, a
// circuit breaker per tool, per-tool metrics and typed events. Hand-written rather than built on
// cockatiel because cockatiel's backoff wait does not listen to the caller's AbortSignal.
import { sleep, throwIfAborted } from './abort.js';
import { isOperationAbortedError, isRetryableToolError, isToolTimeoutError } from './errors.js';
import { finiteNumber, optionalFunction } from './optionChecks.js';
import {
  BreakerSettings,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from './runner/CircuitBreaker.js';
import {
  AgentEventEmitter,
  type BreakEvent,
  type CircuitEvent,
  type Listener,
  type RetryEvent,
} from './runner/events.js';
import { ExponentialBackoff, type RetryOptions } from './runner/retry.js';
import { type ToolMetrics, ToolMetricsRecorder } from './runner/ToolMetrics.js';
import { attemptWithTimeout, type ToolCallContext } from './runner/timeout.js';

export interface ToolRunnerOptions {
  /**
   * Attempts and backoff; each field is documented on RetryOptions.
   * @default { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5000, multiplier: 2, jitter: 0.5 }
   */
  retry?: RetryOptions;
  /**
   * Per-attempt timeout for tools without an entry in `timeouts`, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Per-attempt timeout by tool name, in milliseconds; overrides `timeoutMs`.
   * @default {}
   */
  timeouts?: Record<string, number>;
  /**
   * The per-tool breaker; each field is documented on CircuitBreakerOptions.
   * @default { failureThreshold: 5, resetTimeoutMs: 30000 }
   */
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * Which errors are worth another attempt. Errors it returns false for also do not count towards the
   * circuit breaker (the tool answered).
   * @default isRetryableToolError — timeouts and ordinary errors yes; aborts, open circuits,
   * NonRetryableToolError and errors with `retryable: false` no.
   */
  isRetryable?: (error: unknown) => boolean;
  /**
   * Source of randomness for the jitter, returning [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /**
   * A millisecond clock for breaker reset times and latency. Only differences between readings are used,
   * so a monotonic clock suits best; tests inject a fake one instead of waiting.
   * @default performance.now
   */
  now?: () => number;
}

export interface ToolCallOptions {
  /**
   * Aborts the call: the current attempt or backoff wait ends at once with OperationAbortedError.
   * @default none: the call ends only by its own outcome
   */
  signal?: AbortSignal;
  /**
   * Overrides the tool's per-attempt timeout for this call, in milliseconds.
   * @default the tool's entry in `timeouts`, else `timeoutMs`
   */
  timeoutMs?: number;
  /**
   * Overrides `retry.maxAttempts` for this call (e.g. 1 for a call that is not safe to repeat).
   * @default `retry.maxAttempts`
   */
  maxAttempts?: number;
}

export const TOOL_RUNNER_DEFAULTS = Object.freeze({ timeoutMs: 10_000 });

/** What the runner keeps per tool name. */
interface ToolEntry {
  breaker: CircuitBreaker;
  metrics: ToolMetricsRecorder;
}

export class ToolRunner {
  readonly #backoff: ExponentialBackoff;
  readonly #breakerSettings: BreakerSettings;
  readonly #timeoutMs: number;
  readonly #timeouts: Record<string, number> = {};
  readonly #isRetryable: (error: unknown) => boolean;
  readonly #now: () => number;
  readonly #tools = new Map<string, ToolEntry>();
  readonly #retry = new AgentEventEmitter<RetryEvent>();
  readonly #breakerEvents = {
    break: new AgentEventEmitter<BreakEvent>(),
    halfOpen: new AgentEventEmitter<CircuitEvent>(),
    reset: new AgentEventEmitter<CircuitEvent>(),
  };

  /** Throws SessionValidationError (its `field` naming the option) on a bad option. */
  constructor(options: ToolRunnerOptions = {}) {
    const random = optionalFunction(options.random, 'random') ?? Math.random;
    this.#now = optionalFunction(options.now, 'now') ?? (() => performance.now());
    this.#backoff = new ExponentialBackoff(options.retry, random);
    this.#timeoutMs = finiteNumber(options.timeoutMs ?? TOOL_RUNNER_DEFAULTS.timeoutMs, 'timeoutMs');
    for (const [tool, ms] of Object.entries(options.timeouts ?? {})) {
      this.#timeouts[tool] = finiteNumber(ms, `timeouts.${tool}`);
    }
    this.#breakerSettings = new BreakerSettings(options.circuitBreaker, this.#now);
    this.#isRetryable = optionalFunction(options.isRetryable, 'isRetryable') ?? isRetryableToolError;
  }

  /**
   * Runs `fn` for `tool` under the runner's policies. `fn` should pass `signal` to whatever it awaits;
   * if it ignores it, the attempt still ends at its timeout (the work keeps running unobserved).
   * Rejects with the last attempt's error, CircuitOpenError, ToolTimeoutError or OperationAbortedError.
   */
  async run<T>(
    tool: string,
    fn: (context: ToolCallContext) => T | PromiseLike<T>,
    options: ToolCallOptions = {},
  ): Promise<T> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.#timeouts[tool] ?? this.#timeoutMs;
    const maxAttempts = options.maxAttempts ?? this.#backoff.maxAttempts;
    const { breaker, metrics } = this.#entry(tool);
    metrics.calls += 1;
    const started = this.#now();
    let invoked = false;
    try {
      for (let attempt = 1; ; attempt += 1) {
        throwIfAborted(signal);
        const probe = breaker.admit();
        invoked = true;
        try {
          const value = await attemptWithTimeout(tool, fn, attempt, timeoutMs, signal);
          breaker.success();
          metrics.successes += 1;
          return value;
        } catch (error) {
          if (isOperationAbortedError(error)) {
            // The caller's abort says nothing about the tool: not a failure, and the probe is free again.
            if (probe) breaker.releaseProbe();
            throw error;
          }
          metrics.failures += 1;
          if (isToolTimeoutError(error)) metrics.timeouts += 1;
          const retryable = this.#isRetryable(error);
          if (retryable) breaker.failure(error);
          else if (probe) breaker.releaseProbe();
          // A failure that opened the breaker ends the call with the tool's own error: retrying would
          // only be refused with CircuitOpenError, hiding what actually went wrong.
          if (!retryable || attempt >= maxAttempts || breaker.recordedState === 'open') throw error;
          const delayMs = this.#backoff.delayAfter(attempt);
          metrics.retries += 1;
          this.#retry.emit({ tool, attempt, delayMs, error });
          await sleep(delayMs, signal);
        }
      }
    } finally {
      // Calls refused before reaching the tool would drag the figures towards zero.
      if (invoked) metrics.recordLatency(this.#now() - started);
    }
  }

  /** Metrics for one tool, or for every tool seen so far keyed by name. */
  metrics(): Record<string, ToolMetrics>;
  metrics(tool: string): ToolMetrics;
  metrics(tool?: string): ToolMetrics | Record<string, ToolMetrics> {
    if (tool !== undefined) {
      const { breaker, metrics } = this.#entry(tool);
      return metrics.snapshot(breaker);
    }
    const all: Record<string, ToolMetrics> = {};
    for (const [name, { breaker, metrics }] of this.#tools) all[name] = metrics.snapshot(breaker);
    return all;
  }

  /** The breaker's state as the next call would see it (an open breaker past its reset time reads halfOpen). */
  circuitState(tool: string): CircuitState {
    return this.#entry(tool).breaker.state;
  }

  /** Called before each backoff wait. Returns a function that unsubscribes. */
  onRetry(listener: Listener<RetryEvent>): () => void {
    return this.#retry.subscribe(listener);
  }

  /** Called when a breaker opens, or re-opens after a failed probe. */
  onBreak(listener: Listener<BreakEvent>): () => void {
    return this.#breakerEvents.break.subscribe(listener);
  }

  /** Called when an open breaker lets its probe call through. */
  onHalfOpen(listener: Listener<CircuitEvent>): () => void {
    return this.#breakerEvents.halfOpen.subscribe(listener);
  }

  /** Called when a successful probe closes a breaker. */
  onReset(listener: Listener<CircuitEvent>): () => void {
    return this.#breakerEvents.reset.subscribe(listener);
  }

  #entry(tool: string): ToolEntry {
    let entry = this.#tools.get(tool);
    if (entry === undefined) {
      entry = {
        breaker: new CircuitBreaker(tool, this.#breakerSettings, this.#breakerEvents),
        metrics: new ToolMetricsRecorder(),
      };
      this.#tools.set(tool, entry);
    }
    return entry;
  }
}

// Outer names for the namespace below (inside it, a member would shadow the type it aliases).
type OuterCallOptions = ToolCallOptions;
type OuterRetryOptions = RetryOptions;
type OuterCircuitBreakerOptions = CircuitBreakerOptions;
type OuterCircuitState = CircuitState;
type OuterRetryEvent = RetryEvent;
type OuterBreakEvent = BreakEvent;
type OuterCircuitEvent = CircuitEvent;

/** The types that go with the runner: `ToolRunner.Options`, `ToolRunner.Metrics`, … */
export declare namespace ToolRunner {
  type Options = ToolRunnerOptions;
  type CallOptions = OuterCallOptions;
  /** What each attempt receives: its number and an AbortSignal that fires on timeout or abort. */
  type CallContext = ToolCallContext;
  type Metrics = ToolMetrics;
  type RetryOptions = OuterRetryOptions;
  type CircuitBreakerOptions = OuterCircuitBreakerOptions;
  type CircuitState = OuterCircuitState;
  type RetryEvent = OuterRetryEvent;
  type BreakEvent = OuterBreakEvent;
  type CircuitEvent = OuterCircuitEvent;
}
