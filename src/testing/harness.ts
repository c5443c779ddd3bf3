// What every conformance group shares: the options a suite runs with, the per-test harness (a fresh
// store, a clock to move) and the way a group is defined. A group is a title and a function that
// registers its tests; `groups.ts` lists them.
import { isSessionValidationError } from '../errors/errors.js';
import type { SessionStore, SessionStoreOptions } from '../store/SessionStore.js';
import type { HistoryConformanceOptions } from './history.js';
import { rejectsWith } from './must.js';

/** What the suite passes to the factory for each test. */
export interface ConformanceContext {
  /** Clock to inject (epoch ms). With `clock: 'manual'` the suite moves it instead of sleeping. */
  now: () => number;
  /** Common options this test needs; the factory must pass them to the store. */
  options: SessionStoreOptions;
}

export type StoreFactory = (context: ConformanceContext) => SessionStore | Promise<SessionStore>;

/** How the tests run: the clock, the runner's functions and the timeout. */
export interface HarnessOptions {
  /**
   * `manual`: the store uses `context.now`, and the suite advances it (no sleeping).
   * `real`: the store keeps real time; expiry tests sleep a few hundred milliseconds.
   * @default 'real'
   */
  clock?: 'manual' | 'real';
  /** The runner's `describe`. @default globalThis.describe */
  describe?: (name: string, body: () => void) => void;
  /** The runner's `it`. @default globalThis.it */
  it?: (name: string, body: () => Promise<void>, timeout?: number) => void;
  /** Per-test timeout passed to `it`, in milliseconds. @default 20_000 */
  timeoutMs?: number;
}

/** What a test body receives. */
export interface Harness {
  /** A fresh store from the factory; the harness closes it after the test. */
  store: SessionStore;
  /** Lets `ms` milliseconds pass: moves the manual clock, or sleeps (at least roughly `ms`). */
  wait(ms: number): Promise<void>;
  /**
   * Milliseconds since the test started on the clock the store runs on: the manual clock's offset, or
   * monotonic real time. With a real clock, time passes during store calls too, so a check that depends
   * on when a call ran reads this before and after the call.
   */
  elapsed(): number;
  /**
   * `rule` plus what the kit did with time, for checks that depend on it: with a manual clock, a store
   * that reads its own clock instead of the `now` option fails them.
   */
  timed(rule: string): string;
}

/** Registers one test: a title, a body, and the store options the factory must pass through. */
export type TestFn = (
  title: string,
  body: (h: Harness) => Promise<void>,
  options?: SessionStoreOptions,
) => void;

/** What a group's `define` receives beside `test`: the runner's describe (for nested blocks) and the suite's options. */
export interface GroupContext {
  describe: (name: string, body: () => void) => void;
  options: HarnessOptions & {
    /** Options of the history group (the hook that plants corrupt items). */
    history?: HistoryConformanceOptions | boolean;
  };
}

/** One group of the suite: a key to switch it by, the title of its `describe` block, and its tests. */
export interface ConformanceGroup<K extends string = string> {
  readonly key: K;
  readonly title: string;
  readonly define: (test: TestFn, context: GroupContext) => void;
}

export function defineConformanceGroup<const K extends string>(
  key: K,
  title: string,
  define: (test: TestFn, context: GroupContext) => void,
): ConformanceGroup<K> {
  return { key, title, define };
}

/** `what` must reject with SessionValidationError; returns the error. */
export const validation = (p: Promise<unknown>, what: string) =>
  rejectsWith(p, isSessionValidationError, `${what} must reject with SessionValidationError`);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The runner's describe and the `test` function groups register with. */
export function createHarness(
  entry: string,
  createStore: StoreFactory,
  options: HarnessOptions,
): { describe: NonNullable<HarnessOptions['describe']>; test: TestFn } {
  const g = globalThis as { describe?: HarnessOptions['describe']; it?: HarnessOptions['it'] };
  const describe = options.describe ?? g.describe;
  const it = options.it ?? g.it;
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new TypeError(
      `${entry} needs describe() and it(): pass them in the options ({ describe, it }) or enable your runner's globals`,
    );
  }
  if (options.clock !== undefined && options.clock !== 'manual' && options.clock !== 'real') {
    throw new TypeError(`${entry}: clock must be 'manual' or 'real', got ${JSON.stringify(options.clock)}`);
  }
  const manual = options.clock === 'manual';
  const timeout = options.timeoutMs ?? 20_000;

  const test: TestFn = (title, body, storeOptions = {}) => {
    it(
      title,
      async () => {
        let offset = 0;
        const start = Date.now();
        const startedAt = performance.now();
        const now = () => start + offset;
        const elapsed = () => (manual ? offset : performance.now() - startedAt);
        const store = await createStore({ now: manual ? now : Date.now, options: storeOptions });
        const wait = async (ms: number) => {
          if (manual) offset += ms;
          else await sleep(ms);
        };
        const timed = (rule: string) =>
          manual
            ? `${rule} (the kit moved the clock it passes as the \`now\` option by ${offset} ms: a store must take its clock from the \`now\` option the kit passes)`
            : `${rule} (the kit waited ${Date.now() - start} ms of real time)`;
        try {
          await body({ store, wait, elapsed, timed });
        } finally {
          await store.close();
        }
      },
      timeout,
    );
  };
  return { describe, test };
}
