// The agent and the session's history: each turn appends the question and the answer as two contiguous
// message items, and the generator (and the escalation policy) get the most recent ones from the store,
// read in the same call that counts the message. A caller's `history` replaces them.
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../src/agent/escalationPolicy.js';
import { FALLBACK_MESSAGE } from '../src/agent/template.js';
import type { GenerationContext } from '../src/agent/types.js';
import { type AgentEvent, CustomerSupportAgent, InMemorySessionStore } from '../src/index.js';
import { DiskFullStore } from './helpers/agent-fakes.js';

/** An agent whose generator answers `re: <message>` and keeps what it was given. */
function echoAgent(store = new InMemorySessionStore(), options: { historyLimit?: number } = {}) {
  const given: GenerationContext[] = [];
  const agent = new CustomerSupportAgent({
    store,
    ...options,
    generateResponse: (context) => {
      given.push(context);
      return `re: ${context.message}`;
    },
  });
  return { store, agent, given };
}

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

describe('each turn is recorded in the history', () => {
  it('appends the question and the answer, and the next turn is given them', async () => {
    const { store, agent, given } = echoAgent();
    await agent.processMessage({ sessionId: 'h', message: 'one' });
    await agent.processMessage({ sessionId: 'h', message: 'two' });
    expect(await store.getItems('h')).toEqual([
      user('one'),
      assistant('re: one'),
      user('two'),
      assistant('re: two'),
    ]);
    expect(given.map((g) => g.history)).toEqual([[], [user('one'), assistant('re: one')]]);
  });

  it('gives the generator the most recent historyLimit items, oldest first', async () => {
    const { agent, given } = echoAgent(undefined, { historyLimit: 3 });
    for (const message of ['a', 'b', 'c']) await agent.processMessage({ sessionId: 'lim', message });
    expect(given.at(-1)?.history).toEqual([assistant('re: a'), user('b'), assistant('re: b')]);
  });

  it('historyLimit 0 reads nothing and still records the turn', async () => {
    const { store, agent, given } = echoAgent(undefined, { historyLimit: 0 });
    await agent.processMessage({ sessionId: 'zero', message: 'a' });
    await agent.processMessage({ sessionId: 'zero', message: 'b' });
    expect(given.at(-1)?.history).toEqual([]);
    expect(await store.getItems('zero')).toHaveLength(4);
  });

  it('rejects a bad historyLimit naming the option', () => {
    for (const historyLimit of [-1, 1.5, Number.NaN]) {
      expect(() => new CustomerSupportAgent({ store: new InMemorySessionStore(), historyLimit })).toThrow(
        expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'historyLimit' }),
      );
    }
  });

  it('leaves items that are not text messages (tool calls of another writer) out of the history', async () => {
    const { store, agent, given } = echoAgent();
    await store.appendItems('mixed', [
      user('hi'),
      { type: 'function_call', name: 'lookup', arguments: '{}' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'parts' }] },
      assistant('hello'),
    ]);
    await agent.processMessage({ sessionId: 'mixed', message: 'next' });
    expect(given[0]?.history).toEqual([user('hi'), assistant('hello')]);
  });

  it('a caller-supplied history replaces the stored one; the turn is still recorded', async () => {
    const { store, agent, given } = echoAgent();
    await agent.processMessage({ sessionId: 'own', message: 'stored' });
    const mine: HistoryEntry[] = [{ role: 'user', content: 'from my own database' }];
    await agent.processMessage({ sessionId: 'own', message: 'next', history: mine });
    expect(given.at(-1)?.history).toEqual(mine);
    await agent.processMessage({ sessionId: 'own', message: 'empty', history: [] });
    expect(given.at(-1)?.history).toEqual([]);
    expect(await store.getItems('own')).toHaveLength(6);
  });

  it('gives the escalation policy the stored history too', async () => {
    const seen: (readonly HistoryEntry[])[] = [];
    const agent = new CustomerSupportAgent({
      store: new InMemorySessionStore(),
      escalationPolicy: (input) => {
        seen.push(input.history);
        return { escalate: false, reasons: [], confidence: 0.9 };
      },
    });
    await agent.processMessage({ sessionId: 'pol', message: 'first' });
    await agent.processMessage({ sessionId: 'pol', message: 'second' });
    expect(seen[1]?.map((e) => e.role)).toEqual(['user', 'assistant']);
    expect(seen[1]?.[0]).toEqual(user('first'));
  });

  it('keeps each turn’s two items together when turns on one session run concurrently', async () => {
    const { store, agent } = echoAgent();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => agent.processMessage({ sessionId: 'busy', message: `m${i}` })),
    );
    const items = await store.getItems('busy');
    expect(items).toHaveLength(40);
    for (let i = 0; i < items.length; i += 2) {
      const question = items[i] as { role: string; content: string };
      expect(question.role).toBe('user');
      expect(items[i + 1]).toEqual(assistant(`re: ${question.content}`));
    }
    expect(new Set(items.map((item) => item.content)).size).toBe(40);
  });

  it('a streamed turn records itself the same way', async () => {
    const { store, agent, given } = echoAgent();
    await agent.processMessage({ sessionId: 'st', message: 'one' });
    const events: AgentEvent[] = [];
    for await (const event of agent.streamResponse({ sessionId: 'st', message: 'two' })) events.push(event);
    expect(events.at(-1)?.type).toBe('complete');
    expect(given.at(-1)?.history).toEqual([user('one'), assistant('re: one')]);
    expect(await store.getItems('st')).toEqual([
      user('one'),
      assistant('re: one'),
      user('two'),
      assistant('re: two'),
    ]);
  });
});

describe('what a turn that falls back records', () => {
  it('a failed generator: the question and the apology the user got', async () => {
    const store = new InMemorySessionStore();
    const agent = new CustomerSupportAgent({
      store,
      generateResponse: () => {
        throw new Error('model down');
      },
    });
    const response = await agent.processMessage({ sessionId: 'gf', message: 'hello?' });
    expect(response.metadata.error).toBe('GENERATION_FAILED');
    expect(await store.getItems('gf')).toEqual([user('hello?'), assistant(FALLBACK_MESSAGE)]);
  });

  it('a generator that timed out: the same', async () => {
    const store = new InMemorySessionStore();
    const agent = new CustomerSupportAgent({
      store,
      timeouts: { generate: 10 },
      generateResponse: () => new Promise<string>(() => {}),
    });
    const response = await agent.processMessage({ sessionId: 'gt', message: 'hello?' });
    expect(response.metadata.error).toBe('GENERATION_TIMEOUT');
    expect(await store.getItems('gt')).toEqual([user('hello?'), assistant(FALLBACK_MESSAGE)]);
  });

  it('a store failure: nothing is appended (the store is what failed)', async () => {
    const store = new DiskFullStore();
    const agent = new CustomerSupportAgent({ store });
    await agent.processMessage({ sessionId: 'sf', message: 'hello' });
    store.failing = true;
    const response = await agent.processMessage({ sessionId: 'sf', message: 'again' });
    expect(response.metadata.error).toBe('SESSION_STORE_ERROR');
    store.failing = false;
    expect(await store.getItems('sf')).toHaveLength(2);
  });

  it('an append that fails is a store failure: the fallback, in processMessage and in the stream', async () => {
    const store = new DiskFullStore();
    store.appendFails = true;
    const { agent } = echoAgent(store);
    const response = await agent.processMessage({ sessionId: 'af', message: 'hello' });
    expect(response).toMatchObject({ message: FALLBACK_MESSAGE, metadata: { error: 'SESSION_STORE_ERROR' } });
    expect(response.metadata.messageCount).toBe(1);
    const events: AgentEvent[] = [];
    for await (const event of agent.streamResponse({ sessionId: 'af', message: 'again' })) events.push(event);
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'SESSION_STORE_ERROR',
      message: 'The session store failed: disk full',
    });
  });
});
