// ToolRunner: retries, timeouts, the circuit breaker and abort, on fake timers driven by the runner's
// own events (no sleeping).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionValidationError } from '../errors/errors.js';
import {
  CircuitOpenError,
  isCircuitOpenError,
  isToolTimeoutError,
  NonRetryableToolError,
  OperationAbortedError,
  ToolTimeoutError,
} from './errors.js';
import { ToolRunner } from './ToolRunner.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Advances fake time by each backoff delay as soon as the runner announces it. */
function driveRetries(runner: ToolRunner): number[] {
  const delays: number[] = [];
  runner.onRetry(({ delayMs }) => {
    delays.push(delayMs);
    void vi.advanceTimersByTimeAsync(delayMs);
  });
  return delays;
}

function failing(times: number, value = 'ok') {
  let calls = 0;
  const fn = vi.fn(async () => {
    calls += 1;
    if (calls <= times) throw new Error(`boom ${calls}`);
    return value;
  });
  return fn;
}

describe('ToolRunner retries', () => {
  it('retries a tool that fails twice, then returns its value; metrics count 2 retries', async () => {
    const runner = new ToolRunner({ retry: { maxAttempts: 3, initialDelayMs: 100, jitter: 0 } });
    const delays = driveRetries(runner);
    const fn = failing(2);
    await expect(runner.run('kb', fn)).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(delays).toEqual([100, 200]);
    const m = runner.metrics('kb');
    expect(m).toMatchObject({ calls: 1, successes: 1, failures: 2, retries: 2, timeouts: 0 });
    expect(m.circuitState).toBe('closed');
    expect(m.latencyMs?.last).toBeGreaterThanOrEqual(300);
  });

  it("stops retrying when a failure opens the breaker, and reports the tool's own error", async () => {
    const runner = new ToolRunner({
      retry: { maxAttempts: 5, initialDelayMs: 10, jitter: 0 },
      circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
    });
    driveRetries(runner);
    const fn = failing(10);
    const error = await runner.run('kb', fn).catch((e: unknown) => e);
    expect(isCircuitOpenError(error)).toBe(false);
    expect((error as Error).message).toBe('boom 2');
    expect(fn).toHaveBeenCalledTimes(2);
    expect(runner.metrics('kb')).toMatchObject({ retries: 1, circuitState: 'open' });
  });

  it('gives up after maxAttempts with the last error', async () => {
    const runner = new ToolRunner({ retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 } });
    driveRetries(runner);
    const fn = failing(5);
    await expect(runner.run('kb', fn)).rejects.toThrow('boom 2');
    expect(fn).toHaveBeenCalledTimes(2);
    expect(runner.metrics('kb')).toMatchObject({ calls: 1, successes: 0, failures: 2, retries: 1 });
  });

  it('applies jitter within [delay × (1 − jitter), delay] and caps at maxDelayMs', async () => {
    const runner = new ToolRunner({
      retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 3000, multiplier: 2, jitter: 0.5 },
      random: () => 0.5,
    });
    const delays = driveRetries(runner);
    await expect(runner.run('kb', failing(4))).resolves.toBe('ok');
    // Raw delays 1000, 2000, 4000→3000, 8000→3000, each cut by jitter × random = 25%.
    expect(delays).toEqual([750, 1500, 2250, 2250]);
  });

  it('does not retry a NonRetryableToolError nor an error marked retryable: false', async () => {
    const runner = new ToolRunner({ retry: { maxAttempts: 5, initialDelayMs: 10 } });
    const retried = vi.fn();
    runner.onRetry(retried);
    const typed = vi.fn(async () => {
      throw new NonRetryableToolError('bad query');
    });
    await expect(runner.run('kb', typed)).rejects.toBeInstanceOf(NonRetryableToolError);
    const marked = vi.fn(async () => {
      throw Object.assign(new Error('not found'), { retryable: false });
    });
    await expect(runner.run('kb', marked)).rejects.toThrow('not found');
    expect(typed).toHaveBeenCalledTimes(1);
    expect(marked).toHaveBeenCalledTimes(1);
    expect(retried).not.toHaveBeenCalled();
    // The tool answered: these do not push the breaker towards opening.
    expect(runner.metrics('kb').consecutiveFailures).toBe(0);
  });

  it('honours a custom retry predicate', async () => {
    const runner = new ToolRunner({ retry: { maxAttempts: 3 }, isRetryable: () => false });
    const fn = failing(1);
    await expect(runner.run('kb', fn)).rejects.toThrow('boom 1');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('unsubscribes listeners', async () => {
    const runner = new ToolRunner({ retry: { maxAttempts: 2, initialDelayMs: 5, jitter: 0 } });
    driveRetries(runner);
    const listener = vi.fn();
    const off = runner.onRetry(listener);
    off();
    await runner.run('kb', failing(1));
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('ToolRunner timeouts', () => {
  it('ends a hanging attempt that ignores its signal at exactly its timeout, and aborts the signal', async () => {
    const runner = new ToolRunner({ timeouts: { kb: 1000 }, retry: { maxAttempts: 1 } });
    let seen: AbortSignal | undefined;
    const call = runner.run('kb', ({ signal }) => {
      seen = signal;
      return new Promise<string>(() => {});
    });
    const outcome = call.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(ToolTimeoutError);
    expect(isToolTimeoutError(error)).toBe(true);
    expect((error as ToolTimeoutError).timeoutMs).toBe(1000);
    expect(seen?.aborted).toBe(true);
    expect(runner.metrics('kb')).toMatchObject({ timeouts: 1, failures: 1 });
  });

  it('retries a timed-out attempt (timeouts are retryable) and uses the per-call override', async () => {
    const runner = new ToolRunner({
      timeoutMs: 5000,
      retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 },
    });
    driveRetries(runner);
    let attempts = 0;
    const call = runner.run(
      'kb',
      ({ attempt }) => {
        attempts = attempt;
        return attempt === 1 ? new Promise<string>(() => {}) : Promise.resolve('second');
      },
      { timeoutMs: 50 },
    );
    await vi.advanceTimersByTimeAsync(50);
    await expect(call).resolves.toBe('second');
    expect(attempts).toBe(2);
    expect(runner.metrics('kb')).toMatchObject({ timeouts: 1, retries: 1, successes: 1 });
  });

  it('reports the timeout, not the tool’s own AbortError, when a tool honours its signal', async () => {
    const runner = new ToolRunner({ timeoutMs: 20, retry: { maxAttempts: 1 } });
    const call = runner.run(
      'kb',
      ({ signal }) =>
        new Promise<string>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const outcome = call.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(20);
    expect(await outcome).toBeInstanceOf(ToolTimeoutError);
  });
});

describe('ToolRunner circuit breaker', () => {
  it('opens after N consecutive failures and then fails fast without invoking the tool', async () => {
    const runner = new ToolRunner({
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 3, resetTimeoutMs: 10_000 },
    });
    const breaks: number[] = [];
    runner.onBreak(({ consecutiveFailures }) => breaks.push(consecutiveFailures));
    const fn = failing(100);
    for (let i = 0; i < 3; i += 1) await expect(runner.run('kb', fn)).rejects.toThrow(`boom ${i + 1}`);
    expect(breaks).toEqual([3]);
    expect(runner.circuitState('kb')).toBe('open');
    const error = await runner.run('kb', fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(isCircuitOpenError(error)).toBe(true);
    expect((error as CircuitOpenError).retryAfterMs).toBe(10_000);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(runner.metrics('kb')).toMatchObject({ circuitState: 'open', shortCircuits: 1, calls: 4 });
    // Latency figures cover only the three calls that reached the tool.
    expect(runner.metrics('kb').latencyMs).not.toBeNull();
    // Other tools have their own breaker.
    await expect(runner.run('memory', async () => 'fine')).resolves.toBe('fine');
  });

  it('a success resets the consecutive count', async () => {
    const runner = new ToolRunner({ retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 2 } });
    await expect(runner.run('kb', failing(1))).rejects.toThrow();
    await runner.run('kb', async () => 'ok');
    await expect(runner.run('kb', failing(1))).rejects.toThrow();
    expect(runner.circuitState('kb')).toBe('closed');
  });

  it('half-opens after its reset time, lets one probe through, and closes on its success', async () => {
    const runner = new ToolRunner({
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 5000 },
    });
    const halfOpened = vi.fn();
    const reset = vi.fn();
    runner.onHalfOpen(halfOpened);
    runner.onReset(reset);
    await expect(runner.run('kb', failing(1))).rejects.toThrow('boom 1');
    await vi.advanceTimersByTimeAsync(4999);
    await expect(runner.run('kb', async () => 'early')).rejects.toBeInstanceOf(CircuitOpenError);
    await vi.advanceTimersByTimeAsync(1);
    expect(runner.circuitState('kb')).toBe('halfOpen');

    let release: (value: string) => void = () => {};
    const probe = runner.run('kb', () => new Promise<string>((resolve) => (release = resolve)));
    // While the probe is in flight every other call fails fast.
    const other = vi.fn(async () => 'other');
    await expect(runner.run('kb', other)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 0 });
    expect(other).not.toHaveBeenCalled();
    expect(halfOpened).toHaveBeenCalledTimes(1);
    release('probe ok');
    await expect(probe).resolves.toBe('probe ok');
    expect(reset).toHaveBeenCalledTimes(1);
    expect(runner.circuitState('kb')).toBe('closed');
    await expect(runner.run('kb', other)).resolves.toBe('other');
  });

  it('re-opens when the probe fails', async () => {
    const runner = new ToolRunner({
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 1000 },
    });
    const breaks = vi.fn();
    runner.onBreak(breaks);
    const fn = failing(100);
    await expect(runner.run('kb', fn)).rejects.toThrow();
    await expect(runner.run('kb', fn)).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(1000);
    await expect(runner.run('kb', fn)).rejects.toThrow('boom 3');
    expect(breaks).toHaveBeenCalledTimes(2);
    expect(runner.circuitState('kb')).toBe('open');
    await expect(runner.run('kb', fn)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(fn).toHaveBeenCalledTimes(3);
  });
});

describe('ToolRunner abort', () => {
  it('ends the call at once when the signal aborts during a backoff wait', async () => {
    const runner = new ToolRunner({ retry: { maxAttempts: 3, initialDelayMs: 60_000, jitter: 0 } });
    const controller = new AbortController();
    runner.onRetry(() => queueMicrotask(() => controller.abort(new Error('user left'))));
    const fn = failing(100);
    const error = await runner.run('kb', fn, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationAbortedError);
    expect((error as OperationAbortedError).cause).toMatchObject({ message: 'user left' });
    expect(fn).toHaveBeenCalledTimes(1);
    // The 60 s backoff timer was cleared, not left to fire.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends the call at once when the signal aborts during an attempt that ignores it', async () => {
    const runner = new ToolRunner({ timeoutMs: 60_000 });
    const controller = new AbortController();
    const call = runner.run('kb', () => new Promise<string>(() => {}), { signal: controller.signal });
    const outcome = call.catch((e: unknown) => e);
    controller.abort();
    expect(await outcome).toBeInstanceOf(OperationAbortedError);
    // A caller's abort is not the tool's fault.
    expect(runner.metrics('kb')).toMatchObject({ failures: 0, consecutiveFailures: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not start when the signal is already aborted', async () => {
    const runner = new ToolRunner();
    const fn = vi.fn(async () => 'x');
    await expect(runner.run('kb', fn, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      OperationAbortedError,
    );
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects invalid options with a SessionValidationError naming the option', () => {
    expect(() => new ToolRunner({ retry: { maxAttempts: 0 } })).toThrow(/retry\.maxAttempts/);
    expect(() => new ToolRunner({ retry: { maxAttempts: 0 } })).toThrow(SessionValidationError);
    expect(() => new ToolRunner({ timeouts: { kb: -1 } })).toThrow(
      expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'timeouts.kb' }),
    );
    expect(() => new ToolRunner({ timeouts: { kb: -1 } })).toThrow(/timeouts\.kb/);
    expect(() => new ToolRunner({ retry: { jitter: 2 } })).toThrow(/retry\.jitter/);
    expect(() => new ToolRunner({ circuitBreaker: { failureThreshold: 0 } })).toThrow(/failureThreshold/);
  });
});
