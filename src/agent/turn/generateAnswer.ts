// Stage `generate`: the answer, from the host's generateResponse or the built-in template, with its text
// emitted as `text` deltas as it comes (a string is one delta; an async iterable, one per item). The host's
// generator runs under `timeouts.generate`, like every tool under its timeout.
import { raceAbort, withTimeLimit } from '../abort.js';
import { GenerationTimeoutError } from '../errors.js';
import { templateParagraphs } from '../template.js';
import type { GenerateResponse, GenerationContext } from '../types.js';
import type { TurnContext } from './TurnContext.js';

function isAsyncIterable(value: unknown): value is AsyncIterable<string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<string>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Needs every earlier stage. Throws what the generator throws, GenerationTimeoutError when it outlives
 * `timeouts.generate` (its signal aborted), OperationAbortedError when the turn's signal aborts. The
 * pipeline turns all but the abort into the fallback.
 */
export async function generateAnswer(ctx: TurnContext, memoryContext: string): Promise<string> {
  const { session, messageCount, escalation } = ctx;
  if (session === undefined || messageCount === null || escalation === undefined) {
    throw new Error('generateAnswer runs after the session and escalation stages');
  }
  const generate = ctx.services.generate;
  if (generate === undefined) {
    const paragraphs = templateParagraphs({
      firstMessage: messageCount === 1,
      sources: ctx.sources,
      escalation,
    });
    paragraphs.forEach((paragraph, i) => {
      ctx.emit({ type: 'text', delta: i === 0 ? paragraph : `\n\n${paragraph}` });
    });
    return paragraphs.join('\n\n');
  }
  // The generator's signal fires on the turn's abort or when generation outlives its time limit; an
  // answer that ignores its signal still ends on time (its work keeps running unobserved).
  const limitMs = ctx.services.generateTimeoutMs;
  return withTimeLimit(
    ctx.signal,
    limitMs,
    () => new GenerationTimeoutError(limitMs),
    (signal) => {
      const context: GenerationContext = {
        sessionId: ctx.sessionId,
        requestId: ctx.requestId,
        message: ctx.message,
        messageCount,
        session,
        memoryContext,
        attachments: ctx.processed,
        sources: ctx.sources,
        escalation,
        facts: ctx.facts,
        history: ctx.history,
        signal,
      };
      return produce(ctx, generate, context);
    },
  );
}

async function produce(
  ctx: TurnContext,
  generate: GenerateResponse,
  context: GenerationContext,
): Promise<string> {
  const { signal } = context;
  const produced = await raceAbort((async () => generate(context))(), signal);
  if (typeof produced === 'string') {
    if (produced.length > 0) ctx.emit({ type: 'text', delta: produced });
    return produced;
  }
  if (!isAsyncIterable(produced)) {
    throw new TypeError('generateResponse must return a string or an async iterable of strings');
  }
  const iterator = produced[Symbol.asyncIterator]();
  let text = '';
  try {
    for (;;) {
      const step = await raceAbort(iterator.next(), signal);
      if (step.done === true) break;
      if (typeof step.value !== 'string') throw new TypeError('generateResponse yielded a non-string delta');
      text += step.value;
      if (step.value.length > 0) ctx.emit({ type: 'text', delta: step.value });
    }
  } catch (error) {
    // Let the generator run its finally blocks; ignore what that throws.
    void Promise.resolve(iterator.return?.()).catch(() => {});
    throw error;
  }
  return text;
}
