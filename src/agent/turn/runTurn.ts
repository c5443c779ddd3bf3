// The turn pipeline: the stages in order over one TurnContext. processMessage and streamResponse both run
// it; `emit` is how the stream observes it. A tool failure degrades a stage; a store failure or a failed
// generator gives the fallback response; an abort or bad input rejects.
import { isSessionStoreError } from '../../errors/errors.js';
import { raceAbort, throwIfAborted } from '../abort.js';
import { isGenerationTimeoutError, isOperationAbortedError } from '../errors.js';
import { redactedExcerpt } from '../facts.js';
import { FALLBACK_MESSAGE } from '../template.js';
import type { ProcessMessageInput } from '../types.js';
import { answerResponse, fallbackResult, RESPONSE_SOURCES } from './buildResponse.js';
import { checkEscalation } from './checkEscalation.js';
import { countMessage } from './countMessage.js';
import { generateAnswer } from './generateAnswer.js';
import { loadMemoryContext } from './loadMemoryContext.js';
import { processAttachments } from './processAttachments.js';
import { recordTurn } from './recordTurn.js';
import { MEMORY_EXCERPT_CHARS, rememberTurn } from './rememberTurn.js';
import { searchKnowledge } from './searchKnowledge.js';
import { type Emit, TurnContext, type TurnResult, type TurnServices } from './TurnContext.js';

/**
 * Runs one turn. `ready` resolves once the agent's tools are initialized. Rejects with
 * SessionValidationError on bad input and OperationAbortedError when the input's signal aborts.
 */
export async function runTurn(
  services: TurnServices,
  input: ProcessMessageInput,
  emit: Emit,
  ready: () => Promise<unknown>,
): Promise<TurnResult> {
  const ctx = new TurnContext(services, input, emit);
  const { signal } = ctx;
  ctx.emit({ type: 'start', sessionId: ctx.sessionId, requestId: ctx.requestId });
  services.logger.debug('agent turn', {
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    message: redactedExcerpt(ctx.message, MEMORY_EXCERPT_CHARS),
  });
  throwIfAborted(signal);
  await raceAbort(ready(), signal);
  for (const failure of services.toolSet.failures)
    ctx.toolErrors.push({ ...failure, code: 'TOOL_INIT_FAILED' });

  try {
    ctx.status('session');
    await countMessage(ctx);

    ctx.status('context');
    // Runs while attachments and search do; awaited before the escalation stage.
    const memoryContext = loadMemoryContext(ctx);
    // This only keeps an abort that ends the turn earlier from surfacing as an unhandled rejection.
    memoryContext.catch(() => undefined);
    if (ctx.attachments.length > 0) {
      ctx.status('attachments');
      ctx.processed = await processAttachments(ctx);
    }
    ctx.status('search');
    ctx.sources = await searchKnowledge(ctx);
    if (ctx.sources.length > 0)
      ctx.emit({ type: 'sources', sources: ctx.sources.slice(0, RESPONSE_SOURCES) });
    const context = await memoryContext;

    ctx.status('escalation');
    const escalation = await checkEscalation(ctx);
    ctx.escalation = escalation;
    if (escalation.escalate) {
      ctx.emit({
        type: 'escalation',
        required: true,
        reasons: escalation.reasons,
        ...(escalation.ticketId === undefined ? {} : { ticketId: escalation.ticketId }),
      });
    }

    throwIfAborted(signal);
    ctx.status('generate');
    let text: string;
    try {
      text = await generateAnswer(ctx, context);
    } catch (error) {
      if (isOperationAbortedError(error)) throw error;
      const code = isGenerationTimeoutError(error) ? 'GENERATION_TIMEOUT' : 'GENERATION_FAILED';
      // The log keeps what the user saw: the question, and the apology.
      await recordTurn(ctx, FALLBACK_MESSAGE);
      return fallbackResult(ctx, 'agent response generation failed', code, error);
    }

    ctx.status('memory');
    await Promise.all([rememberTurn(ctx, text), recordTurn(ctx, text)]);
    return { response: answerResponse(ctx, text) };
  } catch (error) {
    if (isOperationAbortedError(error) || !isSessionStoreError(error)) throw error;
    return fallbackResult(
      ctx,
      'session store failed during an agent turn; answering with the fallback',
      error.code,
      error,
    );
  }
}
