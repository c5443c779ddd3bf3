// Concurrent appenders on one session's history and the checks of what they leave behind: every batch
// contiguous and in its given order, nothing lost or duplicated, and the order DESIGN §9 promises.
// Shared by the forked workers (tests/history-concurrency-worker.ts) and in-process runs.
import type { JsonObject } from '../../src/index.js';

/** What one appender sends: `batches` calls of `batchSize` items, at most `inFlight` calls at once. */
export interface AppenderPlan {
  worker: number;
  batches: number;
  batchSize: number;
  inFlight: number;
}

/** What one appender saw, for the checks: when each batch started and returned, and what it returned. */
export interface AppenderReport {
  worker: number;
  /** Per batch (index = batch number): CLOCK_MONOTONIC in ns just before the call. */
  startedNs: number[];
  /** Per batch: CLOCK_MONOTONIC in ns just after the call resolved. */
  returnedNs: number[];
  /** Per batch: the log length `appendItems` returned. */
  lengths: number[];
}

/** The store method an appender needs; any SessionStore has it. */
export interface Appender {
  appendItems(id: string, items: readonly object[]): Promise<number>;
}

/** Item `i` of batch `b` of worker `w`: self-describing, so a log can be checked without the reports. */
export function loadItem(w: number, b: number, i: number): JsonObject {
  return { type: 'message', role: 'user', content: `w${w} b${b} i${i}`, w, b, i };
}

/**
 * `process.hrtime` is CLOCK_MONOTONIC, one clock for every process on the machine, so instants taken in
 * different workers compare. In ns; exact while uptime is under 2^53 ns (104 days), a few ns off after.
 */
function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Sends the plan's batches in batch order, `inFlight` at a time; rejects with the first failed call. */
export async function runAppender(
  store: Appender,
  sessionId: string,
  plan: AppenderPlan,
): Promise<AppenderReport> {
  const report: AppenderReport = { worker: plan.worker, startedNs: [], returnedNs: [], lengths: [] };
  let next = 0;
  const lane = async () => {
    while (next < plan.batches) {
      const b = next++;
      const items = Array.from({ length: plan.batchSize }, (_, i) => loadItem(plan.worker, b, i));
      report.startedNs[b] = nowNs();
      report.lengths[b] = await store.appendItems(sessionId, items);
      report.returnedNs[b] = nowNs();
    }
  };
  await Promise.all(Array.from({ length: plan.inFlight }, lane));
  return report;
}

export interface LogCheck {
  /** Workers 0..workers-1 each sent `batches` batches of `batchSize` items. */
  workers: number;
  batches: number;
  batchSize: number;
  /**
   * Also require each worker's batches in the order it sent them (one standalone connection per worker
   * writes its commands in call order). Otherwise only what §9 promises: a batch started after another
   * call returned lands after it.
   */
  sendOrder: boolean;
}

/**
 * Everything wrong with `log`, one line per problem (empty: all good). Checks the item count, that each
 * batch is contiguous and in its given order, that no batch is lost or duplicated, that each
 * `appendItems` returned the log length right after its own items, and the ordering in `check`.
 */
export function checkLog(log: readonly JsonObject[], reports: readonly AppenderReport[], check: LogCheck) {
  const problems: string[] = [];
  const expected = check.workers * check.batches * check.batchSize;
  if (log.length !== expected) problems.push(`the log holds ${log.length} items, expected ${expected}`);
  const key = (w: number, b: number) => `w${w} b${b}`;
  // Where each batch starts in the log; a second start of the same batch is a duplicate.
  const position = new Map<string, number>();
  for (let at = 0; at < log.length; ) {
    const first = log[at] as JsonObject;
    const w = first.w as number;
    const b = first.b as number;
    if (first.i !== 0) {
      problems.push(`item ${at} (${String(first.content)}) does not start a batch`);
      at += 1;
      continue;
    }
    for (let i = 1; i < check.batchSize; i++) {
      const item = log[at + i];
      if (item?.w !== w || item?.b !== b || item?.i !== i) {
        problems.push(
          `batch ${key(w, b)} is not contiguous: item ${at + i} is ${String(item?.content)}, expected i${i}`,
        );
      }
    }
    if (position.has(key(w, b))) problems.push(`batch ${key(w, b)} appears twice`);
    else position.set(key(w, b), at);
    at += check.batchSize;
  }
  for (const report of reports) {
    const w = report.worker;
    let previous = -1;
    for (let b = 0; b < check.batches; b++) {
      const at = position.get(key(w, b));
      if (at === undefined) {
        problems.push(`batch ${key(w, b)} is missing`);
        continue;
      }
      const length = report.lengths[b];
      if (length !== at + check.batchSize) {
        problems.push(
          `appendItems of ${key(w, b)} returned ${length}, but its items end at ${at + check.batchSize}`,
        );
      }
      if (check.sendOrder && at < previous) {
        problems.push(`batch ${key(w, b)} (at ${at}) landed before batch ${key(w, b - 1)} (at ${previous})`);
      }
      previous = at;
    }
  }
  // §9: a call that starts after another returned lands after it, whichever processes made them.
  const calls = reports.flatMap((r) =>
    r.startedNs.map((started, b) => ({
      name: key(r.worker, b),
      started,
      returned: r.returnedNs[b] as number,
      at: position.get(key(r.worker, b)),
    })),
  );
  const placed = calls.filter((c) => c.at !== undefined).sort((x, y) => (x.at as number) - (y.at as number));
  // Walking the log forwards, the latest start among the calls before this one: a call that returned
  // before that start lies after a call that began once it had finished.
  let latestStart = Number.NEGATIVE_INFINITY;
  let latestName = '';
  const broken: string[] = [];
  for (const call of placed) {
    if (call.returned < latestStart && broken.length < 5) {
      broken.push(`${call.name} returned before ${latestName} started, yet lies after it in the log`);
    }
    if (call.started > latestStart) {
      latestStart = call.started;
      latestName = call.name;
    }
  }
  problems.push(...broken);
  return problems;
}
