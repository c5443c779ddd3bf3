// The delaying TCP proxy's own process (started by bench/proxy.ts, never imported). It listens on
// 127.0.0.1, forwards every connection to one target, and holds each chunk it reads for a fixed delay
// before writing it on: a chunk read at t is written at t + delay, in the order it was read, whatever
// else is queued. Running apart from the benchmark keeps its CPU off the clients' event loop, so no
// contender waits behind the proxy's work (or the proxy behind a contender's).
//
// Timing: Node's timers count in whole milliseconds of a cached loop clock, so a 1 ms setTimeout fires
// anywhere from about 0 to 2 ms later. Instead a worker thread sleeps in Atomics.wait, whose timeout is
// sub-millisecond, until the oldest queued chunk is due, then wakes this thread with a message. Every
// queued chunk shares one delay, so one FIFO across all connections is already in due order and one
// timer covers all of them: no timer per chunk, and chunks read together leave together.
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { Worker } from 'node:worker_threads';

interface Queued {
  due: number;
  to: Socket;
  /**
   * Bytes to write, or the end of the stream ('end': the peer half-closed; 'destroy': it closed or failed),
   * passed on after the bytes read before it.
   */
  chunk: Buffer | 'end' | 'destroy';
}

type Direction = 'up' | 'down';

interface Counters {
  bytes: number;
  chunks: number;
}

/** Milliseconds on the monotonic clock both threads share (performance.now() has a per-thread origin). */
const now = () => Number(process.hrtime.bigint()) / 1e6;

// The ticker's code, plain JavaScript so the worker needs no TypeScript loader. shared[0] counts changes
// of the due time in due[0] (Infinity: nothing queued); the ticker sleeps until that time or a change,
// posts once the time is reached, then sleeps until this thread publishes the next one.
const TICKER = `
const { parentPort, workerData } = require('node:worker_threads');
const seq = new Int32Array(workerData, 0, 1);
const due = new Float64Array(workerData, 8, 1);
const now = () => Number(process.hrtime.bigint()) / 1e6;
for (;;) {
  const seen = Atomics.load(seq, 0);
  const at = due[0];
  if (at === Infinity) { Atomics.wait(seq, 0, seen); continue; }
  const left = at - now();
  if (left > 0) { Atomics.wait(seq, 0, seen, left); continue; }
  parentPort.postMessage(0);
  Atomics.wait(seq, 0, seen);
}
`;

function main(): void {
  const targetPort = Number(process.env.PROXY_TARGET_PORT);
  const delayMs = Number(process.env.PROXY_DELAY_MS);
  if (!Number.isInteger(targetPort) || !(delayMs >= 0)) {
    throw new Error(
      `proxy-process needs PROXY_TARGET_PORT and PROXY_DELAY_MS (got ${targetPort}, ${delayMs})`,
    );
  }
  const send = (message: unknown) => process.send?.(message);

  const shared = new SharedArrayBuffer(16);
  const seq = new Int32Array(shared, 0, 1);
  const dueSlot = new Float64Array(shared, 8, 1);
  dueSlot[0] = Number.POSITIVE_INFINITY;
  const ticker = new Worker(TICKER, { eval: true, workerData: shared });
  ticker.unref();

  const queue: Queued[] = [];
  let head = 0;
  const counters: Record<Direction, Counters> = {
    up: { bytes: 0, chunks: 0 },
    down: { bytes: 0, chunks: 0 },
  };
  let connections = 0;
  // Lateness of each write past its due time, in ms: the proxy's own error, reported with the figures.
  const LATE_SAMPLES = 1 << 16;
  const late = new Float64Array(LATE_SAMPLES);
  let lateCount = 0;

  const publish = () => {
    dueSlot[0] = head < queue.length ? (queue[head] as Queued).due : Number.POSITIVE_INFINITY;
    Atomics.add(seq, 0, 1);
    Atomics.notify(seq, 0);
  };
  const flush = () => {
    const t = now();
    while (head < queue.length && (queue[head] as Queued).due <= t) {
      const item = queue[head] as Queued;
      queue[head] = undefined as unknown as Queued;
      head++;
      late[lateCount % LATE_SAMPLES] = t - item.due;
      lateCount++;
      if (item.to.destroyed) continue;
      if (item.chunk === 'end') item.to.end();
      else if (item.chunk === 'destroy') item.to.destroy();
      else item.to.write(item.chunk);
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    publish();
  };
  ticker.on('message', flush);

  const enqueue = (to: Socket, chunk: Queued['chunk']) => {
    queue.push({ due: now() + delayMs, to, chunk });
    // Only a new head changes when the ticker must wake; later items wait behind it.
    if (queue.length - head === 1) publish();
  };
  const pipe = (from: Socket, to: Socket, direction: Direction) => {
    from.on('data', (chunk: Buffer) => {
      counters[direction].bytes += chunk.length;
      counters[direction].chunks++;
      enqueue(to, chunk);
    });
    // Closing travels with the same delay as the bytes, so a reply sent just before a close (QUIT's)
    // still arrives.
    from.on('end', () => enqueue(to, 'end'));
    from.on('error', () => undefined);
    from.on('close', () => enqueue(to, 'destroy'));
  };

  const server = createServer((client) => {
    connections++;
    client.setNoDelay(true);
    const upstream = tcpConnect({ host: '127.0.0.1', port: targetPort });
    upstream.setNoDelay(true);
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    send({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 });
  });

  process.on('message', (message: { type: string }) => {
    if (message.type === 'stats') {
      const n = Math.min(lateCount, LATE_SAMPLES);
      const sorted = Array.from(late.subarray(0, n)).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))] ?? Number.NaN;
      send({
        type: 'stats',
        up: { ...counters.up },
        down: { ...counters.down },
        connections,
        lateMedianMs: at(0.5),
        lateP99Ms: at(0.99),
        lateMaxMs: sorted[n - 1] ?? Number.NaN,
        writes: lateCount,
      });
    } else if (message.type === 'reset-lateness') {
      lateCount = 0;
    } else if (message.type === 'close') {
      server.close();
      process.exit(0);
    }
  });
  // The benchmark going away (even by a crash) takes the proxy with it.
  process.on('disconnect', () => process.exit(0));
}

main();
