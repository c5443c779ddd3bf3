// An Express 5 service that keeps conversation state in agent-session-store: one CustomerSupportAgent per
// process over one store, shared by every request. Run several copies behind a load balancer with
// REDIS_URL set and any of them can carry any conversation.
//
//   npx tsx examples/express-app.ts                                   in-memory store, port 3000
//   REDIS_URL=redis://127.0.0.1:6379 PORT=3001 npx tsx examples/express-app.ts
//
//   curl -s localhost:3000/chat/c-1 -H 'content-type: application/json' -d '{"message":"Hi"}'
//   curl -N localhost:3000/chat/c-1/stream -H 'content-type: application/json' -d '{"message":"Shipping?"}'
//   curl -s localhost:3000/sessions/c-1
//
// (In your project, import from 'agent-session-store' instead of '../src/index.js'.)
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { CustomerSupportAgent, SessionCodec, type SessionStore } from '../src/index.js';
import { libraryStatus, sseFrame, storeFromEnv } from './http-common.js';

/** The body of a chat request, or a 400 naming what is wrong. */
function chatInput(req: Request): { message: string; userId?: string } {
  const { message, userId } = (req.body ?? {}) as { message?: unknown; userId?: unknown };
  if (typeof message !== 'string' || message === '')
    throw Object.assign(new Error('message must be a non-empty string'), { status: 400 });
  if (userId !== undefined && typeof userId !== 'string')
    throw Object.assign(new Error('userId must be a string'), { status: 400 });
  return userId === undefined ? { message } : { message, userId };
}

/** The app, for a store and agent made by the caller (the test passes an in-memory store). */
export function createApp(store: SessionStore, agent: CustomerSupportAgent): express.Express {
  const app = express();
  app.use(express.json({ limit: '64kb' }));

  // One turn, answered as one JSON document.
  app.post('/chat/:sessionId', async (req, res) => {
    const response = await agent.processMessage({ sessionId: req.params.sessionId, ...chatInput(req) });
    res.json(response);
  });

  // One turn, streamed as server-sent events: one `data:` line of JSON per AgentEvent (docs/agent-events.md).
  app.post('/chat/:sessionId/stream', async (req, res) => {
    const input = chatInput(req);
    const aborted = new AbortController();
    // The client went away: stop the turn's remaining tool calls.
    res.on('close', () => aborted.abort());
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events = agent.streamResponse({
      sessionId: req.params.sessionId,
      ...input,
      signal: aborted.signal,
    });
    for await (const event of events) res.write(sseFrame(event));
    res.end();
  });

  // The session as stored, or 404; a read that does not slide its TTL.
  app.get('/sessions/:sessionId', async (req, res) => {
    const session = await store.get(req.params.sessionId, { touch: false });
    if (session === null) res.status(404).json({ error: 'no such session' });
    else res.json(SessionCodec.toPlain(session));
  });

  app.get('/healthz', async (_req, res) => {
    res.status((await store.ping()) ? 200 : 503).json({ store: store.storeType });
  });

  // Express 5 passes a rejected async handler here.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // Bad input, store down: the library's status; a request chatInput refused: its own; anything else 500.
    const status = (error as { status?: number }).status ?? libraryStatus(error) ?? 500;
    res.status(status).json({ error: error instanceof Error ? error.message : String(error) });
  });
  return app;
}

/** Starts the app on `port` (0: any free port); `close()` stops the server, then the agent and the store. */
export async function start(
  store: SessionStore,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const agent = new CustomerSupportAgent({ store });
  await agent.initialize();
  const server: Server = await new Promise((resolve) => {
    const listening = createApp(store, agent).listen(port, '127.0.0.1', () => resolve(listening));
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
      await store.close();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const store = await storeFromEnv();
  const app = await start(store, Number(process.env.PORT ?? 3000));
  console.log(`Express app on ${app.url} (${store.storeType} store); Ctrl-C to stop`);
  process.once('SIGINT', () => void app.close());
  process.once('SIGTERM', () => void app.close());
}
