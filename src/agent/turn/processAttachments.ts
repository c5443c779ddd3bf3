// Stage `attachments`: each attachment through the attachments tool, concurrently, and its chunks
// indexed into the knowledge base. An attachment that fails is left out; without the tool, none is read.
import type { ProcessedAttachment } from '../tools.js';
import type { TurnContext } from './TurnContext.js';

export async function processAttachments(ctx: TurnContext): Promise<ProcessedAttachment[]> {
  const processor = ctx.tools.attachments;
  if (processor === undefined) {
    ctx.toolErrors.push({
      tool: 'attachments',
      error: 'no attachments tool is configured',
      code: 'TOOL_MISSING',
    });
    return [];
  }
  const kb = ctx.tools.knowledgeBase;
  const { sessionId, requestId } = ctx;
  const results = await Promise.all(
    ctx.attachments.map(async (attachment) => {
      const result = await ctx.call('attachments', (signal) => processor.process(attachment, { signal }));
      if (!result.ok) return undefined;
      const processed = result.value;
      const chunks = processed.chunks ?? [];
      if (chunks.length > 0 && kb?.addDocuments !== undefined) {
        const metadata = { source: processed.filename, type: 'user_upload', sessionId, requestId };
        const addDocuments = kb.addDocuments.bind(kb);
        // Indexing is not idempotent: one attempt, so a timeout cannot index the chunks twice.
        await ctx.call(
          'knowledgeBase',
          (signal) =>
            addDocuments(
              chunks,
              chunks.map(() => ({ ...metadata })),
              { signal },
            ),
          1,
        );
      }
      return processed;
    }),
  );
  return results.filter((r): r is ProcessedAttachment => r !== undefined);
}
