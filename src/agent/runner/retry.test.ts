// Backoff delays with an injected random source.
import { describe, expect, it } from 'vitest';
import { ExponentialBackoff } from './retry.js';

describe('ExponentialBackoff', () => {
  it('doubles from the initial delay, caps at maxDelayMs and keeps defaults for undefined options', () => {
    const backoff = new ExponentialBackoff({ jitter: 0, maxDelayMs: 700, maxAttempts: undefined });
    expect([1, 2, 3, 4].map((a) => backoff.delayAfter(a))).toEqual([200, 400, 700, 700]);
    expect(backoff.maxAttempts).toBe(3);
  });

  it('cuts each delay by jitter × random', () => {
    const backoff = new ExponentialBackoff({ initialDelayMs: 1000, jitter: 0.5 }, () => 1);
    expect(backoff.delayAfter(1)).toBe(500);
  });

  it('rejects bad options with SessionValidationError naming the option', () => {
    expect(() => new ExponentialBackoff({ multiplier: 0 })).toThrow(
      expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'retry.multiplier' }),
    );
    expect(() => new ExponentialBackoff({ jitter: -0.1 })).toThrow(
      expect.objectContaining({ field: 'retry.jitter' }),
    );
  });
});
