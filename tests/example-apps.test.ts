// The Express and Fastify example apps, booted in-process on port 0 with an in-memory store, driven
// through HTTP: a conversation over two turns, a streamed turn as server-sent events, the stored session,
// bad input as 400, and a closed store as a fallback answer.
import { afterEach, describe, expect, it } from 'vitest';
import { start as startExpress } from '../examples/express-app.js';
import { buildApp } from '../examples/fastify-app.js';
import { type AgentEvent, type AgentResponse, InMemorySessionStore } from '../src/index.js';

interface Running {
  url: string;
  close(): Promise<void>;
}

const servers: Running[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const apps: Record<string, (store: InMemorySessionStore) => Promise<Running>> = {
  express: (store) => startExpress(store, 0),
  fastify: async (store) => {
    const app = await buildApp(store);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
};

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The events of a server-sent-events body: the JSON of every `data:` line. */
function sseEvents(text: string): AgentEvent[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as AgentEvent);
}

describe.each(Object.keys(apps))('examples/%s-app.ts over HTTP', (name) => {
  const boot = async () => {
    const store = new InMemorySessionStore();
    const running = await (apps[name] as (s: InMemorySessionStore) => Promise<Running>)(store);
    servers.push(running);
    return { store, url: running.url };
  };

  it('carries one conversation: two turns counted on one session, the session readable', async () => {
    const { url } = await boot();
    const first = await post(`${url}/chat/chat-1`, { message: 'Hi there!', userId: 'user-7' });
    expect(first.status).toBe(200);
    const one = (await first.json()) as AgentResponse;
    expect(one.metadata.messageCount).toBe(1);
    expect(one.message.length).toBeGreaterThan(0);

    const second = (await (
      await post(`${url}/chat/chat-1`, { message: 'How are you?' })
    ).json()) as AgentResponse;
    expect(second.metadata.messageCount).toBe(2);
    expect(second.metadata.threadId).toBe(one.metadata.threadId);

    const session = await fetch(`${url}/sessions/chat-1`);
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ sessionId: 'chat-1', userId: 'user-7', messageCount: 2 });
    expect((await fetch(`${url}/sessions/nobody`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('streams a turn as server-sent events, start first and complete last', async () => {
    const { url } = await boot();
    const res = await post(`${url}/chat/chat-2/stream`, { message: 'I want to speak to a human!' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = sseEvents(await res.text());
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('complete');
    expect(types).toContain('escalation');
    expect(types).toContain('text');
    const complete = events.at(-1) as Extract<AgentEvent, { type: 'complete' }>;
    const streamed = events.flatMap((e) => (e.type === 'text' ? [e.delta] : [])).join('');
    expect(streamed).toBe(complete.response.message);
  });

  it('refuses bad input with 400 and writes nothing', async () => {
    const { url, store } = await boot();
    expect((await post(`${url}/chat/chat-3`, { message: 42 })).status).toBe(400);
    expect((await post(`${url}/chat/chat-3`, {})).status).toBe(400);
    // An id the store refuses (control character) is the library's SessionValidationError: 400 too.
    expect((await post(`${url}/chat/bad%01id`, { message: 'hello' })).status).toBe(400);
    expect(await store.countActive()).toBe(0);
  });

  it('answers with the fallback when the store fails, and reports the store down', async () => {
    const { url, store } = await boot();
    await store.close();
    const res = await post(`${url}/chat/chat-4`, { message: 'Hello?' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as AgentResponse;
    expect(body.metadata.error).toBe('STORE_CLOSED');
    expect(body.requiresEscalation).toBe(true);
    expect((await fetch(`${url}/healthz`)).status).toBe(503);
  });
});
