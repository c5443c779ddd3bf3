// Bounded write load for the fault tests, with a ledger of every acknowledged and every unknown-outcome
// write, so a test can check afterwards that nothing acknowledged was lost (and measure what was).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isSessionNotDurableError,
  isSessionStoreUnavailableError,
  type RedisSessionStore,
  type SessionStore,
} from '../../src/index.js';

/** What the load knows about one session: increments and `seq` updates, acknowledged or not. */
export interface SessionLedger {
  id: string;
  /** Index of the store (in `LoadOptions.stores`) this session's writer uses. */
  storeIndex: number;
  /** Increments of messageCount that resolved with a number. */
  ackedIncrements: number;
  /**
   * Increments that rejected with SessionStoreUnavailableError or SessionNotDurableError: applied or
   * not, nobody knows.
   */
  unknownIncrements: number;
  /** Highest `metadata.seq` whose update resolved; 0 before the first. */
  lastAckedSeq: number;
  /** `seq` values whose update rejected as unavailable (outcome unknown). */
  unknownSeqs: number[];
  /** Next `seq` to write (strictly increasing per session). */
  nextSeq: number;
}

/** One failed call: when it started (ms since load start), how long it took, what it threw. */
export interface Failure {
  at: number;
  ms: number;
  op: 'increment' | 'update';
  sessionId: string;
  error: unknown;
}

export interface LoadOptions {
  /** Stores to spread writers over (writer w uses stores[w % stores.length]). */
  stores: readonly SessionStore[];
  /** Concurrent writers. Default 8. */
  writers?: number;
  /** Sessions each writer owns; no two writers share a session. Default 4. */
  sessionsPerWriter?: number;
  /** Session id prefix, unique per test. */
  idPrefix: string;
  /**
   * Explicit session ids per writer (overrides writers, sessionsPerWriter and idPrefix), e.g. to give each
   * writer sessions of one Cluster shard only, so that a dead shard cannot starve a writer's other sessions.
   */
  sessionIds?: string[][];
  /** Pause after a failed call, in milliseconds, so a fail-fast rejection cannot spin the event loop. Default 20. */
  pauseAfterFailureMs?: number;
}

const describeError = (error: unknown): string =>
  error instanceof Error
    ? `${error.name}: ${error.message}${error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''}`
    : String(error);

export { describeError };

/**
 * Writers each loop over their own sessions: `incrementCounter(id, 'messageCount')`, then
 * `update(id, { metadata: { seq } })` with a per-session increasing seq. Every result is booked in the
 * ledger; a rejection that is not SessionStoreUnavailableError is kept in `unexpected`.
 */
export class WriteLoad {
  readonly sessions: SessionLedger[] = [];
  readonly failures: Failure[] = [];
  /** Rejections of any other type (than unavailable or not durable), and null replies (never allowed). */
  readonly unexpected: { op: string; sessionId: string; error: unknown }[] = [];
  /** Start time (ms since load start) of every successful call. */
  readonly successTimes: number[] = [];
  /** Every successful call: start time and duration (ms), session and operation. */
  readonly successes: { at: number; ms: number; sessionId: string; op: 'increment' | 'update' }[] = [];
  /** Start time (ms since load start) of the latest successful call, per session id. */
  readonly lastSuccessBySession = new Map<string, number>();
  readonly #options: Required<Omit<LoadOptions, 'stores' | 'idPrefix' | 'sessionIds'>> & LoadOptions;
  #stopped = false;
  #running: Promise<void>[] = [];
  #t0 = 0;
  /** Number of sessions of each writer, in order. */
  #groups: number[] = [];

  constructor(options: LoadOptions) {
    this.#options = { writers: 8, sessionsPerWriter: 4, pauseAfterFailureMs: 20, ...options };
    const { idPrefix, stores } = this.#options;
    const ids =
      this.#options.sessionIds ??
      Array.from({ length: this.#options.writers }, (_, w) =>
        Array.from({ length: this.#options.sessionsPerWriter }, (_, i) => `${idPrefix}-w${w}-s${i}`),
      );
    this.#groups = ids.map((group) => group.length);
    for (const [w, group] of ids.entries()) {
      for (const id of group) {
        this.sessions.push({
          id,
          storeIndex: w % stores.length,
          ackedIncrements: 0,
          unknownIncrements: 0,
          lastAckedSeq: 0,
          unknownSeqs: [],
          nextSeq: 1,
        });
      }
    }
  }

  /** Milliseconds since `start()`. */
  now(): number {
    return performance.now() - this.#t0;
  }

  /** Creates every session (must succeed: the backend is expected up), then starts the writers. */
  async start(): Promise<void> {
    const { stores } = this.#options;
    await Promise.all(
      this.sessions.map((s) =>
        (stores[s.storeIndex] as SessionStore).getOrCreate(s.id, { userId: 'load', metadata: {} }),
      ),
    );
    this.#t0 = performance.now();
    let from = 0;
    for (const size of this.#groups) {
      this.#running.push(this.#writer(this.sessions.slice(from, from + size)));
      from += size;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
  }

  /** Successful calls that started at or after `at` (ms since load start). */
  successesSince(at: number): number {
    let n = 0;
    for (const t of this.successTimes) if (t >= at) n += 1;
    return n;
  }

  /** Resolves once `predicate` holds (checked every 50 ms), or rejects after `timeoutMs`. */
  async waitFor(what: string, timeoutMs: number, predicate: () => boolean): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      // A null reply or an error of the wrong type is a failure in itself: say so rather than wait it out.
      if (this.unexpected.length > 0) {
        const first = this.unexpected
          .slice(0, 3)
          .map((u) => `${u.op} ${u.sessionId}: ${describeError(u.error)}`)
          .join('; ');
        throw new Error(
          `load: ${this.unexpected.length} unexpected results while waiting for ${what}: ${first}`,
        );
      }
      if (performance.now() > deadline)
        throw new Error(`load: ${what} did not happen within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async #writer(mine: SessionLedger[]): Promise<void> {
    const { stores, pauseAfterFailureMs } = this.#options;
    let turn = 0;
    while (!this.#stopped) {
      const session = mine[turn % mine.length] as SessionLedger;
      const store = stores[session.storeIndex] as SessionStore;
      const increment = Math.floor(turn / mine.length) % 2 === 0;
      turn += 1;
      const started = this.now();
      const seq = session.nextSeq;
      try {
        if (increment) {
          const value = await store.incrementCounter(session.id, 'messageCount', 1);
          if (value === null) throw new Error('incrementCounter returned null for a live session');
          session.ackedIncrements += 1;
        } else {
          session.nextSeq += 1;
          const updated = await store.update(session.id, { metadata: { seq } });
          if (updated === null) throw new Error('update returned null for a live session');
          session.lastAckedSeq = Math.max(session.lastAckedSeq, seq);
        }
        this.successTimes.push(started);
        this.successes.push({
          at: started,
          ms: this.now() - started,
          sessionId: session.id,
          op: increment ? 'increment' : 'update',
        });
        this.lastSuccessBySession.set(session.id, started);
      } catch (error) {
        const op = increment ? 'increment' : 'update';
        // Both leave the outcome unknown to the ledger: unavailable may or may not have been applied; not
        // durable (the `durability` option) was applied on the master, which may then fail before a
        // replica has it.
        if (isSessionStoreUnavailableError(error) || isSessionNotDurableError(error)) {
          if (increment) session.unknownIncrements += 1;
          else session.unknownSeqs.push(seq);
          this.failures.push({
            at: started,
            ms: this.now() - started,
            op,
            sessionId: session.id,
            error,
          });
        } else {
          this.unexpected.push({ op, sessionId: session.id, error });
        }
        await sleep(pauseAfterFailureMs);
      }
    }
  }
}

/** Result of checking the ledger against what the store holds now. */
export interface LedgerCheck {
  /** Sessions whose counter is below its acknowledged increments: acknowledged writes lost. */
  lostIncrements: number;
  /** Sessions whose `seq` went back before the last acknowledged one. */
  lostUpdates: number;
  /** Sessions that no longer exist at all. */
  missingSessions: number;
  /** Counters above acknowledged + unknown increments: writes applied twice or from nowhere. */
  phantomIncrements: number;
  /** `seq` values that were never written by anyone. */
  phantomSeqs: number;
  /** Sum of acknowledged and of stored increments. */
  ackedTotal: number;
  storedTotal: number;
  unknownTotal: number;
  details: string[];
}

/** Reads every session back (without touching it) and compares it with the ledger. */
export async function checkLedger(
  load: WriteLoad,
  store: SessionStore | RedisSessionStore,
): Promise<LedgerCheck> {
  const result: LedgerCheck = {
    lostIncrements: 0,
    lostUpdates: 0,
    missingSessions: 0,
    phantomIncrements: 0,
    phantomSeqs: 0,
    ackedTotal: 0,
    storedTotal: 0,
    unknownTotal: 0,
    details: [],
  };
  for (const s of load.sessions) {
    result.ackedTotal += s.ackedIncrements;
    result.unknownTotal += s.unknownIncrements;
    const stored = await store.get(s.id, { touch: false });
    if (stored === null) {
      result.missingSessions += 1;
      result.details.push(`${s.id}: missing`);
      continue;
    }
    result.storedTotal += stored.messageCount;
    if (stored.messageCount < s.ackedIncrements) {
      result.lostIncrements += s.ackedIncrements - stored.messageCount;
      result.details.push(`${s.id}: messageCount ${stored.messageCount} < acked ${s.ackedIncrements}`);
    }
    if (stored.messageCount > s.ackedIncrements + s.unknownIncrements) {
      result.phantomIncrements += stored.messageCount - s.ackedIncrements - s.unknownIncrements;
      result.details.push(
        `${s.id}: messageCount ${stored.messageCount} > acked ${s.ackedIncrements} + unknown ${s.unknownIncrements}`,
      );
    }
    const seq = stored.metadata.seq ?? 0;
    if (typeof seq !== 'number' || seq < s.lastAckedSeq) {
      result.lostUpdates += 1;
      result.details.push(`${s.id}: seq ${String(seq)} < last acked ${s.lastAckedSeq}`);
    } else if (seq !== s.lastAckedSeq && !s.unknownSeqs.includes(seq)) {
      result.phantomSeqs += 1;
      result.details.push(`${s.id}: seq ${seq} was never acknowledged nor attempted after ${s.lastAckedSeq}`);
    }
  }
  return result;
}

/** p-quantile (0..1) of `values`, NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
