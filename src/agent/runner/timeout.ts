// The per-attempt timeout: each attempt gets a fresh AbortSignal that fires on the caller's abort or when
// the attempt outlives its timeout. An attempt whose work ignores the signal still ends on time (the work
// keeps running unobserved; nothing can stop code that ignores its signal).
import { raceAbort, withTimeLimit } from '../abort.js';
import { ToolTimeoutError } from '../errors.js';

/** What the wrapped function receives: the 1-based attempt and a signal that fires on timeout or abort. */
export interface ToolCallContext {
  attempt: number;
  signal: AbortSignal;
}

/**
 * Runs one attempt of `fn` for `tool` under `timeoutMs` (milliseconds). Rejects with ToolTimeoutError on
 * timeout and OperationAbortedError when `outer` aborts, even if the tool rejected with its own AbortError.
 */
export async function attemptWithTimeout<T>(
  tool: string,
  fn: (context: ToolCallContext) => T | PromiseLike<T>,
  attempt: number,
  timeoutMs: number,
  outer: AbortSignal | undefined,
): Promise<T> {
  return withTimeLimit(
    outer,
    timeoutMs,
    () => new ToolTimeoutError(tool, timeoutMs),
    (signal) => raceAbort((async () => fn({ attempt, signal }))(), signal),
  );
}
