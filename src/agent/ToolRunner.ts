// The one wrapper every tool call goes through: a per-attempt timeout carried by an AbortSignal,
// exponential backoff with jitter whose wait is abortable, a retry predicate, a circuit breaker per tool
// with a half-open probe, and per-tool metrics. Hand-written rather than built on cockatiel: cockatiel 4
// needs Node 22, and its backoff wait does not listen to the caller's AbortSignal.
import { abortError, raceAbort, sleep, throwIfAborted } from './abort.js';
import {
  CircuitOpenError,
  isOperationAbortedError,
  isRetryableToolError,
  isToolTimeoutError,
  ToolTimeoutError,
} from './errors.js';

export interface RetryOptions {
  /** Attempts per call, the first included; 1 disables retries. Default 3. */
  maxAttempts?: number;
  /** Delay before the first retry, in milliseconds. Default 200. */
  initialDelayMs?: number;
  /** Cap on any single delay, in milliseconds. Default 5000. */
  maxDelayMs?: number;
  /** Growth factor from one delay to the next. Default 2. */
  multiplier?: number;
  /**
   * Fraction of each delay that is randomised away, 0–1: the wait is `delay × (1 − jitter × random())`,
   * so instances that failed together do not retry together. 0 gives exact delays. Default 0.5.
   */
  jitter?: number;
}

export interface CircuitBreakerOptions {
  /** Consecutive counted failures (attempts) that open the breaker. Default 5. */
  failureThreshold?: number;
  /** How long an open breaker fails fast before it lets one probe call through, in milliseconds. Default 30,000. */
  resetTimeoutMs?: number;
}

export interface ToolRunnerOptions {
  retry?: RetryOptions;
  /** Per-attempt timeout for tools without an entry in `timeouts`, in milliseconds. Default 10,000. */
  timeoutMs?: number;
  /** Per-attempt timeout by tool name, in milliseconds; overrides `timeoutMs`. */
  timeouts?: Record<string, number>;
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * Which errors are worth another attempt. Default `isRetryableToolError`: timeouts and ordinary errors
   * yes; aborts, open circuits, NonRetryableToolError and errors with `retryable: false` no. Errors this
   * returns false for also do not count towards the circuit breaker (the tool answered).
   */
  isRetryable?: (error: unknown) => boolean;
  /** Source of randomness for the jitter, returning [0, 1). Default `Math.random`. */
  random?: () => number;
}

export interface ToolCallOptions {
  /** Aborts the call: the current attempt or backoff wait ends at once with OperationAbortedError. */
  signal?: AbortSignal;
  /** Overrides the tool's per-attempt timeout for this call, in milliseconds. */
  timeoutMs?: number;
  /** Overrides `retry.maxAttempts` for this call (e.g. 1 for a call that is not safe to repeat). */
  maxAttempts?: number;
}

/** What the wrapped function receives: the 1-based attempt and a signal that fires on timeout or abort. */
export interface ToolCallContext {
  attempt: number;
  signal: AbortSignal;
}

export type CircuitState = 'closed' | 'open' | 'halfOpen';

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

export interface RetryEvent {
  tool: string;
  /** The attempt that failed (1-based); the next one is `attempt + 1`. */
  attempt: number;
  /** The backoff wait about to start, in milliseconds. */
  delayMs: number;
  error: unknown;
}

export interface BreakEvent {
  tool: string;
  error: unknown;
  consecutiveFailures: number;
}

export interface CircuitEvent {
  tool: string;
}

type Listener<T> = (event: T) => void;

const LATENCY_WINDOW = 128;

/** The counters ToolMetrics reports, kept as they are, plus the breaker's and the latency window's state. */
interface ToolState
  extends Pick<
    ToolMetrics,
    'calls' | 'successes' | 'failures' | 'retries' | 'timeouts' | 'shortCircuits' | 'consecutiveFailures'
  > {
  circuit: CircuitState;
  openedAt: number;
  probeInFlight: boolean;
  latencies: number[];
  latencyNext: number;
  lastLatency: number;
}

function positive(value: number, name: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`${name} option must be a ${allowZero ? 'nonnegative' : 'positive'} finite number`);
  }
  return value;
}

export class ToolRunner {
  readonly #maxAttempts: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #multiplier: number;
  readonly #jitter: number;
  readonly #timeoutMs: number;
  readonly #timeouts: Record<string, number>;
  readonly #failureThreshold: number;
  readonly #resetTimeoutMs: number;
  readonly #isRetryable: (error: unknown) => boolean;
  readonly #random: () => number;
  readonly #tools = new Map<string, ToolState>();
  readonly #retryListeners = new Set<Listener<RetryEvent>>();
  readonly #breakListeners = new Set<Listener<BreakEvent>>();
  readonly #halfOpenListeners = new Set<Listener<CircuitEvent>>();
  readonly #resetListeners = new Set<Listener<CircuitEvent>>();

  constructor(options: ToolRunnerOptions = {}) {
    const { retry = {}, circuitBreaker = {}, timeoutMs = 10_000, timeouts = {} } = options;
    const { maxAttempts = 3, initialDelayMs = 200, maxDelayMs = 5000, multiplier = 2, jitter = 0.5 } = retry;
    const { failureThreshold = 5, resetTimeoutMs = 30_000 } = circuitBreaker;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
      throw new TypeError('retry.maxAttempts option must be a positive integer');
    }
    if (!Number.isSafeInteger(failureThreshold) || failureThreshold < 1) {
      throw new TypeError('circuitBreaker.failureThreshold option must be a positive integer');
    }
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
      throw new TypeError('retry.jitter option must be a number from 0 to 1');
    }
    this.#maxAttempts = maxAttempts;
    this.#initialDelayMs = positive(initialDelayMs, 'retry.initialDelayMs', true);
    this.#maxDelayMs = positive(maxDelayMs, 'retry.maxDelayMs', true);
    this.#multiplier = positive(multiplier, 'retry.multiplier');
    this.#jitter = jitter;
    this.#timeoutMs = positive(timeoutMs, 'timeoutMs');
    this.#timeouts = {};
    for (const [tool, ms] of Object.entries(timeouts))
      this.#timeouts[tool] = positive(ms, `timeouts.${tool}`);
    this.#failureThreshold = failureThreshold;
    this.#resetTimeoutMs = positive(resetTimeoutMs, 'circuitBreaker.resetTimeoutMs', true);
    this.#isRetryable = options.isRetryable ?? isRetryableToolError;
    this.#random = options.random ?? Math.random;
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
    const maxAttempts = options.maxAttempts ?? this.#maxAttempts;
    const state = this.#state(tool);
    state.calls += 1;
    const started = performance.now();
    let invoked = false;
    try {
      for (let attempt = 1; ; attempt += 1) {
        throwIfAborted(signal);
        const probe = this.#admit(tool, state);
        invoked = true;
        try {
          const value = await this.#attempt(tool, fn, attempt, timeoutMs, signal);
          this.#succeeded(tool, state);
          state.successes += 1;
          return value;
        } catch (error) {
          const callerAborted = isOperationAbortedError(error);
          if (callerAborted) {
            if (probe) state.probeInFlight = false;
            throw error;
          }
          state.failures += 1;
          if (isToolTimeoutError(error)) state.timeouts += 1;
          const retryable = this.#isRetryable(error);
          if (retryable) this.#failed(tool, state, error);
          else if (probe) state.probeInFlight = false;
          // A failure that opened the breaker ends the call with the tool's own error: retrying would
          // only be refused with CircuitOpenError, hiding what actually went wrong.
          if (!retryable || attempt >= maxAttempts || state.circuit === 'open') throw error;
          const delayMs = this.#delay(attempt);
          state.retries += 1;
          this.#emit(this.#retryListeners, { tool, attempt, delayMs, error });
          await sleep(delayMs, signal);
        }
      }
    } finally {
      // Calls refused before reaching the tool would drag the figures towards zero.
      if (invoked) this.#recordLatency(state, performance.now() - started);
    }
  }

  /** Metrics for one tool, or for every tool seen so far keyed by name. */
  metrics(): Record<string, ToolMetrics>;
  metrics(tool: string): ToolMetrics;
  metrics(tool?: string): ToolMetrics | Record<string, ToolMetrics> {
    if (tool !== undefined) return this.#snapshot(this.#state(tool));
    const all: Record<string, ToolMetrics> = {};
    for (const [name, state] of this.#tools) all[name] = this.#snapshot(state);
    return all;
  }

  /** The breaker's state as the next call would see it (an open breaker past its reset time reads halfOpen). */
  circuitState(tool: string): CircuitState {
    const state = this.#state(tool);
    if (state.circuit === 'open' && Date.now() - state.openedAt >= this.#resetTimeoutMs) return 'halfOpen';
    return state.circuit;
  }

  /** Called before each backoff wait. Returns a function that unsubscribes. */
  onRetry(listener: Listener<RetryEvent>): () => void {
    return this.#subscribe(this.#retryListeners, listener);
  }

  /** Called when a breaker opens, or re-opens after a failed probe. */
  onBreak(listener: Listener<BreakEvent>): () => void {
    return this.#subscribe(this.#breakListeners, listener);
  }

  /** Called when an open breaker lets its probe call through. */
  onHalfOpen(listener: Listener<CircuitEvent>): () => void {
    return this.#subscribe(this.#halfOpenListeners, listener);
  }

  /** Called when a successful probe closes a breaker. */
  onReset(listener: Listener<CircuitEvent>): () => void {
    return this.#subscribe(this.#resetListeners, listener);
  }

  #subscribe<T>(set: Set<Listener<T>>, listener: Listener<T>): () => void {
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  #emit<T>(set: Set<Listener<T>>, event: T): void {
    for (const listener of set) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not change the outcome of the call it observes.
      }
    }
  }

  #state(tool: string): ToolState {
    let state = this.#tools.get(tool);
    if (state === undefined) {
      state = {
        calls: 0,
        successes: 0,
        failures: 0,
        retries: 0,
        timeouts: 0,
        shortCircuits: 0,
        circuit: 'closed',
        consecutiveFailures: 0,
        openedAt: 0,
        probeInFlight: false,
        latencies: [],
        latencyNext: 0,
        lastLatency: 0,
      };
      this.#tools.set(tool, state);
    }
    return state;
  }

  /** Lets an attempt through or throws CircuitOpenError; returns true when the attempt is the half-open probe. */
  #admit(tool: string, state: ToolState): boolean {
    if (state.circuit === 'open') {
      const waited = Date.now() - state.openedAt;
      if (waited < this.#resetTimeoutMs) {
        state.shortCircuits += 1;
        throw new CircuitOpenError(tool, this.#resetTimeoutMs - waited);
      }
      state.circuit = 'halfOpen';
      state.probeInFlight = false;
      this.#emit(this.#halfOpenListeners, { tool });
    }
    if (state.circuit === 'halfOpen') {
      if (state.probeInFlight) {
        state.shortCircuits += 1;
        throw new CircuitOpenError(tool, 0);
      }
      state.probeInFlight = true;
      return true;
    }
    return false;
  }

  #succeeded(tool: string, state: ToolState): void {
    state.consecutiveFailures = 0;
    if (state.circuit === 'halfOpen') {
      state.circuit = 'closed';
      state.probeInFlight = false;
      this.#emit(this.#resetListeners, { tool });
    }
  }

  #failed(tool: string, state: ToolState, error: unknown): void {
    state.consecutiveFailures += 1;
    const reopen = state.circuit === 'halfOpen';
    if (reopen || (state.circuit === 'closed' && state.consecutiveFailures >= this.#failureThreshold)) {
      state.circuit = 'open';
      state.openedAt = Date.now();
      state.probeInFlight = false;
      this.#emit(this.#breakListeners, { tool, error, consecutiveFailures: state.consecutiveFailures });
    }
  }

  #delay(failedAttempt: number): number {
    const exponential = this.#initialDelayMs * this.#multiplier ** (failedAttempt - 1);
    const capped = Math.min(this.#maxDelayMs, exponential);
    return Math.round(capped * (1 - this.#jitter * this.#random()));
  }

  /** One attempt: a fresh signal that fires on the caller's abort or on this attempt's timeout. */
  async #attempt<T>(
    tool: string,
    fn: (context: ToolCallContext) => T | PromiseLike<T>,
    attempt: number,
    timeoutMs: number,
    outer: AbortSignal | undefined,
  ): Promise<T> {
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort(abortError(outer as AbortSignal));
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new ToolTimeoutError(tool, timeoutMs)), timeoutMs);
    try {
      const pending = (async () => fn({ attempt, signal: controller.signal }))();
      return await raceAbort(pending, controller.signal);
    } catch (error) {
      // A tool that honours its signal may reject with its own AbortError; report why we aborted instead.
      if (controller.signal.aborted) throw abortError(controller.signal);
      throw error;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  #recordLatency(state: ToolState, ms: number): void {
    state.lastLatency = ms;
    if (state.latencies.length < LATENCY_WINDOW) state.latencies.push(ms);
    else state.latencies[state.latencyNext] = ms;
    state.latencyNext = (state.latencyNext + 1) % LATENCY_WINDOW;
  }

  #snapshot(state: ToolState): ToolMetrics {
    let latencyMs: ToolMetrics['latencyMs'] = null;
    if (state.latencies.length > 0) {
      const sorted = [...state.latencies].sort((a, b) => a - b);
      const sum = sorted.reduce((total, ms) => total + ms, 0);
      const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
      latencyMs = {
        last: state.lastLatency,
        avg: sum / sorted.length,
        p95,
        max: sorted[sorted.length - 1] ?? 0,
      };
    }
    return {
      calls: state.calls,
      successes: state.successes,
      failures: state.failures,
      retries: state.retries,
      timeouts: state.timeouts,
      shortCircuits: state.shortCircuits,
      circuitState: state.circuit,
      consecutiveFailures: state.consecutiveFailures,
      latencyMs,
    };
  }
}
