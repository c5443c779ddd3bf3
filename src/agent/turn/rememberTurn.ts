// Stage `memory`: what the memory tool keeps of the turn — an excerpt of the message, of a long answer,
// and every fact extracted from the message.
import type { TurnContext } from './TurnContext.js';

/** Characters of a message (and of a long answer) written to memory. */
export const MEMORY_EXCERPT_CHARS = 200;
/** Answers longer than this, in characters, are also written to memory; short ones carry little. */
const MEMORY_RESPONSE_MIN_CHARS = 100;

export async function rememberTurn(ctx: TurnContext, answer: string): Promise<void> {
  const memory = ctx.tools.memory;
  if (memory === undefined) return;
  const entries: { content: string; contentType: 'context' | 'fact'; importance: number }[] = [
    {
      content: `User: ${ctx.message.slice(0, MEMORY_EXCERPT_CHARS)}`,
      contentType: 'context',
      importance: 0.5,
    },
  ];
  if (answer.length > MEMORY_RESPONSE_MIN_CHARS) {
    entries.push({
      content: `Agent: ${answer.slice(0, MEMORY_EXCERPT_CHARS)}`,
      contentType: 'context',
      importance: 0.4,
    });
  }
  for (const fact of ctx.facts) entries.push({ content: fact.text, contentType: 'fact', importance: 0.8 });
  // Writes are not idempotent: one attempt each, so a timed-out write is not stored twice.
  await Promise.all(
    entries.map((entry) => ctx.call('memory', (signal) => memory.store(ctx.sessionId, entry, { signal }), 1)),
  );
}
