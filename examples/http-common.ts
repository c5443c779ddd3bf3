// What the Express and Fastify examples share: how a library error maps to an HTTP status, how an agent
// event goes out as a server-sent event, and the store a service starts with.
//
// (In your project, import from 'agent-session-store' instead of '../src/index.js'.)
import {
  type AgentEvent,
  createSessionStore,
  isSessionStoreUnavailableError,
  isSessionValidationError,
  type SessionStore,
} from '../src/index.js';

/** The HTTP status for an error the library threw: bad input 400, store down 503; undefined otherwise. */
export function libraryStatus(error: unknown): 400 | 503 | undefined {
  if (isSessionValidationError(error)) return 400;
  if (isSessionStoreUnavailableError(error)) return 503;
  return undefined;
}

/** One AgentEvent as a server-sent event: its type as `event:`, its JSON as one `data:` line. */
export const sseFrame = (event: AgentEvent): string =>
  `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/** Redis when REDIS_URL is set (exits when it does not answer), otherwise an in-memory store. */
export async function storeFromEnv(): Promise<SessionStore> {
  return createSessionStore().catch((error: unknown) => {
    console.error(`Cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
