// Turns one run of the turn pipeline into an AsyncIterable<AgentEvent>: a queue the pipeline pushes into
// and the consumer pulls from, exactly one terminal event (`complete` or `error`), and abort handling in
// both directions — the caller's signal ends the stream at once, and a consumer that stops early aborts
// the turn's remaining work.
import { randomUUID } from 'node:crypto';
import { abortError } from './abort.js';
import { OperationAbortedError } from './errors.js';
import { redact } from './facts.js';
import type { Emit, TurnResult } from './turn/TurnContext.js';
import type { AgentEvent, AgentResponse, ProcessMessageInput } from './types.js';

/** Runs a turn for `input`, reporting its non-terminal events to `emit`. */
export type TurnRunner = (input: ProcessMessageInput, emit: Emit) => Promise<TurnResult>;

/** `now` reads the wall clock (ms since the epoch) for the terminal events' timestamps. */
export async function* streamTurn(
  input: ProcessMessageInput,
  run: TurnRunner,
  now: () => number,
): AsyncGenerator<AgentEvent, void, undefined> {
  const timestamp = (): string => new Date(now()).toISOString();
  const requestId = input?.requestId ?? randomUUID();
  const controller = new AbortController();
  const outer = input?.signal;
  const queue: AgentEvent[] = [];
  let wake: (() => void) | undefined;
  let terminal = false;
  const push = (event: AgentEvent): void => {
    if (terminal) return;
    if (event.type === 'complete' || event.type === 'error') terminal = true;
    queue.push(event);
    wake?.();
  };
  const fail = (error: unknown, response?: AgentResponse): void => {
    const code = (error as { code?: unknown } | null)?.code;
    const message = (error as { message?: unknown } | null)?.message;
    push({
      type: 'error',
      requestId,
      code: typeof code === 'string' ? code : 'INTERNAL',
      message: redact(typeof message === 'string' ? message : String(error)),
      ...(response === undefined ? {} : { response }),
      timestamp: timestamp(),
    });
  };
  // Abort ends the stream at once, even while the turn waits on something that ignores its signal.
  const onAbort = (): void => {
    controller.abort(outer?.reason);
    fail(abortError(outer as AbortSignal));
  };
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  if (!terminal) {
    run({ ...input, requestId, signal: controller.signal }, push).then(
      ({ response, failure }) => {
        if (failure === undefined) push({ type: 'complete', response, timestamp: timestamp() });
        else fail({ code: failure.code, message: failure.message }, response);
      },
      (error: unknown) => fail(error),
    );
  }
  try {
    for (;;) {
      const event = queue.shift();
      if (event !== undefined) {
        yield event;
        if (event.type === 'complete' || event.type === 'error') return;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    outer?.removeEventListener('abort', onAbort);
    // The consumer stopped early (break/return): stop the turn's remaining work.
    if (!controller.signal.aborted && !terminal) {
      controller.abort(new OperationAbortedError('The stream was closed by its consumer'));
    }
  }
}
