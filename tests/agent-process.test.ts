// CustomerSupportAgent.processMessage on the in-memory store: the turn's effects on the session and the
// tools, the response fields, degraded tools, store failures and the per-turn store cost.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ASK_FOR_DETAILS,
  ESCALATION_NOTICE,
  FALLBACK_MESSAGE,
  GREETING,
  SOURCES_INTRO,
} from '../src/agent/template.js';
import type { GenerationContext } from '../src/agent/types.js';
import {
  CustomerSupportAgent,
  InMemorySessionStore,
  isGenerationTimeoutError,
  isOperationAbortedError,
  isSessionValidationError,
} from '../src/index.js';
import {
  CountingEscalation,
  capturingLogger,
  DiskFullStore,
  FlakyStore,
  KeywordKnowledgeBase,
  RecordingMemory,
  TextAttachments,
} from './helpers/agent-fakes.js';

const REFUNDS =
  'Refunds: items can be returned within 30 days of delivery for a full refund to the original payment method. ' +
  'Opened software and gift cards are excluded from the refund policy; shipping costs are refunded only for defective items.';
const SHIPPING =
  'Shipping: standard delivery takes 3-5 business days; express delivery takes 1-2 business days.';

afterEach(() => {
  vi.useRealTimers();
});

function setup(options: Partial<ConstructorParameters<typeof CustomerSupportAgent>[0]> = {}) {
  const store = new FlakyStore();
  const kb = new KeywordKnowledgeBase([REFUNDS, SHIPPING]);
  const memory = new RecordingMemory();
  const logger = capturingLogger();
  const agent = new CustomerSupportAgent({
    store,
    tools: { knowledgeBase: kb, memory },
    logger,
    retry: { maxAttempts: 1 },
    ...options,
  });
  return { store, kb, memory, logger, agent };
}

describe('processMessage on a new session', () => {
  it('creates the session, counts the message, cites sources and answers with the template', async () => {
    const { store, kb, memory, agent } = setup();
    const response = await agent.processMessage({
      sessionId: 'new-1',
      message: 'What is your refund policy for returned items?',
      requestId: 'req-1',
      userId: 'user-7',
    });
    const session = await store.get('new-1');
    expect(session).toMatchObject({ messageCount: 1, userId: 'user-7', escalated: false });
    expect(kb.queries).toEqual(['What is your refund policy for returned items?']);
    expect(memory.summarizeCalls).toBe(1);
    expect(memory.retrieveCalls).toBe(1);

    expect(response.sources.map((s) => s.id)).toEqual(['doc-1']);
    expect(response.message).toBe([GREETING, SOURCES_INTRO, `1. ${REFUNDS.slice(0, 200)}...`].join('\n\n'));
    expect(response.requiresEscalation).toBe(false);
    expect(response.confidence).toBeGreaterThan(0.5);
    expect(response.confidence).toBeLessThanOrEqual(1);
    expect(response.toolsUsed.sort()).toEqual(['knowledgeBase', 'memory']);
    expect(response.processingTimeMs).toBeGreaterThanOrEqual(0);
    expect(response.metadata).toMatchObject({
      sessionId: 'new-1',
      requestId: 'req-1',
      messageCount: 1,
      threadId: session?.threadId,
      factsExtracted: 0,
      toolErrors: [],
    });
    expect(response.metadata.ticketId).toBeUndefined();
    expect(response.metadata.toolMetrics.knowledgeBase).toMatchObject({ calls: 1, successes: 1 });
    // The answer is over 100 characters, so it is remembered next to the message.
    expect(memory.contents('new-1')).toEqual([
      'User: What is your refund policy for returned items?',
      `Agent: ${response.message.slice(0, 200)}`,
    ]);
  });

  it('counts later messages, greets only once, and hands memory to the generator', async () => {
    const contexts: GenerationContext[] = [];
    const { store, agent } = setup({
      generateResponse: (context) => {
        contexts.push(context);
        return `answer ${context.messageCount}`;
      },
    });
    await agent.processMessage({ sessionId: 's', message: 'hello there' });
    const second = await agent.processMessage({
      sessionId: 's',
      message: 'standard shipping business days?',
    });
    expect(second.message).toBe('answer 2');
    expect(second.metadata.messageCount).toBe(2);
    expect((await store.get('s'))?.messageCount).toBe(2);
    expect(contexts[0]?.memoryContext).toBe('');
    expect(contexts[1]?.memoryContext).toContain('Known: 1 notes.');
    expect(contexts[1]?.memoryContext).toContain('- User: hello there');
    expect(contexts[1]?.sources[0]?.content).toBe(SHIPPING);
    expect(contexts[1]?.session.threadId).toBe((await store.get('s'))?.threadId);
  });

  it('asks for details when it has nothing to say after the first message', async () => {
    const { agent } = setup();
    await agent.processMessage({ sessionId: 'd', message: 'hi' });
    const second = await agent.processMessage({ sessionId: 'd', message: 'hmm' });
    expect(second.message).toBe(ASK_FOR_DETAILS);
    expect(second.sources).toEqual([]);
  });

  it('extracts facts, stores them in memory, and logs only redacted text', async () => {
    const { logger, agent } = setup({
      tools: {
        memory: new RecordingMemory(),
        knowledgeBase: async () => {
          throw new Error('index for jane@example.com unavailable');
        },
      },
    });
    const response = await agent.processMessage({
      sessionId: 'facts',
      message: 'I am jane@example.com, call 555-123-4567 about order #A-12345 placed 2024-05-12',
    });
    expect(response.metadata.factsExtracted).toBe(3);
    expect(response.metadata.facts.map((f) => f.text)).toEqual([
      'User email: jane@example.com',
      'User phone: 555-123-4567',
      'Reference number: A-12345 (order)',
    ]);
    const log = logger.lines.join('\n');
    expect(log).toContain('[email]');
    expect(log).not.toContain('jane@example.com');
    expect(log).not.toContain('555-123-4567');
    expect(response.metadata.toolErrors).toEqual([
      { tool: 'knowledgeBase', error: 'index for [email] unavailable', code: 'TOOL_INIT_FAILED' },
    ]);
  });

  it('writes facts to memory as fact entries', async () => {
    const { memory, agent } = setup();
    await agent.processMessage({ sessionId: 'm', message: 'email me at a@b.io re ticket 9911' });
    expect(memory.entries.get('m')?.filter((e) => e.contentType === 'fact')).toEqual([
      { content: 'User email: a@b.io', contentType: 'fact', importance: 0.8 },
      { content: 'Reference number: 9911 (ticket)', contentType: 'fact', importance: 0.8 },
    ]);
  });

  it('learns the userId on a later turn when the session had none', async () => {
    const { store, agent } = setup();
    await agent.processMessage({ sessionId: 'u', message: 'hi' });
    await agent.processMessage({ sessionId: 'u', message: 'hi again', userId: 'late' });
    expect(await store.get('u')).toMatchObject({ userId: 'late', messageCount: 2 });
  });
});

describe('processMessage with attachments', () => {
  it('processes each attachment and indexes its chunks with source metadata', async () => {
    const attachments = new TextAttachments();
    const kb = new KeywordKnowledgeBase();
    const contexts: GenerationContext[] = [];
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: { knowledgeBase: kb, attachments },
      generateResponse: (c) => {
        contexts.push(c);
        return 'ok';
      },
    });
    const response = await agent.processMessage({
      sessionId: 'att',
      requestId: 'r-att',
      message: 'warranty terms in my invoice?',
      attachments: [
        { filename: 'invoice.txt', content: 'Invoice 77\n\nWarranty terms: two years on parts.' },
        { filename: 'notes.txt', content: new TextEncoder().encode('Unrelated note') },
      ],
    });
    expect(attachments.processed.sort()).toEqual(['invoice.txt', 'notes.txt']);
    expect(kb.docs.map((d) => d.content)).toContain('Warranty terms: two years on parts.');
    expect(kb.docs.find((d) => d.content.startsWith('Warranty'))?.metadata).toEqual({
      source: 'invoice.txt',
      type: 'user_upload',
      sessionId: 'att',
      requestId: 'r-att',
    });
    // The uploaded chunk is searchable in the same turn.
    expect(response.sources.map((s) => s.content)).toContain('Warranty terms: two years on parts.');
    expect(contexts[0]?.attachments.map((a) => a.filename).sort()).toEqual(['invoice.txt', 'notes.txt']);
    expect(response.toolsUsed.sort()).toEqual(['attachments', 'knowledgeBase']);
  });

  it('reports attachments it cannot process without an attachments tool', async () => {
    const agent = new CustomerSupportAgent({ store: new InMemorySessionStore() });
    const response = await agent.processMessage({
      sessionId: 'noatt',
      message: 'see file',
      attachments: [{ filename: 'a.pdf' }],
    });
    expect(response.metadata.toolErrors).toEqual([
      { tool: 'attachments', error: 'no attachments tool is configured', code: 'TOOL_MISSING' },
    ]);
  });
});

describe('processMessage degrades when a tool fails', () => {
  it('answers without sources and lists the failing knowledge base in toolErrors', async () => {
    const memory = new RecordingMemory();
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: {
        memory,
        knowledgeBase: {
          search: async () => {
            throw new Error('vector index offline');
          },
        },
      },
      retry: { maxAttempts: 2, initialDelayMs: 1 },
    });
    const response = await agent.processMessage({ sessionId: 'kb-down', message: 'refund policy?' });
    expect(response.sources).toEqual([]);
    expect(response.message).toBe(GREETING);
    expect(response.metadata.toolErrors).toEqual([{ tool: 'knowledgeBase', error: 'vector index offline' }]);
    expect(response.metadata.toolMetrics.knowledgeBase).toMatchObject({
      failures: 2,
      retries: 1,
      successes: 0,
    });
    expect(response.toolsUsed).toEqual(['memory']);
    expect(memory.contents('kb-down')).toEqual(['User: refund policy?']);
  });

  it('answers when the knowledge base hangs past its timeout', async () => {
    vi.useFakeTimers();
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: { knowledgeBase: { search: () => new Promise(() => {}) } },
      timeouts: { knowledgeBase: 2000 },
      retry: { maxAttempts: 1 },
    });
    const pending = agent.processMessage({ sessionId: 'hang', message: 'refund policy?' });
    await vi.advanceTimersByTimeAsync(2000);
    const response = await pending;
    expect(response.message).toBe(GREETING);
    expect(response.metadata.toolErrors).toEqual([
      {
        tool: 'knowledgeBase',
        code: 'TOOL_TIMEOUT',
        error: expect.stringContaining('did not answer within 2000 ms'),
      },
    ]);
  });

  it('fails fast once the breaker is open', async () => {
    const search = vi.fn(async () => {
      throw new Error('down');
    });
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: { knowledgeBase: { search } },
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
    });
    for (let i = 0; i < 3; i += 1) await agent.processMessage({ sessionId: 'cb', message: `q${i}` });
    const last = await agent.processMessage({ sessionId: 'cb', message: 'q3' });
    expect(search).toHaveBeenCalledTimes(2);
    expect(last.metadata.toolErrors[0]).toMatchObject({ tool: 'knowledgeBase', code: 'CIRCUIT_OPEN' });
    expect(last.metadata.toolMetrics.knowledgeBase).toMatchObject({ circuitState: 'open', shortCircuits: 2 });
  });

  it('falls back to the rules when the escalation tool cannot decide', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: {
        escalation: {
          shouldEscalate: async () => {
            throw new Error('classifier down');
          },
          createTicket: async () => ({ ticketId: 'T-RULES' }),
        },
      },
      retry: { maxAttempts: 1 },
    });
    const response = await agent.processMessage({ sessionId: 'esc-rules', message: 'I want a human now' });
    expect(response.requiresEscalation).toBe(true);
    expect(response.metadata.ticketId).toBe('T-RULES');
    expect(response.metadata.escalationReasons).toEqual(['human_requested']);
    expect(response.metadata.toolErrors).toEqual([{ tool: 'escalation', error: 'classifier down' }]);
  });
});

describe('processMessage when the store fails', () => {
  it('returns the documented fallback response and calls no tool', async () => {
    const { store, kb, memory, agent } = setup();
    store.down = true;
    const response = await agent.processMessage({
      sessionId: 'down',
      message: 'refund policy?',
      requestId: 'r',
    });
    expect(response).toMatchObject({
      message: FALLBACK_MESSAGE,
      sources: [],
      requiresEscalation: true,
      confidence: 0,
      toolsUsed: [],
    });
    expect(response.metadata).toMatchObject({
      error: 'STORE_UNAVAILABLE',
      sessionId: 'down',
      requestId: 'r',
      messageCount: null,
    });
    expect(kb.queries).toEqual([]);
    expect(memory.summarizeCalls).toBe(0);
  });

  it('returns the fallback when the store fails mid-turn (during escalation)', async () => {
    const store = new FlakyStore();
    const escalation = new CountingEscalation();
    const agent = new CustomerSupportAgent({
      store,
      tools: {
        escalation: {
          shouldEscalate: async (input) => {
            store.down = true;
            return escalation.shouldEscalate(input);
          },
          createTicket: (r) => escalation.createTicket(r),
        },
      },
    });
    const response = await agent.processMessage({ sessionId: 'mid', message: 'help' });
    expect(response.metadata).toMatchObject({ error: 'STORE_UNAVAILABLE', messageCount: 1 });
    expect(response.requiresEscalation).toBe(true);
    expect(escalation.ticketCalls).toBe(0);
  });

  it('a custom backend throwing a plain Error gives the same fallback, the cause kept', async () => {
    const store = new DiskFullStore();
    store.failing = true;
    const logger = capturingLogger();
    const agent = new CustomerSupportAgent({ store, logger });
    const response = await agent.processMessage({ sessionId: 'disk', message: 'hi', requestId: 'r' });
    expect(response).toMatchObject({ message: FALLBACK_MESSAGE, requiresEscalation: true, confidence: 0 });
    expect(response.metadata).toMatchObject({ error: 'SESSION_STORE_ERROR', messageCount: null });
    expect(logger.lines.join('\n')).toMatch(/session store failed.*SESSION_STORE_ERROR.*disk full/);
  });

  it('a plain Error from the store mid-turn (during escalation) gives the fallback too', async () => {
    const store = new DiskFullStore();
    const agent = new CustomerSupportAgent({
      store,
      tools: {
        escalation: {
          shouldEscalate: async () => {
            store.failing = true;
            return { escalate: true, reasons: ['test'], confidence: 1 };
          },
          createTicket: async () => ({ ticketId: 'T-never' }),
        },
      },
    });
    const response = await agent.processMessage({ sessionId: 'disk-mid', message: 'help' });
    expect(response.metadata).toMatchObject({ error: 'SESSION_STORE_ERROR', messageCount: 1 });
    expect(response.message).toBe(FALLBACK_MESSAGE);
  });

  it('returns the fallback with STORE_CLOSED on a closed store', async () => {
    const store = new InMemorySessionStore();
    await store.close();
    const agent = new CustomerSupportAgent({ store });
    const response = await agent.processMessage({ sessionId: 'closed', message: 'hi' });
    expect(response.metadata.error).toBe('STORE_CLOSED');
    expect(response.message).toBe(FALLBACK_MESSAGE);
  });

  it('returns the fallback with GENERATION_FAILED when the host generator throws', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      generateResponse: () => {
        throw new Error('LLM quota exceeded');
      },
    });
    const response = await agent.processMessage({ sessionId: 'gen', message: 'hi' });
    expect(response).toMatchObject({ message: FALLBACK_MESSAGE, requiresEscalation: true, confidence: 0 });
    expect(response.metadata).toMatchObject({ error: 'GENERATION_FAILED', messageCount: 1 });
  });
});

describe('processMessage when generation outlives timeouts.generate', () => {
  it('a generator that never settles ends the turn with the fallback and an aborted signal', async () => {
    let seen: AbortSignal | undefined;
    const logger = capturingLogger();
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      logger,
      timeouts: { generate: 20 },
      generateResponse: ({ signal }) => {
        seen = signal;
        return new Promise<string>(() => {});
      },
    });
    const response = await agent.processMessage({ sessionId: 'hang', message: 'hi' });
    expect(response).toMatchObject({ message: FALLBACK_MESSAGE, requiresEscalation: true, confidence: 0 });
    expect(response.metadata).toMatchObject({ error: 'GENERATION_TIMEOUT', messageCount: 1 });
    expect(seen?.aborted).toBe(true);
    expect(isGenerationTimeoutError(seen?.reason)).toBe(true);
    expect(seen?.reason).toMatchObject({ timeoutMs: 20 });
    expect(logger.lines.join('\n')).toMatch(/GENERATION_TIMEOUT.*within 20 ms/);
  });

  it('a generator that rejects with its own AbortError when aborted is still a timeout', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      timeouts: { generate: 10 },
      generateResponse: ({ signal }) =>
        new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    });
    const response = await agent.processMessage({ sessionId: 'hang-2', message: 'hi' });
    expect(response.metadata.error).toBe('GENERATION_TIMEOUT');
  });

  it('a generator within its limit is not cut short, and its signal stays quiet', async () => {
    let seen: AbortSignal | undefined;
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      timeouts: { generate: 5_000 },
      generateResponse: async ({ signal }) => {
        seen = signal;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return 'Answer.';
      },
    });
    const response = await agent.processMessage({ sessionId: 'fast', message: 'hi' });
    expect(response.message).toBe('Answer.');
    expect(response.metadata.error).toBeUndefined();
    expect(seen?.aborted).toBe(false);
  });
});

describe('processMessage input and lifecycle', () => {
  it('rejects bad input with SessionValidationError naming the field', async () => {
    const agent = new CustomerSupportAgent({ store: new InMemorySessionStore() });
    const empty = await agent.processMessage({ sessionId: '', message: 'x' }).catch((e: unknown) => e);
    expect(isSessionValidationError(empty)).toBe(true);
    const notText = await agent
      .processMessage({ sessionId: 'a', message: 42 as unknown as string })
      .catch((e: unknown) => e);
    expect(notText).toMatchObject({ code: 'SESSION_VALIDATION', field: 'message' });
    expect(() => new CustomerSupportAgent({} as never)).toThrow(/store option is required/);
  });

  it('rejects with OperationAbortedError when the signal aborts mid-turn', async () => {
    const controller = new AbortController();
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: {
        knowledgeBase: {
          search: () => {
            controller.abort();
            return new Promise(() => {});
          },
        },
      },
    });
    const error = await agent
      .processMessage({ sessionId: 'ab', message: 'q', signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isOperationAbortedError(error)).toBe(true);
  });

  it('an abort while memory is still loading leaves no unhandled rejection behind', async () => {
    const controller = new AbortController();
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: {
        memory: {
          summarize: () => new Promise(() => {}),
          retrieve: () => new Promise(() => {}),
          store: async () => {},
        },
        knowledgeBase: {
          search: async () => {
            controller.abort();
            return [];
          },
        },
      },
    });
    const error = await agent
      .processMessage({ sessionId: 'ab2', message: 'q', signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isOperationAbortedError(error)).toBe(true);
    // Vitest fails the run on an unhandled rejection; give one a chance to surface.
    await new Promise((r) => setTimeout(r, 10));
  });

  it('a throwing host escalation policy degrades to "no escalation" and is reported', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      escalationPolicy: () => {
        throw new Error('policy bug');
      },
    });
    const response = await agent.processMessage({ sessionId: 'pol', message: 'get me a human' });
    expect(response.requiresEscalation).toBe(false);
    expect(response.metadata.toolErrors).toEqual([{ tool: 'escalationPolicy', error: 'policy bug' }]);
  });

  it('a host escalation policy function replaces the rules', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      escalationPolicy: ({ message }) => ({
        escalate: message.includes('refund'),
        reasons: ['vip'],
        confidence: 0.6,
      }),
    });
    const calm = await agent.processMessage({ sessionId: 'pf', message: 'I want a human' });
    expect(calm.requiresEscalation).toBe(false);
    const vip = await agent.processMessage({ sessionId: 'pf', message: 'refund please' });
    expect(vip).toMatchObject({
      requiresEscalation: true,
      confidence: 0.6,
      metadata: { escalationReasons: ['vip'] },
    });
  });

  it('initialises factories concurrently, reports failures, and cleans up without closing the store', async () => {
    const order: string[] = [];
    let releaseKb: () => void = () => {};
    const memory = new RecordingMemory();
    const store = new InMemorySessionStore();
    const agent = new CustomerSupportAgent({
      store,
      tools: {
        knowledgeBase: async () => {
          order.push('kb:start');
          await new Promise<void>((r) => (releaseKb = r));
          order.push('kb:end');
          return new KeywordKnowledgeBase([SHIPPING]);
        },
        memory: async () => {
          order.push('memory:start');
          return memory;
        },
        escalation: async () => {
          throw new Error('no ticket system credentials');
        },
      },
    });
    const init = agent.initialize();
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['kb:start', 'memory:start']);
    releaseKb();
    const report = await init;
    expect(report.ready.sort()).toEqual(['knowledgeBase', 'memory']);
    expect(report.failed).toEqual([{ tool: 'escalation', error: 'no ticket system credentials' }]);
    expect(agent.initialize()).toBe(init);
    await agent.close();
    await agent.close();
    expect(memory.cleanedUp).toBe(1);
    expect(await store.ping()).toBe(true);
    await expect(agent.processMessage({ sessionId: 'x', message: 'y' })).rejects.toMatchObject({
      code: 'AGENT_CLOSED',
    });
  });
});

describe('per-turn store cost', () => {
  it('uses beginTurn + appendItems only, never countActive/getStats/listActive', async () => {
    const { store, agent } = setup();
    for (let i = 0; i < 50; i += 1) await store.set(`other-${i}`, {});
    await agent.processMessage({ sessionId: 'cost', message: 'refund policy?' });
    store.calls.length = 0;
    await agent.processMessage({ sessionId: 'cost', message: 'shipping?' });
    expect(store.calls).toEqual(['beginTurn', 'appendItems']);
  });

  it('an escalated session costs nothing more per turn and keeps its ticket', async () => {
    const { store, agent } = setup();
    const first = await agent.processMessage({ sessionId: 'esc', message: 'Get me a human agent' });
    expect(first.requiresEscalation).toBe(true);
    expect(first.message).toContain(ESCALATION_NOTICE);
    expect(first.message).toContain(`Your ticket number is: ${first.metadata.ticketId}`);
    store.calls.length = 0;
    const later = await agent.processMessage({ sessionId: 'esc', message: 'thanks' });
    expect(store.calls).toEqual(['beginTurn', 'appendItems']);
    expect(later.requiresEscalation).toBe(true);
    expect(later.metadata.ticketId).toBe(first.metadata.ticketId);
  });

  it('a first escalation adds two writes: the claim and the ticket id', async () => {
    const { store, agent } = setup();
    await agent.processMessage({ sessionId: 'esc2', message: 'hello' });
    store.calls.length = 0;
    await agent.processMessage({ sessionId: 'esc2', message: 'This is unacceptable, I will sue' });
    expect(store.calls).toEqual(['beginTurn', 'update', 'update', 'appendItems']);
    expect(await store.get('esc2')).toMatchObject({
      escalated: true,
      metadata: { escalationReasons: ['legal', 'frustration'] },
    });
  });
});
