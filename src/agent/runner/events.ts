// A typed event: listeners subscribe and get back an unsubscribe function. A listener that throws is
// ignored, so an observer's bug never changes the outcome of the call it observes.

export type Listener<T> = (event: T) => void;

export class AgentEventEmitter<T> {
  readonly #listeners = new Set<Listener<T>>();

  /** Adds `listener`; the returned function removes it (calling it twice is harmless). */
  subscribe(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(event: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // See the file header: observers cannot break the call.
      }
    }
  }
}

/** Before each backoff wait. */
export interface RetryEvent {
  tool: string;
  /** The attempt that failed (1-based); the next one is `attempt + 1`. */
  attempt: number;
  /** The backoff wait about to start, in milliseconds. */
  delayMs: number;
  error: unknown;
}

/** A breaker opened, or re-opened after a failed probe. */
export interface BreakEvent {
  tool: string;
  error: unknown;
  consecutiveFailures: number;
}

/** A breaker let its probe through (half-open) or closed again (reset). */
export interface CircuitEvent {
  tool: string;
}
