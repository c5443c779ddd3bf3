// Retry policy: how many attempts a call gets and how long to wait between them (exponential backoff with
// jitter). The wait itself is `sleep` from abort.ts, so an aborted caller stops waiting at once.
import { badOption, finiteNumber, positiveInteger, withDefaults } from '../optionChecks.js';

export interface RetryOptions {
  /**
   * Attempts per call, the first included; 1 disables retries.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Delay before the first retry, in milliseconds.
   * @default 200
   */
  initialDelayMs?: number;
  /**
   * Cap on any single delay, in milliseconds.
   * @default 5000
   */
  maxDelayMs?: number;
  /**
   * Growth factor from one delay to the next.
   * @default 2
   */
  multiplier?: number;
  /**
   * Fraction of each delay that is randomised away, 0–1: the wait is `delay × (1 − jitter × random())`,
   * so instances that failed together do not retry together. 0 gives exact delays.
   * @default 0.5
   */
  jitter?: number;
}

export const RETRY_DEFAULTS: Required<RetryOptions> = Object.freeze({
  maxAttempts: 3,
  initialDelayMs: 200,
  maxDelayMs: 5000,
  multiplier: 2,
  jitter: 0.5,
});

export class ExponentialBackoff {
  readonly maxAttempts: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #multiplier: number;
  readonly #jitter: number;
  readonly #random: () => number;

  /** `random` returns [0, 1); it is the jitter's source. Throws SessionValidationError on a bad option. */
  constructor(options: RetryOptions = {}, random: () => number = Math.random) {
    const resolved = withDefaults(RETRY_DEFAULTS, options);
    this.maxAttempts = positiveInteger(resolved.maxAttempts, 'retry.maxAttempts');
    this.#initialDelayMs = finiteNumber(resolved.initialDelayMs, 'retry.initialDelayMs', true);
    this.#maxDelayMs = finiteNumber(resolved.maxDelayMs, 'retry.maxDelayMs', true);
    this.#multiplier = finiteNumber(resolved.multiplier, 'retry.multiplier');
    const { jitter } = resolved;
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
      badOption('retry.jitter', 'retry.jitter option must be a number from 0 to 1');
    }
    this.#jitter = jitter;
    this.#random = random;
  }

  /** The wait after attempt `failedAttempt` (1-based) failed, in whole milliseconds. */
  delayAfter(failedAttempt: number): number {
    const exponential = this.#initialDelayMs * this.#multiplier ** (failedAttempt - 1);
    const capped = Math.min(this.#maxDelayMs, exponential);
    return Math.round(capped * (1 - this.#jitter * this.#random()));
  }
}
