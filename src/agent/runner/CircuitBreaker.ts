// One circuit breaker per tool: after `failureThreshold` consecutive counted failures it opens and refuses
// calls for `resetTimeoutMs`, then lets exactly one probe through (half-open); the probe's success closes
// it, its failure re-opens it.
import { CircuitOpenError } from '../errors.js';
import { finiteNumber, positiveInteger, withDefaults } from '../optionChecks.js';
import type { AgentEventEmitter, BreakEvent, CircuitEvent } from './events.js';

export interface CircuitBreakerOptions {
  /**
   * Consecutive counted failures (attempts, not calls) that open the breaker.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long an open breaker fails fast before it lets one probe call through, in milliseconds.
   * @default 30000
   */
  resetTimeoutMs?: number;
}

export const CIRCUIT_BREAKER_DEFAULTS: Required<CircuitBreakerOptions> = Object.freeze({
  failureThreshold: 5,
  resetTimeoutMs: 30_000,
});

export type CircuitState = 'closed' | 'open' | 'halfOpen';

/** The events every breaker of one runner reports to. */
export interface BreakerEvents {
  break: AgentEventEmitter<BreakEvent>;
  halfOpen: AgentEventEmitter<CircuitEvent>;
  reset: AgentEventEmitter<CircuitEvent>;
}

/** Resolved, validated breaker settings plus the clock, shared by every tool's breaker. */
export class BreakerSettings {
  readonly failureThreshold: number;
  readonly resetTimeoutMs: number;

  /** `now` reads a millisecond clock; only differences between its readings matter. */
  constructor(
    options: CircuitBreakerOptions | undefined,
    readonly now: () => number,
  ) {
    const resolved = withDefaults(CIRCUIT_BREAKER_DEFAULTS, options);
    this.failureThreshold = positiveInteger(resolved.failureThreshold, 'circuitBreaker.failureThreshold');
    this.resetTimeoutMs = finiteNumber(resolved.resetTimeoutMs, 'circuitBreaker.resetTimeoutMs', true);
  }
}

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #consecutiveFailures = 0;
  /** Clock reading when the breaker last opened. */
  #openedAt = 0;
  #probeInFlight = false;
  /** Calls refused without invoking the tool. */
  shortCircuits = 0;

  constructor(
    readonly tool: string,
    readonly settings: BreakerSettings,
    readonly events: BreakerEvents,
  ) {}

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** The state recorded so far (an open breaker past its reset time still reads open until a call comes). */
  get recordedState(): CircuitState {
    return this.#state;
  }

  /** The state as the next call would see it: an open breaker past its reset time reads halfOpen. */
  get state(): CircuitState {
    if (this.#state === 'open' && this.#sinceOpened() >= this.settings.resetTimeoutMs) return 'halfOpen';
    return this.#state;
  }

  /** Lets an attempt through or throws CircuitOpenError; returns true when the attempt is the half-open probe. */
  admit(): boolean {
    if (this.#state === 'open') {
      const waited = this.#sinceOpened();
      if (waited < this.settings.resetTimeoutMs) {
        this.shortCircuits += 1;
        throw new CircuitOpenError(this.tool, this.settings.resetTimeoutMs - waited);
      }
      this.#state = 'halfOpen';
      this.#probeInFlight = false;
      this.events.halfOpen.emit({ tool: this.tool });
    }
    if (this.#state === 'halfOpen') {
      if (this.#probeInFlight) {
        this.shortCircuits += 1;
        throw new CircuitOpenError(this.tool, 0);
      }
      this.#probeInFlight = true;
      return true;
    }
    return false;
  }

  /** The attempt succeeded: the count restarts, and a successful probe closes the breaker. */
  success(): void {
    this.#consecutiveFailures = 0;
    if (this.#state === 'halfOpen') {
      this.#state = 'closed';
      this.#probeInFlight = false;
      this.events.reset.emit({ tool: this.tool });
    }
  }

  /** A counted failure (one the retry predicate accepts): may open or re-open the breaker. */
  failure(error: unknown): void {
    this.#consecutiveFailures += 1;
    const reopen = this.#state === 'halfOpen';
    if (reopen || (this.#state === 'closed' && this.#consecutiveFailures >= this.settings.failureThreshold)) {
      this.#state = 'open';
      this.#openedAt = this.settings.now();
      this.#probeInFlight = false;
      this.events.break.emit({ tool: this.tool, error, consecutiveFailures: this.#consecutiveFailures });
    }
  }

  /**
   * The probe ended without a verdict on the tool (the caller aborted, or the tool answered with a
   * non-retryable error): the next call may probe again.
   */
  releaseProbe(): void {
    this.#probeInFlight = false;
  }

  #sinceOpened(): number {
    return this.settings.now() - this.#openedAt;
  }
}
