// The per-attempt timeout: each attempt gets a fresh AbortSignal that fires on the caller's abort or when
// the attempt outlives its timeout. An attempt whose work ignores the signal still ends on time (the work
// keeps running unobserved; nothing can stop code that ignores its signal).
import { abortError, raceAbort } from '../abort.js';
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
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(abortError(outer as AbortSignal));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new ToolTimeoutError(tool, timeoutMs)), timeoutMs);
  try {
    const pending = (async () => fn({ attempt, signal: controller.signal }))();
    return await raceAbort(pending, controller.signal);
  } catch (error) {
    // A tool that honours its signal may reject with its own AbortError; report why we aborted instead.
    if (controller.signal.aborted) throw abortError(controller.signal);
    throw error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
