// What one agent turn costs the store, kind by kind, as the README states it: a plain turn 2 calls
// (beginTurn, appendItems), a turn that gives a session its userId 3, the turn that escalates 4, a turn on
// an escalated session 2, a turn whose generator fails 2. Each store call is one command on Redis
// (tests/agent-redis.test.ts counts them on the wire).
import { describe, expect, it } from 'vitest';
import {
  CustomerSupportAgent,
  InMemorySessionStore,
  type SessionData,
  type SessionInput,
  type SessionPatch,
} from '../src/index.js';
import type {
  GetOptions,
  GetOrCreateResult,
  HistoryItemInput,
  TtlOptions,
  UpdateOptions,
} from '../src/store/SessionStore.js';
import type { AppendItemsOptions, BeginTurnOptions, BeginTurnResult } from '../src/store/types.js';

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
  override beginTurn(id: string, init?: SessionInput, options?: BeginTurnOptions): Promise<BeginTurnResult> {
    this.calls.push('beginTurn');
    return super.beginTurn(id, init, options);
  }
  override appendItems(
    id: string,
    items: readonly HistoryItemInput[],
    options?: AppendItemsOptions,
  ): Promise<number> {
    this.calls.push('appendItems');
    return super.appendItems(id, items, options);
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

    expect(await turn('Hello')).toEqual(['beginTurn', 'appendItems']);
    expect(await turn('How long does shipping take?')).toEqual(['beginTurn', 'appendItems']);
    expect(await turn('I am signed in now', 'user-7')).toEqual(['beginTurn', 'update', 'appendItems']);
    expect(await turn('Still me', 'user-7')).toEqual(['beginTurn', 'appendItems']);
    // The claim (a version-checked update) and the ticket id recorded after createTicket.
    expect(await turn('I want to speak to a human now!')).toEqual([
      'beginTurn',
      'update',
      'update',
      'appendItems',
    ]);
    expect(tickets).toBe(1);
    // The session carries its ticket: later turns report it without another write.
    expect(await turn('Any news? I want a human!')).toEqual(['beginTurn', 'appendItems']);
    expect(tickets).toBe(1);
    await agent.close();
    await store.close();
  });
});

describe('store calls of a turn that falls back', () => {
  it('a failed generator: 2, the question and the apology recorded', async () => {
    const store = new CountingStore();
    const agent = new CustomerSupportAgent({
      store,
      generateResponse: () => {
        throw new Error('model down');
      },
    });
    const calls = await store.during(() => agent.processMessage({ sessionId: 'f-1', message: 'Hello' }));
    expect(calls).toEqual(['beginTurn', 'appendItems']);
    await agent.close();
    await store.close();
  });
});
