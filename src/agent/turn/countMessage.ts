// Stage `session`: getOrCreate the session and count the message atomically; a session created without
// a user learns it here. Two store commands on a one-round-trip backend (three, once, for the user).
import type { SessionData } from '../../codec/SessionData.js';
import { SessionValidationError } from '../../errors/errors.js';
import { raceAbort } from '../abort.js';
import type { TurnContext } from './TurnContext.js';

/** Times the session may expire between getOrCreate and the increment before the turn gives up. */
const COUNT_ATTEMPTS = 3;

/** Sets `ctx.seen`, `ctx.session`, `ctx.messageCount` and `ctx.latest`. */
export async function countMessage(ctx: TurnContext): Promise<void> {
  const { store } = ctx.services;
  const { sessionId, userId, requestId, signal } = ctx;
  // The session can expire between the two calls; start over rather than lose the count.
  for (let attempt = 0; attempt < COUNT_ATTEMPTS; attempt += 1) {
    const { session: seen } = await raceAbort(
      store.getOrCreate(sessionId, { userId: userId ?? null, requestId }),
      signal,
    );
    const count = await raceAbort(store.incrementCounter(sessionId, 'messageCount'), signal);
    if (count === null) continue;
    let session: SessionData = { ...seen, messageCount: count };
    // The increment is one data write, and every data write adds 1 to the version: this is the stored
    // version now, unless another writer came in between (then a version-checked write conflicts).
    let latest: TurnContext['latest'] = { session: seen, version: seen.version + 1 };
    if (userId !== undefined && seen.userId === null) {
      // Once per session at most: a session created without a user learns it on a later turn.
      const updated = await raceAbort(store.update(sessionId, { userId }), signal);
      // The update returned the stored state and its version; when it found nothing, the version is unknown.
      latest =
        updated === null
          ? { session: seen, version: undefined }
          : { session: updated, version: updated.version };
      session = updated ?? session;
      session = { ...session, messageCount: Math.max(session.messageCount, count) };
    }
    ctx.seen = seen;
    ctx.session = session;
    ctx.messageCount = count;
    ctx.latest = latest;
    return;
  }
  throw new SessionValidationError(
    `Session ${JSON.stringify(sessionId.slice(0, 64))} expired three times while a message was being counted; check defaultTtlSeconds`,
    { field: 'defaultTtlSeconds' },
  );
}
