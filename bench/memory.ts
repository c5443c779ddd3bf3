// InMemorySessionStore against its limit (raw lru-cache handing out its own objects) and against the naive
// safe store (lru-cache plus structuredClone), measured side by side in one process run.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LRUCache } from 'lru-cache';
import type { SessionData } from '../src/codec/SessionData.js';
import { sessionIds, sessionInput } from './fixtures.js';
import {
  type BenchCase,
  figure,
  type GroupSettings,
  printFigures,
  printRatios,
  ratio,
  runGroup,
} from './lib.js';
import { loadLibrary } from './library.js';

/** Sessions the benchmarked stores hold; every operation cycles through them. */
const SESSIONS = 1000;
/** Operations per tinybench sample, so that timer overhead (~0.1 µs) stays small beside ~1 µs ops. */
const BATCH = 200;

export interface MemoryBenchResult {
  getNoTouchVsNaive: number;
}

export async function runMemoryBench(settings: GroupSettings): Promise<MemoryBenchResult> {
  console.log(`\n== InMemorySessionStore: ${SESSIONS} sessions, ${BATCH} operations per sample ==`);
  const ids = sessionIds('mem', SESSIONS);
  const { InMemorySessionStore } = await loadLibrary();

  const store = new InMemorySessionStore({ maxSessions: SESSIONS * 2 });
  for (let i = 0; i < SESSIONS; i++) await store.set(ids[i] as string, sessionInput(i));
  // The baselines hold exactly what our store holds: full SessionData records, Dates included.
  const raw = new LRUCache<string, SessionData>({ max: SESSIONS * 2 });
  for (const id of ids) raw.set(id, (await store.get(id, { touch: false })) as SessionData);
  const records = ids.map((id) => raw.get(id) as SessionData);

  const noTouch = { touch: false };
  const touch = { touch: true };
  const patch = { metadata: { lastIntent: 'order_status' } };
  let cursor = 0;
  const next = () => {
    cursor = cursor + 1 === SESSIONS ? 0 : cursor + 1;
    return cursor;
  };
  let sink: unknown;

  const cases: BenchCase[] = [
    {
      name: 'ours get (touch: false)',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) sink = await store.get(ids[next()] as string, noTouch);
      },
    },
    {
      name: 'ours get (touch: true)',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) sink = await store.get(ids[next()] as string, touch);
      },
    },
    {
      name: 'ours set',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) {
          const n = next();
          sink = await store.set(ids[n] as string, sessionInput(n));
        }
      },
    },
    {
      name: 'ours update (1 metadata key)',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) sink = await store.update(ids[next()] as string, patch);
      },
    },
    {
      name: 'ours incrementCounter',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) sink = await store.incrementCounter(ids[next()] as string, 'turns');
      },
    },
    {
      name: 'raw lru-cache get',
      fn: () => {
        for (let i = 0; i < BATCH; i++) sink = raw.get(ids[next()] as string);
      },
    },
    {
      name: 'raw lru-cache set',
      fn: () => {
        for (let i = 0; i < BATCH; i++) {
          const n = next();
          raw.set(ids[n] as string, records[n] as SessionData);
        }
      },
    },
    {
      name: 'naive lru-cache get + structuredClone',
      fn: () => {
        for (let i = 0; i < BATCH; i++) sink = structuredClone(raw.get(ids[next()] as string));
      },
    },
    {
      name: 'naive structuredClone + lru-cache set',
      fn: () => {
        for (let i = 0; i < BATCH; i++) {
          const n = next();
          raw.set(ids[n] as string, structuredClone(records[n] as SessionData));
        }
      },
    },
  ];
  const figures = await runGroup(
    cases.map((c) => ({ ...c, batch: BATCH })),
    settings,
  );
  if (sink === undefined) throw new Error('benchmarks produced nothing');
  await store.close();
  printFigures('Throughput (sequential; our methods are async and awaited, the baselines are sync)', figures);

  const f = (name: string) => figure(figures, name);
  const naiveGet = f('naive lru-cache get + structuredClone');
  const rawGet = f('raw lru-cache get');
  const getNoTouch = ratio('get (touch: false) / naive get+clone', f('ours get (touch: false)'), naiveGet, 4);
  printRatios('Ratios', [
    getNoTouch,
    ratio('get (touch: true) / naive get+clone', f('ours get (touch: true)'), naiveGet),
    ratio('set / naive clone+set', f('ours set'), f('naive structuredClone + lru-cache set')),
    ratio('get (touch: false) / raw get', f('ours get (touch: false)'), rawGet),
    ratio('get (touch: true) / raw get', f('ours get (touch: true)'), rawGet),
    ratio('set / raw set', f('ours set'), f('raw lru-cache set')),
    ratio('update / raw get', f('ours update (1 metadata key)'), rawGet),
    ratio('incrementCounter / raw get', f('ours incrementCounter'), rawGet),
  ]);

  await reportFootprint();
  return { getNoTouchVsNaive: getNoTouch.value };
}

/** Heap held by 10,000 sessions in a fresh store, measured between full garbage collections. */
async function reportFootprint(): Promise<void> {
  const count = 10_000;
  // tsx gives no way to pass --expose-gc through `npm run bench`; enabling it at run time is enough here.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const ids = sessionIds('footprint', count);
  const { InMemorySessionStore } = await loadLibrary();
  const inputs = ids.map((_, i) => sessionInput(i));
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new InMemorySessionStore({ maxSessions: count });
  for (let i = 0; i < count; i++) await store.set(ids[i] as string, inputs[i]);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if ((await store.countActive()) !== count) throw new Error('footprint store lost sessions');
  await store.close();
  const mib = (after - before) / 2 ** 20;
  console.log(
    `\nHeap footprint: ${mib.toFixed(2)} MiB per ${count.toLocaleString('en')} sessions ` +
      `(${Math.round((after - before) / count)} bytes each; ids and inputs allocated beforehand)`,
  );
}
