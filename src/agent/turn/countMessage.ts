// Stage `session`: one `beginTurn` — get or create the session, count the message atomically and read the
// most recent history items, one store command on Redis. A session created without a user learns it here
// (one more command, once per session at most).
import type { JsonObject } from '../../codec/json.js';
import { raceAbort } from '../abort.js';
import type { HistoryEntry } from '../escalationPolicy.js';
import type { TurnContext } from './TurnContext.js';

/** The log's message items (`{ role, content }` with text content) as history; other items are left out. */
export function historyOf(items: readonly JsonObject[]): HistoryEntry[] {
  const history: HistoryEntry[] = [];
  for (const item of items) {
    if (typeof item.role === 'string' && typeof item.content === 'string') {
      history.push({ role: item.role, content: item.content });
    }
  }
  return history;
}

/** Sets `ctx.session`, `ctx.messageCount`, `ctx.latest` and `ctx.history`. */
export async function countMessage(ctx: TurnContext): Promise<void> {
  const { store, historyLimit } = ctx.services;
  const { sessionId, userId, requestId, signal, callerHistory } = ctx;
  // A caller-supplied history replaces the stored one, so the turn does not read items it would not use.
  const { session: counted, items } = await raceAbort(
    store.beginTurn(
      sessionId,
      { userId: userId ?? null, requestId },
      { historyLimit: callerHistory === undefined ? historyLimit : 0 },
    ),
    signal,
  );
  let session = counted;
  let latest: TurnContext['latest'] = { session: counted, version: counted.version };
  if (userId !== undefined && counted.userId === null) {
    // Once per session at most: a session created without a user learns it on a later turn.
    const updated = await raceAbort(store.update(sessionId, { userId }), signal);
    // The update returned the stored state and its version; when it found nothing, the version is unknown.
    latest =
      updated === null
        ? { session: counted, version: undefined }
        : { session: updated, version: updated.version };
    session = updated ?? session;
    session = { ...session, messageCount: Math.max(session.messageCount, counted.messageCount) };
  }
  ctx.session = session;
  ctx.messageCount = counted.messageCount;
  ctx.latest = latest;
  ctx.history = callerHistory ?? historyOf(items);
}
