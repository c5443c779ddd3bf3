// What one agent turn costs the store, kind by kind, as the README states it: a plain turn 2 calls, a
// turn that gives a session its userId 3, the turn that escalates 4, a turn on an escalated session 2.
// Each store call is one command on Redis (tests/agent-redis.test.ts counts them on the wire).
import { describe, expect, it } from 'vitest';
import {
  CustomerSupportAgent,
  InMemorySessionStore,
  type SessionData,
  type SessionInput,
  type SessionPatch,
} from '../src/index.js';
import type { GetOptions, GetOrCreateResult, TtlOptions, UpdateOptions } from '../src/store/SessionStore.js';

/** An in-memory store that records the name of every data call made on it. */
class CountingStore extends InMemorySessionStore {
  calls: string[] = [];
  override get(id: string, options?: GetOptions): Promise<SessionData | null> {
    this.calls.push('get');
    return super.get(id, options);
  }
  override set(id: string, data: SessionInput, options?: TtlOptions): Promise<SessionData> {
    this.calls.push('set');
    return super.set(id, data, options);
  }
  override getOrCreate(id: string, init?: SessionInput, options?: TtlOptions): Promise<GetOrCreateResult> {
    this.calls.push('getOrCreate');
    return super.getOrCreate(id, init, options);
  }
  override update(id: string, patch: SessionPatch, options?: UpdateOptions): Promise<SessionData | null> {
    this.calls.push('update');
    return super.update(id, patch, options);
  }
  override incrementCounter(id: string, field: string, delta?: number): Promise<number | null> {
    this.calls.push('incrementCounter');
    return super.incrementCounter(id, field, delta);
  }
  override touch(id: string, options?: TtlOptions): Promise<boolean> {
    this.calls.push('touch');
    return super.touch(id, options);
  }
  /** The calls made by `run`. */
  async during(run: () => Promise<unknown>): Promise<string[]> {
    this.calls = [];
    await run();
    return this.calls;
  }
}

describe('store calls per agent turn', () => {
  it('plain 2, adding a userId 3, escalating 4, after escalation 2', async () => {
    const store = new CountingStore();
    let tickets = 0;
    const agent = new CustomerSupportAgent({
      store,
      tools: {
        escalation: {
          async createTicket() {
            tickets += 1;
            return { ticketId: 'T-1' };
          },
        },
      },
    });
    const turn = (message: string, userId?: string) =>
      store.during(() => agent.processMessage({ sessionId: 'c-1', message, ...(userId ? { userId } : {}) }));

    expect(await turn('Hello')).toEqual(['getOrCreate', 'incrementCounter']);
    expect(await turn('How long does shipping take?')).toEqual(['getOrCreate', 'incrementCounter']);
    expect(await turn('I am signed in now', 'user-7')).toEqual(['getOrCreate', 'incrementCounter', 'update']);
    expect(await turn('Still me', 'user-7')).toEqual(['getOrCreate', 'incrementCounter']);
    // The claim (a version-checked update) and the ticket id recorded after createTicket.
    expect(await turn('I want to speak to a human now!')).toEqual([
      'getOrCreate',
      'incrementCounter',
      'update',
      'update',
    ]);
    expect(tickets).toBe(1);
    // The session carries its ticket: later turns report it without another write.
    expect(await turn('Any news? I want a human!')).toEqual(['getOrCreate', 'incrementCounter']);
    expect(tickets).toBe(1);
    await agent.close();
    await store.close();
  });
});
