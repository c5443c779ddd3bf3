// The store as the agent's turns see it: the same calls, except that whatever a backend throws is a store
// failure. A custom backend's hook may throw a plain Error ("disk full"); the turn must answer with the
// fallback for it exactly as for a SessionStoreError, so such an error becomes a SessionStoreError
// (code SESSION_STORE_ERROR) whose `cause` is the original. The agent's own errors (an abort) pass as
// they are.
import { isSessionStoreError, SessionStoreError } from '../errors/errors.js';
import type { SessionStore } from '../store/SessionStore.js';
import { isAgentError } from './errors.js';

/** The store methods a turn calls. */
export type AgentStore = Pick<SessionStore, 'get' | 'update' | 'beginTurn' | 'appendItems'>;

/** `error` as a store failure: a SessionStoreError as it is, anything else wrapped with its cause kept. */
export function asStoreError(error: unknown): unknown {
  if (isSessionStoreError(error) || isAgentError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SessionStoreError(`The session store failed: ${message}`, { cause: error });
}

function guarded<A extends unknown[], R>(call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await call(...args);
    } catch (error) {
      throw asStoreError(error);
    }
  };
}

/** `store`'s turn methods, each turning a foreign error into a SessionStoreError. */
export function guardStore(store: SessionStore): AgentStore {
  return {
    get: guarded((...args) => store.get(...args)),
    update: guarded((...args) => store.update(...args)),
    beginTurn: guarded((...args) => store.beginTurn(...args)),
    appendItems: guarded((...args) => store.appendItems(...args)),
  };
}
