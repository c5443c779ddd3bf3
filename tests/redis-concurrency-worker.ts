// One app instance for tests/redis-concurrency.test.ts: its own RedisSessionStore on the shared server.
// Waits for "go", hammers one session, then reports which getOrCreate calls it saw create a session.
import { RedisSessionStore } from '../src/index.js';

const [url, keyPrefix, workerText] = process.argv.slice(2);
const worker = Number(workerText);
const store = new RedisSessionStore({ url: url as string, keyPrefix: keyPrefix as string });

async function run(): Promise<string[]> {
  const tasks: (() => Promise<unknown>)[] = [];
  const created: string[] = [];
  // Interleaved: increments, updates and (every 15th step) a getOrCreate race, 16 in flight at a time.
  for (let i = 0; i < 300; i++) {
    tasks.push(() => store.incrementCounter('shared', 'hits'));
    tasks.push(() => store.update('shared', { metadata: { [`w${worker}-${i}`]: i } }));
    if (i % 15 === 0) {
      const id = `g${i / 15}`;
      tasks.push(async () => {
        const result = await store.getOrCreate(id, { userId: `worker-${worker}` });
        if (result.created) created.push(id);
      });
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < tasks.length) await (tasks[next++] as () => Promise<unknown>)();
    }),
  );
  return created;
}

process.on('message', (message) => {
  if (message !== 'go') return;
  run()
    .then(async (created) => {
      process.send?.({ ok: true, created });
      await store.close();
      process.disconnect();
    })
    .catch(async (error: unknown) => {
      process.send?.({ ok: false, error: String(error) });
      await store.close();
      process.disconnect();
    });
});
process.send?.('ready');
