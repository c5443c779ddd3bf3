// The history methods of RedisSessionStore against the nearest raw ioredis work and against what users
// write by hand today, in one process run against one redis-server this benchmark starts, sequentially
// (each call awaited: round-trip bound) and with CONCURRENCY calls in flight.
//
// The hand-written contenders:
// - "Python SDK pattern": what the Python Agents SDK's RedisSession.add_items sends, on ioredis: a
//   MULTI/EXEC pipeline (HSET session_id, HSETNX created_at, RPUSH the items, HSET updated_at), then, with
//   a TTL, a second MULTI/EXEC of EXPIRE on its three keys (meta hash, message list, counter): two round
//   trips. Its get_items is an LRANGE of the last N plus one JSON.parse per item: the raw LRANGE row.
// - "WATCH/MULTI with a counter": an append that numbers its items from a counter, as a careful user
//   writes it: WATCH the counter and GET it (one pipeline), then MULTI, RPUSH, SET the counter, PEXPIRE
//   both keys, EXEC (one pipeline); again on a conflict. WATCH belongs to a connection, so every call in
//   flight holds a connection of its own (a pool of CONCURRENCY connections).
//
// The reads: getItems without touch (one plain LRANGE) against LRANGE + JSON.parse, and getItems with
// touch (the default; a script that slides record and items) against LRANGE + PEXPIRE in one pipeline.
import { Redis } from 'ioredis';
import { startRedisProcess } from '../tests/helpers/redis-standalone.js';
import { sessionIds } from './fixtures.js';
import {
  type BenchFigure,
  CONCURRENCY,
  figure,
  type GroupSettings,
  type Op,
  type PairedCase,
  printFigures,
  printPaired,
  printRatios,
  type Ratio,
  ratio,
  runGroup,
  runPaired,
  SEQUENTIAL_BATCH,
  variants,
} from './lib.js';
import { loadLibrary } from './library.js';

/** Sessions the operations cycle through. */
const WORKING_SET = 1000;
/** Items each session's history holds before timing starts (getItems reads the last READ_LIMIT). */
const PREFILL_ITEMS = 40;
const READ_LIMIT = 20;
const TTL_SECONDS = 1800;
/** Per target pair: warmup, then alternating slices for this long, in milliseconds. */
const PAIRED_SETTINGS = { warmupMs: 300, durationMs: 4000 };

const OURS_APPEND = 'ours appendItems (1 item)';
const RAW_APPEND = 'raw RPUSH + PEXPIRE, pipelined';
const PY_APPEND = 'hand-written: Python SDK pattern (2 MULTI/EXEC)';
const WATCH_APPEND = 'hand-written: WATCH/MULTI with a counter';
const OURS_GET = `ours getItems (limit ${READ_LIMIT}, touch: false)`;
const OURS_GET_TOUCH = `ours getItems (limit ${READ_LIMIT}, touch: true)`;
const RAW_GET = `raw LRANGE -${READ_LIMIT} -1 + JSON.parse`;
const RAW_GET_TEXT = `raw LRANGE -${READ_LIMIT} -1 (strings)`;
const RAW_GET_SLIDE = `raw LRANGE -${READ_LIMIT} -1 + PEXPIRE, pipelined, + JSON.parse`;

/**
 * [label, ours, baseline, target, paired]: the targets of issue 11, then the informative ratios. The
 * targets, and the rows marked paired, are also measured side by side (runPaired). A sliding read's
 * nearest raw work is the read and a PEXPIRE of the list in one round trip.
 */
const RATIOS: [string, string, string, number?, boolean?][] = [
  ['appendItems / Python SDK pattern', OURS_APPEND, PY_APPEND, 1.5],
  ['appendItems / WATCH/MULTI with a counter', OURS_APPEND, WATCH_APPEND, 1.5],
  ['getItems touch: false / LRANGE + JSON.parse', OURS_GET, RAW_GET, 0.8],
  ['getItems touch: true / LRANGE + PEXPIRE + JSON.parse', OURS_GET_TOUCH, RAW_GET_SLIDE, undefined, true],
  ['appendItems / RPUSH + PEXPIRE', OURS_APPEND, RAW_APPEND],
  ['getItems touch: false / LRANGE (strings)', OURS_GET, RAW_GET_TEXT],
  ['getItems touch: true / LRANGE + JSON.parse', OURS_GET_TOUCH, RAW_GET],
];

/** One history item as an agent stores it: a user message of a few sentences. */
function historyItem(n: number): Record<string, unknown> {
  return {
    type: 'message',
    role: n % 2 === 0 ? 'user' : 'assistant',
    content: [
      {
        type: n % 2 === 0 ? 'input_text' : 'output_text',
        text:
          `Message ${n}: my order #${10_000 + n} arrived damaged, the box was open and one of the two ` +
          'items is missing. Can I get a refund or a replacement shipped this week?',
      },
    ],
  };
}

/** Connections lent to one call at a time: what a WATCH needs, as it watches for the whole connection. */
class ConnectionPool {
  readonly #idle: Redis[];
  readonly #waiting: ((connection: Redis) => void)[] = [];

  constructor(readonly all: Redis[]) {
    this.#idle = [...all];
  }

  async use<T>(work: (connection: Redis) => Promise<T>): Promise<T> {
    const connection =
      this.#idle.pop() ?? (await new Promise<Redis>((resolve) => this.#waiting.push(resolve)));
    try {
      return await work(connection);
    } finally {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#idle.push(connection);
      else waiter(connection);
    }
  }
}

export async function runHistoryBench(settings: GroupSettings): Promise<void> {
  const { RedisSessionStore: Store } = await loadLibrary();
  const redis = await startRedisProcess({ args: ['--appendonly', 'no'] });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const ids = sessionIds('h', WORKING_SET);
    const id = (n: number) => ids[n] as string;
    const raw = new Redis(redis.url);
    closers.push(() => raw.quit());
    const info = await raw.info('server');
    console.log(
      `\n== History on Redis ${/^redis_version:(.*)$/m.exec(info)?.[1]?.trim() ?? '?'}, one server on 127.0.0.1:${redis.port} ==`,
    );
    const pool = new ConnectionPool(Array.from({ length: CONCURRENCY }, () => new Redis(redis.url)));
    closers.push(() => Promise.all(pool.all.map((c) => c.quit())));
    const store = new Store({ url: redis.url, keyPrefix: 'hbench:' });
    closers.push(() => store.close());

    // Every contender starts from the same histories: PREFILL_ITEMS items per session.
    const prefill = Array.from({ length: PREFILL_ITEMS }, (_, i) => historyItem(i));
    const prefillText = prefill.map((item) => JSON.stringify(item));
    for (let n = 0; n < WORKING_SET; n++)
      await store.appendItems(id(n), prefill, { ttlSeconds: TTL_SECONDS });
    const seed = raw.pipeline();
    for (let n = 0; n < WORKING_SET; n++) {
      for (const prefix of ['raw', 'py', 'watch']) seed.rpush(`${prefix}:${id(n)}:messages`, ...prefillText);
      seed.set(`watch:${id(n)}:counter`, PREFILL_ITEMS);
    }
    await seed.exec();

    // What each append adds: built once, as a caller holds its item before appending it.
    const item = historyItem(PREFILL_ITEMS);
    let cursor = 0;
    const next = () => {
      cursor = cursor + 1 === WORKING_SET ? 0 : cursor + 1;
      return cursor;
    };
    let watchConflicts = 0;
    const ops: [string, Op][] = [
      [OURS_APPEND, (n) => store.appendItems(id(n), [item])],
      [
        RAW_APPEND,
        (n) => {
          const key = `raw:${id(n)}:messages`;
          return raw
            .pipeline()
            .rpush(key, JSON.stringify(item))
            .pexpire(key, TTL_SECONDS * 1000)
            .exec();
        },
      ],
      [
        PY_APPEND,
        async (n) => {
          const base = `py:${id(n)}`;
          const now = String(Math.floor(Date.now() / 1000));
          await raw
            .multi()
            .hset(base, 'session_id', id(n))
            .hsetnx(base, 'created_at', now)
            .rpush(`${base}:messages`, JSON.stringify(item))
            .hset(base, 'updated_at', now)
            .exec();
          return raw
            .multi()
            .expire(base, TTL_SECONDS)
            .expire(`${base}:messages`, TTL_SECONDS)
            .expire(`${base}:counter`, TTL_SECONDS)
            .exec();
        },
      ],
      [
        WATCH_APPEND,
        (n) =>
          pool.use(async (connection) => {
            const list = `watch:${id(n)}:messages`;
            const counter = `watch:${id(n)}:counter`;
            for (;;) {
              const read = await connection.pipeline().watch(counter).get(counter).exec();
              const seq = Number(read?.[1]?.[1] ?? 0) + 1;
              const done = await connection
                .multi()
                .rpush(list, JSON.stringify({ seq, ...item }))
                .set(counter, seq)
                .pexpire(list, TTL_SECONDS * 1000)
                .pexpire(counter, TTL_SECONDS * 1000)
                .exec();
              if (done !== null) return seq;
              watchConflicts += 1;
            }
          }),
      ],
      [OURS_GET, (n) => store.getItems(id(n), { limit: READ_LIMIT, touch: false })],
      [OURS_GET_TOUCH, (n) => store.getItems(id(n), { limit: READ_LIMIT, touch: true })],
      [
        RAW_GET,
        async (n) =>
          (await raw.lrange(`raw:${id(n)}:messages`, -READ_LIMIT, -1)).map((text) => JSON.parse(text)),
      ],
      [RAW_GET_TEXT, (n) => raw.lrange(`raw:${id(n)}:messages`, -READ_LIMIT, -1)],
      [
        RAW_GET_SLIDE,
        async (n) => {
          const key = `raw:${id(n)}:messages`;
          const replies = await raw
            .pipeline()
            .lrange(key, -READ_LIMIT, -1)
            .pexpire(key, TTL_SECONDS * 1000)
            .exec();
          const [error, texts] = replies?.[0] ?? [];
          if (error) throw error;
          return (texts as string[]).map((text) => JSON.parse(text));
        },
      ],
    ];
    // Every operation must work before it is timed: a failing or empty call would be timed as fast.
    for (const [name, op] of ops) {
      const result = await op(0);
      if (name.includes('getItems') || name.includes('LRANGE')) {
        if (!Array.isArray(result) || result.length !== READ_LIMIT) {
          throw new Error(
            `${name} returned ${JSON.stringify(result)?.slice(0, 80)}, not ${READ_LIMIT} items`,
          );
        }
      }
    }
    // Both reads must see the same history (ours comes back with its keys sorted: compare key-sorted).
    const sorted = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sorted)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
            )
          : value;
    const ours = await store.getItems(id(0), { limit: READ_LIMIT, touch: false });
    const byHand = (await raw.lrange(`raw:${id(0)}:messages`, -READ_LIMIT, -1)).map((t) => JSON.parse(t));
    if (JSON.stringify(sorted(ours)) !== JSON.stringify(sorted(byHand))) {
      throw new Error('getItems and LRANGE read different histories: the benchmark data is not comparable');
    }

    const built = ops.map(([name, op]) => variants(name, op, next));
    console.log(
      `${WORKING_SET} sessions of ${PREFILL_ITEMS}+ items; sequential: ${SEQUENTIAL_BATCH} awaited operations per sample; concurrent: waves of ${CONCURRENCY} in flight`,
    );
    const sequential = await runGroup(
      built.map((b) => b.sequential),
      settings,
    );
    const concurrent = await runGroup(
      built.map((b) => b.concurrent),
      settings,
    );
    const byName = new Map(built.map((b) => [b.sequential.name, b]));
    const pairCases = (variant: 'sequential' | 'concurrent'): PairedCase[] =>
      RATIOS.filter(([, , , target, paired]) => target !== undefined || paired === true).flatMap(
        ([label, oursName, baseName, target]) => {
          const oursFn = byName.get(oursName)?.[variant].fn;
          const baseFn = byName.get(baseName)?.[variant].fn;
          if (oursFn === undefined || baseFn === undefined) return [];
          return [{ label, ours: async () => oursFn(), base: async () => baseFn(), target }];
        },
      );
    const paired = await runPaired(pairCases('sequential'), PAIRED_SETTINGS);
    const pairedConcurrent = await runPaired(pairCases('concurrent'), PAIRED_SETTINGS);

    printFigures('History, sequential (one operation at a time, each awaited)', sequential);
    printFigures(`History, concurrent (${CONCURRENCY} operations in flight)`, concurrent);
    printRatios('History ratios, sequential', ratiosOf(sequential));
    printRatios(`History ratios, ${CONCURRENCY} in flight`, ratiosOf(concurrent));
    printPaired(
      `History targets side by side (slices of ${SEQUENTIAL_BATCH} sequential operations, alternating)`,
      paired,
    );
    printPaired(`The same pairs, slices of one wave of ${CONCURRENCY} in flight`, pairedConcurrent);
    console.log(
      `\nWATCH/MULTI conflicts retried: ${watchConflicts} (the calls of one wave write distinct sessions)`,
    );
    const length = (await store.getItems(id(0), { touch: false })).length;
    console.log(`Session ${id(0)} holds ${length} items after the run.`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await redis.stop();
  }
}

function ratiosOf(figures: BenchFigure[]): Ratio[] {
  return RATIOS.map(([label, ours, base, target]) =>
    ratio(label, figure(figures, ours), figure(figures, base), target),
  );
}
