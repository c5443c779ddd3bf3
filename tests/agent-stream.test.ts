// CustomerSupportAgent.streamResponse: event order, live forwarding of generator deltas, exactly one
// terminal event on every path, abort, and the same side effects as processMessage.
import { describe, expect, it } from 'vitest';
import { FALLBACK_MESSAGE } from '../src/agent/template.js';
import {
  type AgentEvent,
  CustomerSupportAgent,
  type GenerateResponse,
  InMemorySessionStore,
} from '../src/index.js';
import { DiskFullStore, FlakyStore, KeywordKnowledgeBase, RecordingMemory } from './helpers/agent-fakes.js';

const DOC =
  'Password reset: open Settings, choose Security, then Reset password and follow the emailed link.';

async function collect(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const all: AgentEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

/** Event types with consecutive duplicates collapsed, e.g. text, text → text. */
function shape(events: AgentEvent[]): string[] {
  const types: string[] = [];
  for (const e of events) {
    const name = e.type === 'status' ? `status:${e.stage}` : e.type;
    if (types.at(-1) !== name || name !== 'text') types.push(name);
  }
  return types;
}

function terminals(events: AgentEvent[]): AgentEvent[] {
  return events.filter((e) => e.type === 'complete' || e.type === 'error');
}

function text(events: AgentEvent[]): string {
  return events.map((e) => (e.type === 'text' ? e.delta : '')).join('');
}

describe('streamResponse event order', () => {
  it('start, status…, sources, escalation, text…, complete — and the text is the response', async () => {
    const store = new InMemorySessionStore();
    const memory = new RecordingMemory();
    const agent = new CustomerSupportAgent({
      store,
      tools: { knowledgeBase: new KeywordKnowledgeBase([DOC]), memory },
    });
    const events = await collect(
      agent.streamResponse({
        sessionId: 'st',
        requestId: 'rq',
        message: 'How do I reset my password? Let me speak to a human',
      }),
    );
    expect(shape(events)).toEqual([
      'start',
      'status:session',
      'status:context',
      'status:search',
      'sources',
      'status:escalation',
      'escalation',
      'status:generate',
      'text',
      'status:memory',
      'complete',
    ]);
    expect(events[0]).toMatchObject({ type: 'start', sessionId: 'st', requestId: 'rq' });
    const complete = events.at(-1);
    if (complete?.type !== 'complete') throw new Error('expected complete');
    expect(text(events)).toBe(complete.response.message);
    expect(complete.response.requiresEscalation).toBe(true);
    const escalation = events.find((e) => e.type === 'escalation');
    expect(escalation).toMatchObject({
      reasons: ['human_requested'],
      ticketId: complete.response.metadata.ticketId,
    });
    expect(events.find((e) => e.type === 'sources')).toMatchObject({ sources: [{ content: DOC }] });
    // The template answer arrives as a few deltas (one per paragraph), never word by word with delays.
    expect(events.filter((e) => e.type === 'text').length).toBeGreaterThan(1);
    expect(events.filter((e) => e.type === 'text').length).toBeLessThanOrEqual(6);
  });

  it('a streamed turn counts the message and stores memory like processMessage', async () => {
    const store = new InMemorySessionStore();
    const memory = new RecordingMemory();
    const agent = new CustomerSupportAgent({ store, tools: { memory } });
    await collect(agent.streamResponse({ sessionId: 'side', message: 'first, my email is a@b.io' }));
    await collect(agent.streamResponse({ sessionId: 'side', message: 'second' }));
    expect((await store.get('side'))?.messageCount).toBe(2);
    expect(memory.contents('side')).toEqual([
      'User: first, my email is a@b.io',
      'User email: a@b.io',
      'User: second',
    ]);
  });

  it('omits sources and escalation events when they do not apply', async () => {
    const agent = new CustomerSupportAgent({ store: new InMemorySessionStore() });
    const events = await collect(agent.streamResponse({ sessionId: 'plain', message: 'hello' }));
    expect(shape(events)).toEqual([
      'start',
      'status:session',
      'status:context',
      'status:search',
      'status:escalation',
      'status:generate',
      'text',
      'status:memory',
      'complete',
    ]);
  });
});

describe('streamResponse forwards generator deltas as they arrive', () => {
  it('the consumer sees delta 1 before the generator produces delta 2', async () => {
    let consumerSawOne: () => void = () => {};
    const sawOne = new Promise<void>((r) => (consumerSawOne = r));
    const log: string[] = [];
    const generateResponse: GenerateResponse = () =>
      (async function* () {
        log.push('produce one');
        yield 'one ';
        // If the agent buffered deltas, the consumer could never see "one " here and this would time out.
        await Promise.race([
          sawOne,
          new Promise((_, reject) => setTimeout(() => reject(new Error('delta 1 was not forwarded')), 2000)),
        ]);
        log.push('produce two');
        yield 'two';
      })();
    const agent = new CustomerSupportAgent({ store: new InMemorySessionStore(), generateResponse });
    const events: AgentEvent[] = [];
    for await (const event of agent.streamResponse({ sessionId: 'live', message: 'hi' })) {
      events.push(event);
      if (event.type === 'text') {
        log.push(`consume ${event.delta.trim()}`);
        if (event.delta === 'one ') consumerSawOne();
      }
    }
    expect(log).toEqual(['produce one', 'consume one', 'produce two', 'consume two']);
    expect(events.at(-1)).toMatchObject({ type: 'complete', response: { message: 'one two' } });
  });

  it('a string from the generator arrives as one delta', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      generateResponse: async () => 'whole answer',
    });
    const events = await collect(agent.streamResponse({ sessionId: 'str', message: 'hi' }));
    expect(events.filter((e) => e.type === 'text')).toMatchObject([{ delta: 'whole answer' }]);
  });
});

describe('streamResponse ends with exactly one terminal event', () => {
  it('a generator that throws mid-stream ends with one error carrying the fallback response', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      generateResponse: () =>
        (async function* () {
          yield 'partial ';
          throw new Error('model crashed');
        })(),
    });
    const events = await collect(agent.streamResponse({ sessionId: 'boom', message: 'hi' }));
    expect(terminals(events)).toHaveLength(1);
    const last = events.at(-1);
    expect(last).toMatchObject({
      type: 'error',
      code: 'GENERATION_FAILED',
      message: 'model crashed',
      response: { message: FALLBACK_MESSAGE, confidence: 0, metadata: { error: 'GENERATION_FAILED' } },
    });
  });

  it('a failing tool still completes, once, with toolErrors', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: {
        knowledgeBase: {
          search: async () => {
            throw new Error('search cluster red');
          },
        },
      },
      retry: { maxAttempts: 1 },
    });
    const events = await collect(agent.streamResponse({ sessionId: 'tool', message: 'hi' }));
    expect(terminals(events)).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      type: 'complete',
      response: { metadata: { toolErrors: [{ tool: 'knowledgeBase', error: 'search cluster red' }] } },
    });
    expect(events.some((e) => e.type === 'sources')).toBe(false);
  });

  it('a store failure ends with one error carrying the fallback response', async () => {
    const store = new FlakyStore();
    store.down = true;
    const agent = new CustomerSupportAgent({ store });
    const events = await collect(agent.streamResponse({ sessionId: 'down', message: 'hi' }));
    expect(terminals(events)).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'STORE_UNAVAILABLE',
      response: { requiresEscalation: true, metadata: { error: 'STORE_UNAVAILABLE' } },
    });
  });

  it('a plain Error from a custom backend ends with the same error event, its message kept', async () => {
    const store = new DiskFullStore();
    store.failing = true;
    const agent = new CustomerSupportAgent({ store });
    const events = await collect(agent.streamResponse({ sessionId: 'disk', message: 'hi' }));
    expect(terminals(events)).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'SESSION_STORE_ERROR',
      message: 'The session store failed: disk full',
      response: { requiresEscalation: true, metadata: { error: 'SESSION_STORE_ERROR' } },
    });
  });

  it('a generator that stalls mid-answer ends with GENERATION_TIMEOUT after the deltas it gave', async () => {
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      timeouts: { generate: 20 },
      generateResponse: async function* () {
        yield 'Let me ';
        await new Promise(() => {});
      },
    });
    const events = await collect(agent.streamResponse({ sessionId: 'stall', message: 'hi' }));
    expect(terminals(events)).toHaveLength(1);
    expect(text(events)).toBe('Let me ');
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'GENERATION_TIMEOUT',
      response: { message: FALLBACK_MESSAGE, metadata: { error: 'GENERATION_TIMEOUT' } },
    });
  });

  it('bad input ends with one error event instead of throwing', async () => {
    const agent = new CustomerSupportAgent({ store: new InMemorySessionStore() });
    const events = await collect(agent.streamResponse({ sessionId: '', message: 'hi' }));
    expect(events).toMatchObject([{ type: 'error', code: 'SESSION_VALIDATION' }]);
  });

  it('aborting mid-stream ends it at once with one error, even if the generator ignores the signal', async () => {
    const controller = new AbortController();
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      generateResponse: () =>
        (async function* () {
          yield 'a';
          await new Promise(() => {});
        })(),
    });
    const events: AgentEvent[] = [];
    for await (const event of agent.streamResponse({
      sessionId: 'abort',
      message: 'hi',
      signal: controller.signal,
    })) {
      events.push(event);
      if (event.type === 'text') controller.abort(new Error('user closed the tab'));
    }
    expect(terminals(events)).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'OPERATION_ABORTED' });
    expect(events.at(-2)).toMatchObject({ type: 'text', delta: 'a' });
  });

  it('an already aborted signal yields just the error', async () => {
    const store = new InMemorySessionStore();
    const agent = new CustomerSupportAgent({ store });
    const events = await collect(
      agent.streamResponse({ sessionId: 'pre', message: 'hi', signal: AbortSignal.abort() }),
    );
    expect(events).toMatchObject([{ type: 'error', code: 'OPERATION_ABORTED' }]);
    expect(await store.exists('pre')).toBe(false);
  });

  it('a consumer that stops early aborts the rest of the turn', async () => {
    let generatorSignal: AbortSignal | undefined;
    const memory = new RecordingMemory();
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      tools: { memory },
      generateResponse: (context) => {
        generatorSignal = context.signal;
        return (async function* () {
          yield 'first';
          await new Promise((r) => setTimeout(r, 20));
          yield 'second';
        })();
      },
    });
    for await (const event of agent.streamResponse({ sessionId: 'early', message: 'hi' })) {
      if (event.type === 'text') break;
    }
    expect(generatorSignal?.aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    // The turn stopped before storing memory.
    expect(memory.contents('early')).toEqual([]);
  });
});
