// A Fastify 5 service that keeps conversation state in agent-session-store: one CustomerSupportAgent per
// process over one store, closed with the server (onClose hook). Run several copies behind a load
// balancer with REDIS_URL set and any of them can carry any conversation.
//
//   npx tsx examples/fastify-app.ts                                   in-memory store, port 3000
//   REDIS_URL=redis://127.0.0.1:6379 PORT=3001 npx tsx examples/fastify-app.ts
//
//   curl -s localhost:3000/chat/c-1 -H 'content-type: application/json' -d '{"message":"Hi"}'
//   curl -N localhost:3000/chat/c-1/stream -H 'content-type: application/json' -d '{"message":"Shipping?"}'
//   curl -s localhost:3000/sessions/c-1
//
// (In your project, import from 'agent-session-store' instead of '../src/index.js'.)
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { CustomerSupportAgent, SessionCodec, type SessionStore } from '../src/index.js';
import { libraryStatus, sseFrame, storeFromEnv } from './http-common.js';

interface ChatRoute {
  Params: { sessionId: string };
  Body: { message: string; userId?: string };
}

/** Fastify validates the body against this before the handler runs (400 otherwise). */
const chatSchema = {
  body: {
    type: 'object',
    required: ['message'],
    additionalProperties: false,
    properties: { message: { type: 'string', minLength: 1 }, userId: { type: 'string' } },
  },
} as const;

/** The server for a store the caller made; the agent and the store close with it. */
export async function buildApp(store: SessionStore): Promise<FastifyInstance> {
  const agent = new CustomerSupportAgent({ store });
  await agent.initialize();
  // Fastify coerces body types by default (42 would become "42"): a chat message must really be a string.
  const app = Fastify({ bodyLimit: 64 * 1024, ajv: { customOptions: { coerceTypes: false } } });
  app.addHook('onClose', async () => {
    await agent.close();
    await store.close();
  });

  // Errors the library threw: bad input 400, store down 503; Fastify's own (e.g. schema) keep their code.
  app.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply) => {
    return reply.status(libraryStatus(error) ?? error.statusCode ?? 500).send({ error: error.message });
  });

  // One turn, answered as one JSON document.
  app.post<ChatRoute>('/chat/:sessionId', { schema: chatSchema }, async (request) =>
    agent.processMessage({ sessionId: request.params.sessionId, ...request.body }),
  );

  // One turn, streamed as server-sent events: one `data:` line of JSON per AgentEvent (docs/agent-events.md).
  app.post<ChatRoute>('/chat/:sessionId/stream', { schema: chatSchema }, async (request, reply) => {
    const aborted = new AbortController();
    // The client went away: stop the turn's remaining tool calls.
    reply.raw.on('close', () => aborted.abort());
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events = agent.streamResponse({
      sessionId: request.params.sessionId,
      ...request.body,
      signal: aborted.signal,
    });
    for await (const event of events) reply.raw.write(sseFrame(event));
    reply.raw.end();
  });

  // The session as stored, or 404; a read that does not slide its TTL.
  app.get<{ Params: { sessionId: string } }>('/sessions/:sessionId', async (request, reply) => {
    const session = await store.get(request.params.sessionId, { touch: false });
    if (session === null) return reply.status(404).send({ error: 'no such session' });
    return SessionCodec.toPlain(session);
  });

  app.get('/healthz', async (_request, reply) =>
    reply.status((await store.ping()) ? 200 : 503).send({ store: store.storeType }),
  );
  return app;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const store = await storeFromEnv();
  const app = await buildApp(store);
  const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
  console.log(`Fastify app on ${url} (${store.storeType} store); Ctrl-C to stop`);
  process.once('SIGINT', () => void app.close());
  process.once('SIGTERM', () => void app.close());
}
