// Stage `context`: the memory tool's summary of the session plus its most recent context entries, as
// text for the generator. Empty without a memory tool or when both calls fail.
import type { TurnContext } from './TurnContext.js';

/** Context entries asked for, and how many of them the text shows. */
const RECENT_ASKED = 5;
const RECENT_SHOWN = 3;

export async function loadMemoryContext(ctx: TurnContext): Promise<string> {
  const memory = ctx.tools.memory;
  if (memory === undefined) return '';
  const { sessionId } = ctx;
  const [summary, recent] = await Promise.all([
    ctx.call('memory', (signal) => memory.summarize(sessionId, { signal })),
    ctx.call('memory', (signal) =>
      memory.retrieve(sessionId, { contentType: 'context', limit: RECENT_ASKED, signal }),
    ),
  ]);
  let context = summary.ok && typeof summary.value === 'string' ? summary.value : '';
  if (recent.ok && Array.isArray(recent.value) && recent.value.length > 0) {
    context += '\nRecent conversation points:\n';
    for (const entry of recent.value.slice(0, RECENT_SHOWN)) context += `- ${entry.content}\n`;
  }
  return context;
}
