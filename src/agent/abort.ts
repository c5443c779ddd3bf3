// Small AbortSignal helpers shared by the tool runner and the agent: an abortable sleep and a race that
// stops waiting for work which ignores its signal.
import { isAgentError, OperationAbortedError } from './errors.js';

/** The error to throw for an aborted signal: its reason when that is already ours, else a wrapper. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (isAgentError(reason)) return reason;
  return new OperationAbortedError(undefined, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Resolves after `ms` milliseconds; rejects at once when `signal` aborts, clearing the timer. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts, whichever comes first. The losing
 * promise keeps running (nothing can stop code that ignores its signal); its rejection is swallowed so
 * it cannot surface as an unhandled rejection.
 */
export function raceAbort<T>(promise: T | PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  const settled = Promise.resolve(promise);
  if (signal === undefined) return settled;
  if (signal.aborted) {
    settled.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      settled.catch(() => {});
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    settled.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Runs `work` with a signal that fires when `outer` aborts (at once if it already has) or when `work`
 * outlives `timeoutMs` milliseconds, then with the error `onTimeout` makes. Once that signal has fired,
 * rejects with its error (the timeout's or the abort's) even when `work` rejected with an AbortError of its
 * own, so the caller learns why it was stopped. `work` must stop waiting when the signal fires (raceAbort).
 */
export async function withTimeLimit<T>(
  outer: AbortSignal | undefined,
  timeoutMs: number,
  onTimeout: () => Error,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(abortError(outer as AbortSignal));
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => controller.abort(onTimeout()), timeoutMs);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw abortError(controller.signal);
    throw error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
