// Many writers on one history (issue 11, item 3): four Node processes, each its own RedisSessionStore,
// append 100 batches of 3 items to one session, 16 calls in flight each, on standalone Redis and on a
// 3-master Cluster. The log must hold exactly 1,200 items, every batch contiguous and in its given order,
// none lost or duplicated, each call's returned length where its items end, and the order DESIGN §9
// promises: a call started after another returned lands after it. On standalone Redis each process's one
// connection writes its calls in the order made, so each process's batches must also be in send order.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InMemorySessionStore, RedisSessionStore } from '../src/index.js';
import {
  type AppenderPlan,
  type AppenderReport,
  checkLog,
  loadItem,
  runAppender,
} from './helpers/history-load.js';
import { startCluster } from './helpers/redis-cluster.js';
import { startRedis } from './helpers/redis-standalone.js';

const WORKERS = 4;
const BATCHES = 100;
const BATCH_SIZE = 3;
const IN_FLIGHT = 16;
/** Time allowed for the workers to start, append everything and report, in milliseconds. */
const RUN_DEADLINE_MS = 60_000;
const SESSION = 'many-writers';

const children = new Set<ChildProcess>();
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
});

const plan = (worker: number): AppenderPlan => ({
  worker,
  batches: BATCHES,
  batchSize: BATCH_SIZE,
  inFlight: IN_FLIGHT,
});

type WorkerMessage = { ok: true; report: AppenderReport } | { ok: false; error: string };

/**
 * Forks the workers against `target` (a URL or a JSON node list), starts them together once all are
 * connected, and resolves with their reports; rejects when one fails, exits early or the deadline passes
 * (every worker is then killed).
 */
async function runWorkers(target: string, keyPrefix: string): Promise<AppenderReport[]> {
  const worker = path.resolve(import.meta.dirname, 'history-concurrency-worker.ts');
  const forked: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  const reports: Promise<AppenderReport>[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const child = fork(worker, [target, keyPrefix, SESSION, JSON.stringify(plan(w))], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(child);
    forked.push(child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`worker ${w} exited (${code ?? signal})`))),
    );
    exited.catch(() => {});
    ready.push(
      Promise.race([
        new Promise<void>((resolve, reject) =>
          child.once('message', (m) =>
            m === 'ready' ? resolve() : reject(new Error(`worker ${w}: ${JSON.stringify(m)}`)),
          ),
        ),
        exited,
      ]),
    );
    reports.push(
      Promise.race([
        new Promise<AppenderReport>((resolve, reject) =>
          child.on('message', (m: unknown) => {
            if (typeof m !== 'object' || m === null) return;
            const message = m as WorkerMessage;
            if (message.ok) resolve(message.report);
            else reject(new Error(`worker ${w} failed: ${message.error}`));
          }),
        ),
        exited,
      ]),
    );
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the workers did not finish within ${RUN_DEADLINE_MS} ms`)),
      RUN_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([
      (async () => {
        await Promise.all(ready);
        for (const child of forked) child.send('go');
        return await Promise.all(reports);
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
    for (const child of forked) {
      if (child.exitCode === null && child.signalCode === null) {
        // A worker that reported disconnects and exits by itself; one that is stuck is killed.
        await Promise.race([
          new Promise((resolve) => child.once('exit', resolve)),
          new Promise((resolve) => setTimeout(resolve, 5_000)),
        ]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      children.delete(child);
    }
  }
}

const CHECK = { workers: WORKERS, batches: BATCHES, batchSize: BATCH_SIZE };

describe('four processes append to one history at once', () => {
  it('standalone Redis: 1,200 items, batches whole and in each process send order', async () => {
    const server = await startRedis();
    stops.push(() => server.stop());
    const keyPrefix = 'hload:';
    const reports = await runWorkers(server.url, keyPrefix);
    const reader = new RedisSessionStore({ url: server.url, keyPrefix });
    stops.push(() => reader.close());
    const log = await reader.getItems(SESSION, { touch: false });
    expect(checkLog(log, reports, { ...CHECK, sendOrder: true })).toEqual([]);
    expect(log).toHaveLength(1_200);
    // The session the appends created is an ordinary one: present, envelope untouched by the items.
    expect((await reader.get(SESSION, { touch: false }))?.version).toBe(1);
  }, 120_000);

  it('3-master Cluster: 1,200 items, batches whole, calls that did not overlap in order', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
    stops.push(() => cluster.stop());
    const keyPrefix = 'hloadc:';
    const reports = await runWorkers(JSON.stringify(cluster.nodes), keyPrefix);
    const reader = new RedisSessionStore({ cluster: { nodes: cluster.nodes }, keyPrefix });
    stops.push(() => reader.close());
    const log = await reader.getItems(SESSION, { touch: false });
    expect(checkLog(log, reports, { ...CHECK, sendOrder: false })).toEqual([]);
    expect(log).toHaveLength(1_200);
  }, 150_000);

  it('the same load in one process over InMemorySessionStore', async () => {
    const store = new InMemorySessionStore();
    stops.push(() => store.close());
    const reports = await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => runAppender(store, SESSION, plan(w))),
    );
    const log = await store.getItems(SESSION);
    expect(checkLog(log, reports, { ...CHECK, sendOrder: true })).toEqual([]);
  });
});

describe('checkLog finds what it is there to find', () => {
  const worker = (w: number, batches: number): AppenderReport => ({
    worker: w,
    startedNs: Array.from({ length: batches }, (_, b) => b * 10),
    returnedNs: Array.from({ length: batches }, (_, b) => b * 10 + 5),
    lengths: Array.from({ length: batches }, (_, b) => (b + 1) * 2),
  });
  const check = { workers: 1, batches: 3, batchSize: 2, sendOrder: true };
  const batch = (b: number) => [loadItem(0, b, 0), loadItem(0, b, 1)];

  it('accepts a log in order', () => {
    expect(checkLog([...batch(0), ...batch(1), ...batch(2)], [worker(0, 3)], check)).toEqual([]);
  });

  it('reports a split batch, a duplicate, a missing batch and a reordering', () => {
    const split = [loadItem(0, 0, 0), ...batch(1), loadItem(0, 0, 1), ...batch(2)];
    expect(checkLog(split, [worker(0, 3)], check).join('\n')).toMatch(/not contiguous/);
    const duplicated = [...batch(0), ...batch(0), ...batch(1), ...batch(2)];
    expect(checkLog(duplicated, [worker(0, 3)], check).join('\n')).toMatch(/appears twice/);
    const lost = [...batch(0), ...batch(2)];
    expect(checkLog(lost, [worker(0, 3)], check).join('\n')).toMatch(/batch w0 b1 is missing/);
    // Batch 1 started (t=10) after batch 0 returned (t=5): landing before it breaks §9 and send order.
    const swapped = [...batch(1), ...batch(0), ...batch(2)];
    const problems = checkLog(swapped, [worker(0, 3)], check).join('\n');
    expect(problems).toMatch(/landed before/);
    expect(problems).toMatch(/w0 b0 returned before w0 b1 started/);
    expect(checkLog(swapped, [worker(0, 3)], { ...check, sendOrder: false }).join('\n')).toMatch(
      /returned before/,
    );
  });

  it('accepts calls in flight together in either order when send order is not required', () => {
    const overlapping: AppenderReport = { ...worker(0, 3), startedNs: [0, 1, 20], returnedNs: [9, 8, 25] };
    overlapping.lengths = [4, 2, 6];
    const log = [...batch(1), ...batch(0), ...batch(2)];
    expect(checkLog(log, [overlapping], { ...check, sendOrder: false })).toEqual([]);
    expect(checkLog(log, [overlapping], check).join('\n')).toMatch(/landed before/);
  });
});
