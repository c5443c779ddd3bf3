// The turn's record in the session's history: the user's message and the answer the user got, as two
// message items in one `appendItems` call, so they stay contiguous whatever other writers do. One store
// command on Redis.
import { raceAbort } from '../abort.js';
import type { TurnContext } from './TurnContext.js';

/** Appends `{ role: 'user', content: message }` and `{ role: 'assistant', content: answer }`. */
export async function recordTurn(ctx: TurnContext, answer: string): Promise<void> {
  await raceAbort(
    ctx.services.store.appendItems(ctx.sessionId, [
      { role: 'user', content: ctx.message },
      { role: 'assistant', content: answer },
    ]),
    ctx.signal,
  );
}
