// The per-call deadline of RedisSessionStore: every call waits in one list in deadline order under one
// shared timer for the earliest deadline, so no timer is created and cleared per call and each call still
// rejects at its own deadline. Times are monotonic milliseconds (performance.now()).

/** A call waiting for its reply under its deadline, linked in deadline order. */
interface Waiting {
  deadline: number;
  reject: (error: unknown) => void;
  prev: Waiting | undefined;
  next: Waiting | undefined;
  linked: boolean;
}

export class Deadlines {
  // Calls waiting for a reply, earliest deadline first, and the one timer over them.
  #head: Waiting | undefined;
  #tail: Waiting | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** When #timer fires (monotonic ms). */
  #timerAt = 0;
  #timerRefed = false;
  /** The rejection of a call whose deadline passed; a new error per call. */
  readonly #expired: () => Error;
  /** Told once per timer run in which at least one call expired (liveness.ts probes the connection). */
  readonly #onExpired: (() => void) | undefined;

  constructor(expired: () => Error, onExpired?: () => void) {
    this.#expired = expired;
    this.#onExpired = onExpired;
  }

  /** Starts `call` and bounds it (`bounded`); a `call` that throws rejects through `mapError` too. */
  send<T>(call: () => Promise<T>, deadline: number, mapError: (error: unknown) => unknown): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      return Promise.reject(mapError(error));
    }
    return this.bounded(pending, deadline, mapError);
  }

  /**
   * `pending`, or the `expired` rejection at `deadline`, whichever comes first. A rejection of `pending`
   * goes through `mapError` on its way to the caller. A reply after the deadline finds the promise
   * settled and nobody waiting.
   */
  bounded<T>(pending: Promise<T>, deadline: number, mapError: (error: unknown) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = { deadline, reject, prev: undefined, next: undefined, linked: true };
      // Every call gets the same timeout, so a new call nearly always has the latest deadline and is
      // appended; a call that first waited for the connection carries an earlier one and goes in its place.
      let before = this.#tail;
      while (before !== undefined && before.deadline > deadline) before = before.prev;
      entry.prev = before;
      entry.next = before === undefined ? this.#head : before.next;
      if (before === undefined) this.#head = entry;
      else before.next = entry;
      if (entry.next === undefined) this.#tail = entry;
      else entry.next.prev = entry;
      if (this.#timer === undefined || deadline < this.#timerAt) {
        clearTimeout(this.#timer);
        this.#arm(deadline);
      } else if (!this.#timerRefed) {
        // A pending call keeps the process alive, as its own timer would.
        this.#timer.ref();
        this.#timerRefed = true;
      }
      pending.then(
        (value) => {
          this.#unlink(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#unlink(entry);
          reject(mapError(error));
        },
      );
    });
  }

  /** Stops the timer when no call waits (on close); calls still waiting keep their deadlines. */
  stopIfIdle(): void {
    if (this.#head === undefined && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #unlink(entry: Waiting): void {
    if (!entry.linked) return;
    entry.linked = false;
    if (entry.prev === undefined) this.#head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.#tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
    // Nothing waits: the timer may stay armed (the next call would otherwise clear and re-create it) but
    // must not keep the process alive on its own.
    if (this.#head === undefined && this.#timer !== undefined && this.#timerRefed) {
      this.#timer.unref();
      this.#timerRefed = false;
    }
  }

  /** Arms the shared timer for `at` (monotonic ms). */
  #arm(at: number): void {
    // Timers may fire up to a millisecond early; #onTimer then finds nothing due and re-arms.
    this.#timer = setTimeout(this.#onTimer, Math.max(1, at - performance.now()));
    this.#timerAt = at;
    this.#timerRefed = true;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    let expired = false;
    while (this.#head !== undefined && this.#head.deadline <= now) {
      const entry = this.#head;
      this.#unlink(entry);
      entry.reject(this.#expired());
      expired = true;
    }
    if (this.#head !== undefined) this.#arm(this.#head.deadline);
    if (expired) this.#onExpired?.();
  };
}
