// Stage `generate`: the answer, from the host's generateResponse or the built-in template, with its text
// emitted as `text` deltas as it comes (a string is one delta; an async iterable, one per item).
import { raceAbort } from '../abort.js';
import { templateParagraphs } from '../template.js';
import type { GenerationContext } from '../types.js';
import type { TurnContext } from './TurnContext.js';

function isAsyncIterable(value: unknown): value is AsyncIterable<string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<string>)[Symbol.asyncIterator] === 'function'
  );
}

/** Needs every earlier stage. Throws what the generator throws; the pipeline turns it into a fallback. */
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
    // The generator always gets a signal, even when the caller gave none.
    signal: ctx.signal ?? new AbortController().signal,
  };
  const signal = ctx.signal;
  const produced = await raceAbort(generate(context), signal);
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
