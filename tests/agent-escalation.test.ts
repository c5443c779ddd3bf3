// Exactly-once escalation on the in-memory store: concurrent turns on several agents sharing one store,
// ticket failures, abandoned claims and the bounded wait of the turns that lose the claim.
import { describe, expect, it } from 'vitest';
import { CustomerSupportAgent, InMemorySessionStore, type SessionStore } from '../src/index.js';
import { CountingEscalation } from './helpers/agent-fakes.js';

function agents(store: SessionStore, count: number, escalation?: CountingEscalation) {
  return Array.from(
    { length: count },
    () =>
      new CustomerSupportAgent({
        store,
        tools: escalation === undefined ? {} : { escalation },
        escalationClaim: { pollIntervalMs: 5, waitMs: 5000 },
      }),
  );
}

describe('escalation happens exactly once', () => {
  it('4 agents on one store, 50 concurrent escalating messages: one ticket, reported by every response', async () => {
    const store = new InMemorySessionStore();
    const escalation = new CountingEscalation(undefined, 20);
    const team = agents(store, 4, escalation);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (team[i % 4] as CustomerSupportAgent).processMessage({
          sessionId: 'angry',
          message: `message ${i}: I want to talk to a human!`,
        }),
      ),
    );
    expect(escalation.ticketCalls).toBe(1);
    const ticketIds = new Set(responses.map((r) => r.metadata.ticketId));
    expect([...ticketIds]).toEqual(['T-1']);
    expect(responses.every((r) => r.requiresEscalation)).toBe(true);
    expect(responses.every((r) => r.message.includes('Your ticket number is: T-1'))).toBe(true);
    const session = await store.get('angry');
    expect(session).toMatchObject({ escalated: true, messageCount: 50, metadata: { ticketId: 'T-1' } });
    expect(session?.metadata.escalationClaim).toBeUndefined();
    // The ticket system can deduplicate on the claim id.
    expect(escalation.requests[0]?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(escalation.requests[0]?.summary).toMatch(/^message \d+: I want to talk to a human!$/);
  });

  it('an escalation tool with only createTicket: the rules decide, the tool issues the one ticket', async () => {
    const store = new InMemorySessionStore();
    let calls = 0;
    const agent = new CustomerSupportAgent({
      store,
      tools: {
        escalation: {
          async createTicket() {
            calls += 1;
            return { ticketId: 'ONLY-TICKET' };
          },
        },
      },
    });
    const calm = await agent.processMessage({
      sessionId: 'partial',
      message: 'What are your opening hours?',
    });
    expect(calm.requiresEscalation).toBe(false);
    expect(calm.metadata.toolErrors ?? []).toEqual([]);
    const angry = await agent.processMessage({
      sessionId: 'partial',
      message: 'I want to speak to a human now',
    });
    expect(angry.requiresEscalation).toBe(true);
    expect(angry.metadata.ticketId).toBe('ONLY-TICKET');
    expect(angry.metadata.toolErrors ?? []).toEqual([]);
    expect(calls).toBe(1);
  });

  it('without an escalation tool the rule policy escalates and the agent issues one local ticket id', async () => {
    const store = new InMemorySessionStore();
    const team = agents(store, 4);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (team[i % 4] as CustomerSupportAgent).processMessage({
          sessionId: 'rules',
          message: 'This is unacceptable, get me a real person',
        }),
      ),
    );
    const ids = new Set(responses.map((r) => r.metadata.ticketId));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toMatch(/^ESC-[0-9A-F]{12}$/);
    expect(responses[0]?.metadata.escalationReasons).toEqual(['human_requested', 'frustration']);
    expect(await store.get('rules')).toMatchObject({ escalated: true, metadata: { ticketId: id } });
  });

  it('keeps reporting the same ticket on later, calm turns', async () => {
    const store = new InMemorySessionStore();
    const escalation = new CountingEscalation((m) => ({
      escalate: m.includes('human'),
      reasons: ['human_requested'],
      confidence: 0.9,
    }));
    const [agent] = agents(store, 1, escalation) as [CustomerSupportAgent];
    const first = await agent.processMessage({ sessionId: 'calm', message: 'human please' });
    const later = await agent.processMessage({ sessionId: 'calm', message: 'ok, thanks' });
    expect(first.metadata.ticketId).toBe('T-1');
    expect(later).toMatchObject({ requiresEscalation: true, metadata: { ticketId: 'T-1' } });
    expect(escalation.ticketCalls).toBe(1);
  });
});

describe('escalation failures', () => {
  it('releases the claim when ticket creation fails, so the next escalating turn tries again', async () => {
    const store = new InMemorySessionStore();
    const escalation = new CountingEscalation();
    escalation.failNextTickets = 1;
    const agent = new CustomerSupportAgent({ store, tools: { escalation }, retry: { maxAttempts: 1 } });
    const failed = await agent.processMessage({ sessionId: 'f', message: 'human please' });
    expect(failed.requiresEscalation).toBe(true);
    expect(failed.metadata.ticketId).toBeUndefined();
    expect(failed.metadata.escalationError).toBe('ticket system is down');
    expect(failed.message).not.toContain('Your ticket number is');
    expect(await store.get('f')).toMatchObject({
      escalated: false,
      metadata: { escalationError: { message: 'ticket system is down' } },
    });
    const retried = await agent.processMessage({ sessionId: 'f', message: 'human please' });
    expect(retried.metadata.ticketId).toBe('T-2');
    expect(escalation.ticketCalls).toBe(2);
    // The failed call may have opened a ticket after all: the retry carries the same idempotency key.
    expect(escalation.requests[1]?.idempotencyKey).toBe(escalation.requests[0]?.idempotencyKey);
    expect((await store.get('f'))?.metadata.escalationError).toBeUndefined();
  });

  it('an abort during createTicket releases the claim instead of leaving it to go stale', async () => {
    const store = new InMemorySessionStore();
    const controller = new AbortController();
    const agent = new CustomerSupportAgent({
      store,
      tools: {
        escalation: {
          shouldEscalate: async () => ({ escalate: true, reasons: ['test'], confidence: 0.9 }),
          createTicket: (_request, { signal }) =>
            new Promise((_resolve, reject) => {
              signal.addEventListener('abort', () => reject(signal.reason));
              controller.abort(new Error('client disconnected'));
            }),
        },
      },
    });
    await expect(
      agent.processMessage({ sessionId: 'abort-esc', message: 'help', signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'OPERATION_ABORTED' });
    const session = await store.get('abort-esc');
    expect(session?.escalated).toBe(false);
    expect(session?.metadata.escalationClaim).toBeUndefined();
    expect(session?.metadata.escalationError).toMatchObject({ idempotencyKey: expect.any(String) });
  });

  it('takes over a claim abandoned by a crashed instance', async () => {
    const store = new InMemorySessionStore();
    await store.set('stale', {
      escalated: true,
      metadata: { escalationClaim: { id: 'dead-instance', at: Date.now() - 10 * 60_000 } },
    });
    const escalation = new CountingEscalation(() => ({ escalate: false, reasons: [], confidence: 0.9 }));
    const [agent] = agents(store, 1, escalation) as [CustomerSupportAgent];
    const response = await agent.processMessage({ sessionId: 'stale', message: 'any news?' });
    expect(escalation.ticketCalls).toBe(1);
    expect(escalation.requests[0]?.idempotencyKey).toBe('dead-instance');
    expect(response.metadata.ticketId).toBe('T-1');
    expect(await store.get('stale')).toMatchObject({ escalated: true, metadata: { ticketId: 'T-1' } });
  });

  it('a turn that loses the claim waits a bounded time, then reports the escalation as pending', async () => {
    const store = new InMemorySessionStore();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let ticketCalls = 0;
    const make = () =>
      new CustomerSupportAgent({
        store,
        tools: {
          escalation: {
            shouldEscalate: async () => ({ escalate: true, reasons: ['test'], confidence: 0.9 }),
            createTicket: async () => {
              ticketCalls += 1;
              await gate;
              return { ticketId: 'SLOW-1' };
            },
          },
        },
        retry: { maxAttempts: 1 },
        escalationClaim: { waitMs: 100, pollIntervalMs: 10 },
      });
    const [a, b] = [make(), make()];
    const winner = a.processMessage({ sessionId: 'slow', message: 'help' });
    // Let the winner claim first.
    while (!(await store.get('slow'))?.escalated) await new Promise((r) => setTimeout(r, 1));
    const started = Date.now();
    const loser = await b.processMessage({ sessionId: 'slow', message: 'help!' });
    const waited = Date.now() - started;
    expect(loser.requiresEscalation).toBe(true);
    expect(loser.metadata.escalationPending).toBe(true);
    expect(loser.metadata.ticketId).toBeUndefined();
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(2000);
    release();
    expect((await winner).metadata.ticketId).toBe('SLOW-1');
    expect(ticketCalls).toBe(1);
    const after = await b.processMessage({ sessionId: 'slow', message: 'still there?' });
    expect(after.metadata.ticketId).toBe('SLOW-1');
  });
});
