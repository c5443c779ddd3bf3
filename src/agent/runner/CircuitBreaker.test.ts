// The breaker on an injected clock: no timers, no sleeping.
import { describe, expect, it } from 'vitest';
import { isCircuitOpenError } from '../errors.js';
import { BreakerSettings, CircuitBreaker } from './CircuitBreaker.js';
import { AgentEventEmitter, type BreakEvent, type CircuitEvent } from './events.js';

function breaker(failureThreshold: number, resetTimeoutMs: number) {
  let time = 1_000;
  const events = {
    break: new AgentEventEmitter<BreakEvent>(),
    halfOpen: new AgentEventEmitter<CircuitEvent>(),
    reset: new AgentEventEmitter<CircuitEvent>(),
  };
  const settings = new BreakerSettings({ failureThreshold, resetTimeoutMs }, () => time);
  return {
    breaker: new CircuitBreaker('kb', settings, events),
    events,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

describe('CircuitBreaker', () => {
  it('opens at the threshold and reports the remaining wait from the injected clock', () => {
    const { breaker: b, advance } = breaker(2, 500);
    b.failure(new Error('a'));
    expect(b.state).toBe('closed');
    b.failure(new Error('b'));
    expect(b.state).toBe('open');
    advance(200);
    const error = (() => {
      try {
        b.admit();
      } catch (e) {
        return e;
      }
    })();
    expect(isCircuitOpenError(error)).toBe(true);
    expect(error).toMatchObject({ retryAfterMs: 300 });
    expect(b.shortCircuits).toBe(1);
  });

  it('half-opens after the reset time, admits one probe, and closes on its success', () => {
    const { breaker: b, events, advance } = breaker(1, 500);
    const seen: string[] = [];
    events.halfOpen.subscribe(() => seen.push('halfOpen'));
    events.reset.subscribe(() => seen.push('reset'));
    b.failure(new Error('a'));
    advance(500);
    expect(b.state).toBe('halfOpen');
    expect(b.admit()).toBe(true);
    expect(() => b.admit()).toThrow(expect.objectContaining({ code: 'CIRCUIT_OPEN', retryAfterMs: 0 }));
    b.success();
    expect(b.state).toBe('closed');
    expect(seen).toEqual(['halfOpen', 'reset']);
  });

  it('re-opens when the probe fails, from the time of that failure', () => {
    const { breaker: b, advance } = breaker(3, 500);
    for (let i = 0; i < 3; i += 1) b.failure(new Error('x'));
    advance(500);
    b.admit();
    advance(100);
    b.failure(new Error('probe'));
    expect(b.state).toBe('open');
    advance(499);
    expect(b.state).toBe('open');
    advance(1);
    expect(b.state).toBe('halfOpen');
  });

  it('rejects bad options with SessionValidationError naming the option', () => {
    expect(() => new BreakerSettings({ failureThreshold: 0 }, () => 0)).toThrow(
      expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'circuitBreaker.failureThreshold' }),
    );
  });
});
