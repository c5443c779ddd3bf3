// Stage `search`: the knowledge base's sources for the message. Empty without the tool, when it fails,
// or for entries that are not `{ content: string }`.
import type { KnowledgeSource } from '../tools.js';
import type { TurnContext } from './TurnContext.js';

export async function searchKnowledge(ctx: TurnContext): Promise<KnowledgeSource[]> {
  const kb = ctx.tools.knowledgeBase;
  if (kb === undefined) return [];
  const { k, threshold } = ctx.services.search;
  const result = await ctx.call('knowledgeBase', (signal) =>
    kb.search(ctx.message, { k, threshold, signal }),
  );
  if (!result.ok) return [];
  return Array.isArray(result.value)
    ? result.value.filter((s) => typeof s === 'object' && s !== null && typeof s.content === 'string')
    : [];
}
