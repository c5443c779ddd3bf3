// CustomerSupportAgent's options: one error class naming the option, and the injected clock.
import { describe, expect, it } from 'vitest';
import { InMemorySessionStore } from '../memory/InMemorySessionStore.js';
import { CustomerSupportAgent } from './CustomerSupportAgent.js';
import type { AgentEvent } from './types.js';

const store = new InMemorySessionStore();

describe('CustomerSupportAgent options', () => {
  it.each([
    [{}, 'store'],
    [{ store, generateResponse: 'no' }, 'generateResponse'],
    [{ store, search: { k: 0 } }, 'search.k'],
    [{ store, search: { threshold: Number.NaN } }, 'search.threshold'],
    [{ store, now: 5 }, 'now'],
    [{ store, retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
    [{ store, timeouts: { memory: 0 } }, 'timeouts.memory'],
    [{ store, timeouts: { generate: 0 } }, 'timeouts.generate'],
    [{ store, timeouts: { generate: Number.POSITIVE_INFINITY } }, 'timeouts.generate'],
    [{ store, circuitBreaker: { resetTimeoutMs: -1 } }, 'circuitBreaker.resetTimeoutMs'],
    [{ store, escalationClaim: { pollIntervalMs: 0 } }, 'escalationClaim.pollIntervalMs'],
    [{ store, escalationPolicy: { maxMessages: 0 } }, 'escalationPolicy.maxMessages'],
  ])('rejects %j with SessionValidationError naming %s', (options, field) => {
    expect(() => new CustomerSupportAgent(options as never)).toThrow(
      expect.objectContaining({ name: 'SessionValidationError', code: 'SESSION_VALIDATION', field }),
    );
  });

  it('keeps a default for an option given as undefined', async () => {
    const agent = new CustomerSupportAgent({ store, search: { k: undefined }, retry: { jitter: undefined } });
    await expect(agent.processMessage({ sessionId: 'u', message: 'hi' })).resolves.toMatchObject({
      message: expect.any(String),
    });
  });

  it('stamps events and measures the turn with the injected clock', async () => {
    let time = Date.UTC(2031, 5, 1);
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      now: () => {
        time += 10;
        return time;
      },
    });
    const events: AgentEvent[] = [];
    for await (const event of agent.streamResponse({ sessionId: 'clock', message: 'hello' }))
      events.push(event);
    expect(events.every((e) => e.timestamp.startsWith('2031-06-01T'))).toBe(true);
    const complete = events.at(-1);
    expect(complete?.type).toBe('complete');
    if (complete?.type === 'complete') {
      expect(complete.response.processingTimeMs).toBeGreaterThan(0);
      expect(complete.response.processingTimeMs % 10).toBe(0);
    }
  });
});
