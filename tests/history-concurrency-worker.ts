// One app instance for tests/history-concurrency.test.ts: its own RedisSessionStore (standalone URL or
// Cluster seed nodes), waits for "go", appends its batches to the shared session, then reports what it saw.
import { RedisSessionStore } from '../src/index.js';
import { type AppenderPlan, runAppender } from './helpers/history-load.js';

/** argv: target (`redis://…` or a JSON array of Cluster nodes), key prefix, session id, plan as JSON. */
const [target = '', keyPrefix = '', sessionId = '', planText = '{}'] = process.argv.slice(2);
const plan = JSON.parse(planText) as AppenderPlan;
const store = target.startsWith('redis://')
  ? new RedisSessionStore({ url: target, keyPrefix })
  : new RedisSessionStore({
      cluster: { nodes: JSON.parse(target) as { host: string; port: number }[] },
      keyPrefix,
    });

async function finish(message: object): Promise<void> {
  process.send?.(message);
  await store.close().catch(() => {});
  process.disconnect();
}

process.on('message', (message) => {
  if (message !== 'go') return;
  runAppender(store, sessionId, plan).then(
    (report) => finish({ ok: true, report }),
    (error: unknown) => finish({ ok: false, error: String(error) }),
  );
});
// A Cluster store connects lazily: ping first, so "ready" means the topology is known.
store.ping().then(
  () => process.send?.('ready'),
  (error: unknown) => finish({ ok: false, error: `ping failed: ${String(error)}` }),
);
